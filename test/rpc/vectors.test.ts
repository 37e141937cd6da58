// Every captured vector decodes to vectors.json's header and payload, and re-encodes to the same bytes.
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { TYPES } from '../../src/rpc/gen/protocol.js';
import {
  FrameReader, MessageStatus, MessageType, decodeFrame, decodePayload, encodeMessage, encodeRaw, payloadType,
} from '../../src/rpc/message.js';
import { PROGRAMS } from '../../src/rpc/protocol.js';
import { VECTORS } from './paths.js';
import { fromJson, toJson } from './xdr-json.js';

interface Vector {
  id: number;
  name: string;
  file: string;
  direction: string;
  header: { len: number; prog: string; vers: number; proc: number; proc_name: string; type: string; serial: number; status: string };
  payload_decoded: Record<string, unknown> | null;
}

const vectors: Vector[] = JSON.parse(readFileSync(join(VECTORS, 'vectors.json'), 'utf8'));
const TYPE_NAMES = Object.fromEntries(Object.entries(MessageType).map(([k, v]) => [v, k]));
const STATUS_NAMES = Object.fromEntries(Object.entries(MessageStatus).map(([k, v]) => [v, k]));

test('there are 55 vectors', () => {
  assert.equal(vectors.length, 55);
});

let exact = 0;
for (const v of vectors) {
  test(`vector ${v.file}`, () => {
    const bytes = Buffer.from(readFileSync(join(VECTORS, v.file), 'utf8').trim(), 'hex');
    const { header, payload } = decodeFrame(bytes);
    assert.equal(header.prog, Number(v.header.prog));
    assert.equal(header.vers, v.header.vers);
    assert.equal(header.proc, v.header.proc);
    assert.equal(TYPE_NAMES[header.type], v.header.type);
    assert.equal(header.serial, v.header.serial);
    assert.equal(STATUS_NAMES[header.status], v.header.status);
    assert.equal(bytes.length, v.header.len);
    const prog = PROGRAMS.get(header.prog);
    const info = prog?.procs.get(header.proc);
    if (prog && prog.name !== 'keepalive' && info) assert.equal(info.name.toLowerCase(), v.header.proc_name);

    const fromServer = v.direction === 'server->client';
    const t = payloadType(header, fromServer);
    let reencoded: Buffer;
    let fromJsonEncoded: Buffer;
    if (v.payload_decoded === null) {
      assert.equal(t, null, 'vector has no payload');
      assert.equal(payload.length, 0);
      reencoded = encodeMessage(header, null);
      fromJsonEncoded = reencoded;
    } else if (t === 'raw') {
      const raw = Buffer.from(v.payload_decoded.raw as string, 'latin1');
      assert.deepEqual(payload, raw);
      reencoded = encodeRaw(header, payload);
      fromJsonEncoded = encodeRaw(header, raw);
    } else {
      assert.ok(t, 'payload type known');
      const [typeName, json] = Object.entries(v.payload_decoded)[0];
      assert.equal(t, typeName, 'payload type from the procedure table');
      const decoded = decodePayload(typeName, payload);
      assert.deepEqual(toJson(TYPES[typeName], decoded), json);
      reencoded = encodeMessage(header, typeName, decoded);
      fromJsonEncoded = encodeMessage(header, typeName, fromJson(TYPES[typeName], json));
    }
    assert.equal(reencoded.toString('hex'), bytes.toString('hex'));
    assert.equal(fromJsonEncoded.toString('hex'), bytes.toString('hex'));
    exact++;
  });
}

test('all vectors round-trip byte-exact', () => {
  assert.equal(exact, vectors.length);
});

test('frame reader: split and joined input, limits', () => {
  const msgs = vectors.slice(0, 10).map((v) => Buffer.from(readFileSync(join(VECTORS, v.file), 'utf8').trim(), 'hex'));
  const all = Buffer.concat(msgs);
  const fr = new FrameReader();
  const got: Buffer[] = [];
  for (let i = 0; i < all.length; i += 7) got.push(...fr.push(all.subarray(i, i + 7)));
  assert.deepEqual(got.map((b) => b.toString('hex')), msgs.map((b) => b.toString('hex')));
  assert.deepEqual(new FrameReader().push(all).length, 10);
  assert.throws(() => new FrameReader().push(Buffer.from('00000008', 'hex')), /too small/);
  assert.throws(() => new FrameReader().push(Buffer.from('02000005', 'hex')), /exceeds/);
  // 33554436 (= 4 + VIR_NET_MESSAGE_MAX) is accepted and waits for data.
  assert.deepEqual(new FrameReader().push(Buffer.from('02000004', 'hex')), []);
});

test('every procedure names resolvable types', () => {
  for (const p of PROGRAMS.values()) {
    for (const info of p.procs.values()) {
      for (const t of [info.args, info.ret, info.msg]) if (t) assert.ok(TYPES[t], `${p.name} ${info.name}: ${t}`);
    }
  }
  assert.equal(PROGRAMS.get(0x20008086)?.procs.size, 443);
  assert.equal(PROGRAMS.get(0x20008087)?.procs.size, 7);
});

test('every frame of every captured session re-encodes byte-exact', () => {
  const dir = join(VECTORS, 'sessions');
  let frames = 0;
  for (const f of readdirSync(dir).filter((n) => n.endsWith('.jsonl') && n !== 'raw-probe.jsonl')) {
    for (const line of readFileSync(join(dir, f), 'utf8').split('\n')) {
      if (!line.trim()) continue;
      const rec = JSON.parse(line) as { dir?: string; hex?: string };
      if (!rec.hex) continue;
      const bytes = Buffer.from(rec.hex, 'hex');
      const { header, payload } = decodeFrame(bytes);
      const t = payloadType(header, rec.dir === 'S>C');
      let out: Buffer;
      if (t === 'raw') out = encodeRaw(header, payload);
      else if (t === null) {
        assert.equal(payload.length, 0, `${f}: unexpected payload`);
        out = encodeMessage(header, null);
      } else out = encodeMessage(header, t, decodePayload(t, payload));
      assert.equal(out.toString('hex'), rec.hex, `${f}: frame ${frames}`);
      frames++;
    }
  }
  assert.ok(frames > 1500, `decoded ${frames} frames`);
});
