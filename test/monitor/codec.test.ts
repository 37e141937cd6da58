// The QMP codec without sockets: framing, classification, serialisation, raw-command id splicing.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  QmpFrameError,
  QmpFramer,
  QmpIdAllocator,
  classify,
  encodeCommand,
  idKey,
  prepareRawCommand,
} from '../../src/qemu/monitor/codec.js';

// Captured from QEMU 7.2.22 (-machine none -S), byte for byte.
const GREETING =
  '{"QMP": {"version": {"qemu": {"micro": 22, "minor": 2, "major": 7}, "package": "Debian 1:7.2+dfsg-7+deb12u18+b3"}, "capabilities": ["oob"]}}\r\n';
const RETURN_EMPTY = '{"return": {}, "id": "libvirt-1"}\r\n';
const STATUS = '{"return": {"status": "prelaunch", "singlestep": false, "running": false}, "id": "libvirt-2"}\r\n';
const EVENT_RESUME = '{"timestamp": {"seconds": 1764174000, "microseconds": 123456}, "event": "RESUME"}\r\n';
const ERROR_NOTFOUND =
  '{"id": "libvirt-3", "error": {"class": "CommandNotFound", "desc": "The command foo has not been found"}}\r\n';

describe('QmpFramer', () => {
  it('splits several messages in one chunk', () => {
    const f = new QmpFramer();
    const out = f.push(GREETING + RETURN_EMPTY + EVENT_RESUME);
    assert.deepEqual(out, [GREETING.trimEnd(), RETURN_EMPTY.trimEnd(), EVENT_RESUME.trimEnd()]);
    assert.equal(f.buffered, 0);
  });

  it('reassembles a message fed one byte at a time', () => {
    const f = new QmpFramer();
    const stream = Buffer.from(STATUS + EVENT_RESUME);
    const out: string[] = [];
    for (let i = 0; i < stream.length; i++) out.push(...f.push(stream.subarray(i, i + 1)));
    assert.deepEqual(out, [STATUS.trimEnd(), EVENT_RESUME.trimEnd()]);
  });

  it('cuts at every split point of a two-message stream', () => {
    const stream = Buffer.from(ERROR_NOTFOUND + STATUS);
    for (let cut = 0; cut <= stream.length; cut++) {
      const f = new QmpFramer();
      const out = [...f.push(stream.subarray(0, cut)), ...f.push(stream.subarray(cut))];
      assert.deepEqual(out, [ERROR_NOTFOUND.trimEnd(), STATUS.trimEnd()], `cut at ${cut}`);
    }
  });

  it('is not fooled by braces, quotes and escapes inside strings', () => {
    const tricky = '{"return": "a } b { \\" } \\\\", "id": "x"}\n{"return": "[]]]", "id": "y"}\n';
    const f = new QmpFramer();
    const out = f.push(tricky);
    assert.equal(out.length, 2);
    assert.equal(JSON.parse(out[0]).return, 'a } b { " } \\');
    assert.equal(JSON.parse(out[1]).return, '[]]]');
  });

  it('keeps a UTF-8 sequence split across chunks intact', () => {
    const msg = Buffer.from('{"return": "grüße ✓ 🙂", "id": "u"}\r\n');
    const emoji = msg.indexOf(0xf0);
    const f = new QmpFramer();
    const out = [...f.push(msg.subarray(0, emoji + 2)), ...f.push(msg.subarray(emoji + 2))];
    assert.equal(JSON.parse(out[0]).return, 'grüße ✓ 🙂');
  });

  it('handles pretty-printed (multi-line) objects', () => {
    const pretty = '{\n    "return": {\n        "status": "running"\n    },\n    "id": "p"\n}\n';
    const out = new QmpFramer().push(pretty);
    assert.equal(out.length, 1);
    assert.deepEqual(JSON.parse(out[0]), { return: { status: 'running' }, id: 'p' });
  });

  it('reports bytes outside any object one line at a time', () => {
    const f = new QmpFramer();
    const out = [...f.push('garbage here\r\n{"return": {}}'), ...f.push('\nmore')];
    assert.deepEqual(out, ['garbage here', '{"return": {}}']);
    assert.deepEqual(f.push(' junk\n'), ['more junk']);
    assert.equal(classify('garbage here').kind, 'invalid');
  });

  it('refuses a message larger than its limit', () => {
    const f = new QmpFramer(64);
    assert.throws(() => f.push(`{"return": "${'x'.repeat(100)}"}`), QmpFrameError);
    // usable again afterwards
    assert.deepEqual(f.push('{"return": 1}\n'), ['{"return": 1}']);
    const g = new QmpFramer(64);
    g.push('{"return": "');
    assert.throws(() => g.push(`${'y'.repeat(80)}"}`), /exceeds buffer size \(64 bytes\)/);
  });
});

