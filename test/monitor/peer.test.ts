// QmpClient against a scripted peer, for what a healthy QEMU never sends: garbage, error replies
// without "desc", replies dribbled byte by byte between events, a greeting that never comes.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import * as net from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { QmpClient, type QmpEvent } from '../../src/qemu/monitor/qmp.js';
import { ErrorCode } from '../../src/util/errors.js';

const GREETING =
  '{"QMP": {"version": {"qemu": {"micro": 22, "minor": 2, "major": 7}, "package": "Debian 1:7.2+dfsg-7+deb12u18+b3"}, "capabilities": ["oob"]}}\r\n';

type Script = (sock: net.Socket, cmd: Record<string, unknown>, raw: string) => void;

/** A QMP peer: sends the greeting (unless told not to), answers qmp_capabilities, hands other commands to `script`. */
function peer(dir: string, script: Script, greet = true): Promise<{ path: string; server: net.Server; received: string[] }> {
  const path = join(dir, `p${Math.random().toString(36).slice(2)}.sock`);
  const received: string[] = [];
  const server = net.createServer((sock) => {
    if (greet) sock.write(GREETING);
    let buf = '';
    sock.on('data', (d) => {
      buf += d;
      let i: number;
      while ((i = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, i).trim();
        buf = buf.slice(i + 1);
        received.push(line);
        const cmd = JSON.parse(line) as Record<string, unknown>;
        if (cmd.execute === 'qmp_capabilities') sock.write(`{"return": {}, "id": ${JSON.stringify(cmd.id)}}\r\n`);
        else script(sock, cmd, line);
      }
    });
    sock.on('error', () => {});
  });
  return new Promise((resolve) => server.listen(path, () => resolve({ path, server, received })));
}

describe('QmpClient against a scripted peer', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync('/tmp/tsv-peer-');
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('sends libvirt-N ids and qmp_capabilities first', async () => {
    const p = await peer(dir, (s, cmd) => s.write(`{"return": 42, "id": ${JSON.stringify(cmd.id)}}\r\n`));
    const c = await QmpClient.connect(p.path);
    assert.equal(await c.execute('x-answer', { a: 1 }), 42);
    assert.deepEqual(p.received, [
      '{"execute":"qmp_capabilities","id":"libvirt-1"}',
      '{"execute":"x-answer","arguments":{"a":1},"id":"libvirt-2"}',
    ]);
    c.close();
    p.server.close();
  });

  it('enables only the capabilities QEMU offers', async () => {
    const p = await peer(dir, () => {});
    const c = await QmpClient.connect(p.path, { capabilities: ['oob', 'no-such-cap'] });
    assert.equal(p.received[0], '{"execute":"qmp_capabilities","arguments":{"enable":["oob"]},"id":"libvirt-1"}');
    c.close();
    p.server.close();
  });

  it('reassembles replies dribbled byte by byte between events, and answers out of order by id', async () => {
    const p = await peer(dir, (s, cmd) => {
      if (cmd.execute !== 'second') return;
      // answer "second" first, then "first", one byte per write, with an event in between
      const text =
        `{"return": "two", "id": "libvirt-3"}\r\n` +
        '{"timestamp": {"seconds": 5, "microseconds": 6}, "event": "X_EVENT", "data": {"k": "v } {"}}\r\n' +
        `{"return": "one", "id": "libvirt-2"}\r\n`;
      let i = 0;
      const tick = () => {
        if (i >= text.length) return;
        s.write(text[i++]);
        setImmediate(tick);
      };
      tick();
    });
    const c = await QmpClient.connect(p.path);
    const events: QmpEvent[] = [];
    c.on('event', (e) => events.push(e));
    const [one, two] = await Promise.all([c.execute('first'), c.execute('second')]);
    assert.equal(one, 'one');
    assert.equal(two, 'two');
    assert.deepEqual(events, [{ event: 'X_EVENT', data: { k: 'v } {' }, timestamp: { seconds: 5, microseconds: 6 } }]);
    c.close();
    p.server.close();
  });

  it('routes a reply without an id to the oldest outstanding command', async () => {
    const p = await peer(dir, (s, cmd) => {
      if (cmd.execute === 'b') s.write('{"error": {"class": "GenericError", "desc": "no id here"}}\r\n{"return": "b", "id": "libvirt-3"}\r\n');
    });
    const c = await QmpClient.connect(p.path);
    const a = c.execute('a');
    const b = c.execute('b');
    await assert.rejects(a, { message: "internal error: unable to execute QEMU command 'a': no id here" });
    assert.equal(await b, 'b');
    c.close();
    p.server.close();
  });

  it('words an error without desc as libvirt does', async () => {
    const p = await peer(dir, (s, cmd) => s.write(`{"error": {"class": "GenericError"}, "id": ${JSON.stringify(cmd.id)}}\r\n`));
    const c = await QmpClient.connect(p.path);
    await assert.rejects(c.execute('odd'), {
      code: ErrorCode.INTERNAL_ERROR,
      message: "internal error: unable to execute QEMU command 'odd': unknown QEMU command error",
    });
    c.close();
    p.server.close();
  });

  it('fails the connection on garbage from the peer', async () => {
    const p = await peer(dir, (s) => s.write('this is not json\r\n'));
    const c = await QmpClient.connect(p.path);
    const closed = new Promise<Error>((r) => c.once('close', r));
    await assert.rejects(c.execute('x'), /^VirError: internal error: cannot parse json this is not json: /);
    assert.match((await closed).message, /^internal error: cannot parse json this is not json: /);
    assert.equal(c.closed, true);
    p.server.close();
  });

  it('times out when no greeting comes', async () => {
    const p = await peer(dir, () => {}, false);
    await assert.rejects(QmpClient.connect(p.path, { timeoutMs: 150 }), { code: ErrorCode.OPERATION_TIMEOUT });
    p.server.close();
  });

  it('reports the end of file when the peer hangs up before the greeting', async () => {
    const path = join(dir, 'hangup.sock');
    const server = net.createServer((s) => s.end());
    await new Promise<void>((r) => server.listen(path, () => r()));
    await assert.rejects(QmpClient.connect(path, { name: 'vm1' }), {
      code: ErrorCode.INTERNAL_ERROR,
      message: "internal error: End of file from qemu monitor (vm='vm1')",
    });
    server.close();
  });
});