describe('classify', () => {
  it('decodes the greeting', () => {
    const m = classify(GREETING.trimEnd());
    assert.equal(m.kind, 'greeting');
    if (m.kind !== 'greeting') return;
    assert.deepEqual(m.greeting.version.qemu, { major: 7, minor: 2, micro: 22 });
    assert.equal(m.greeting.version.package, 'Debian 1:7.2+dfsg-7+deb12u18+b3');
    assert.deepEqual(m.greeting.capabilities, ['oob']);
  });

  it('decodes replies with and without ids', () => {
    const r = classify(STATUS.trimEnd());
    assert.equal(r.kind, 'return');
    if (r.kind !== 'return') return;
    assert.equal(r.id, 'libvirt-2');
    assert.equal(r.hasId, true);
    assert.deepEqual(r.value, { status: 'prelaunch', singlestep: false, running: false });
    assert.equal(r.raw, STATUS.trimEnd());

    const e = classify('{"error": {"class": "GenericError", "desc": "JSON parse error, invalid keyword \'x\'"}}');
    assert.equal(e.kind, 'error');
    if (e.kind !== 'error') return;
    assert.equal(e.hasId, false);
    assert.equal(e.id, undefined);
    assert.deepEqual(e.error, { class: 'GenericError', desc: "JSON parse error, invalid keyword 'x'" });

    const n = classify('{"return": {}, "id": 7}');
    assert.ok(n.kind === 'return' && n.id === 7);
  });

  it('decodes events, with and without data', () => {
    const e = classify(EVENT_RESUME.trimEnd());
    assert.equal(e.kind, 'event');
    if (e.kind !== 'event') return;
    assert.deepEqual(e.event, {
      event: 'RESUME',
      data: {},
      timestamp: { seconds: 1764174000, microseconds: 123456 },
    });
    const s = classify(
      '{"timestamp": {"seconds": 1, "microseconds": 2}, "event": "SHUTDOWN", "data": {"guest": true, "reason": "guest-shutdown"}}',
    );
    assert.ok(s.kind === 'event');
    if (s.kind === 'event') assert.deepEqual(s.event.data, { guest: true, reason: 'guest-shutdown' });
  });

  it('marks non-JSON and unknown objects invalid', () => {
    const bad = classify('{"return": ');
    assert.equal(bad.kind, 'invalid');
    assert.match(bad.kind === 'invalid' ? bad.reason : '', /^cannot parse json /);
    const unk = classify('{"hello": 1}');
    assert.ok(unk.kind === 'invalid' && unk.reason === `Unknown JSON reply '{"hello": 1}'`);
    assert.equal(classify('[1,2]').kind, 'invalid');
  });
});

describe('command serialisation', () => {
  it('writes one CRLF-terminated line with execute, arguments and id', () => {
    assert.equal(encodeCommand({ execute: 'query-status', id: 'libvirt-5' }), '{"execute":"query-status","id":"libvirt-5"}\r\n');
    assert.equal(
      encodeCommand({ execute: 'human-monitor-command', arguments: { 'command-line': 'info status' }, id: 'a' }),
      '{"execute":"human-monitor-command","arguments":{"command-line":"info status"},"id":"a"}\r\n',
    );
    assert.equal(encodeCommand({ execute: 'x-oob', oob: true, id: 1 }), '{"exec-oob":"x-oob","id":1}\r\n');
  });

  it('allocates libvirt-style ids', () => {
    const a = new QmpIdAllocator();
    assert.equal(a.next(), 'libvirt-1');
    assert.equal(a.next(), 'libvirt-2');
    assert.equal(new QmpIdAllocator('t-').next(), 't-1');
    assert.notEqual(idKey('1'), idKey(1));
  });
});

describe('prepareRawCommand', () => {
  const gen = () => 'libvirt-9';
  it('keeps a user id and the text untouched', () => {
    const text = '{ "execute" : "query-status", "id": {"mine": [1, 2]} }';
    const p = prepareRawCommand(text, gen);
    assert.equal(p.line, `${text}\r\n`);
    assert.deepEqual(p.id, { mine: [1, 2] });
    assert.equal(p.userId, true);
    assert.equal(p.command, 'query-status');
  });

  it('splices an id in without re-serialising (big integers survive)', () => {
    const text = '{"execute":"qom-set","arguments":{"path":"/x","property":"p","value":18446744073709551615}}';
    const p = prepareRawCommand(`  ${text}\n`, gen);
    assert.equal(
      p.line,
      '{"execute":"qom-set","arguments":{"path":"/x","property":"p","value":18446744073709551615},"id":"libvirt-9"}\r\n',
    );
    assert.equal(p.userId, false);
    assert.equal(prepareRawCommand('{}', gen).line, '{"id":"libvirt-9"}\r\n');
    assert.equal(prepareRawCommand('{"exec-oob": "x"}', gen).command, 'x');
  });

  it('rejects text that is not one JSON object, with libvirt wording', () => {
    assert.throws(() => prepareRawCommand('{"execute": ', gen), /^Error: cannot parse json \{"execute": : /);
    assert.throws(() => prepareRawCommand('[1]', gen), /cannot parse json \[1\]: not a JSON object/);
    assert.throws(() => prepareRawCommand('{"a":1} {"b":2}', gen), /cannot parse json/);
  });
});
