// tsvirtd under bad clients: garbage, oversize frames, a client that stops reading, dead
// keepalive peers, unknown procedures/programs, max_clients, concurrency, the read-only socket.
import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { openRemoteDriver } from '../../src/rpc/client/index.js';
import { decodePayload } from '../../src/rpc/message.js';
import { QEMU } from '../../src/rpc/protocol.js';
import { VirError } from '../../src/util/errors.js';
import { demoDomainXML } from './fixtures.js';
import { RawClient } from './rawclient.js';
import { type Tsvirtd, startTsvirtd, virsh } from './tsvirtd.js';

let d: Tsvirtd;
let ro: string;

before(async () => {
  const dir = (await import('node:fs')).mkdtempSync(join((await import('node:os')).tmpdir(), 'tsvirtd-faults-'));
  ro = join(dir, 'run/libvirt/virtqemud-sock-ro');
  d = await startTsvirtd({
    fake: true,
    dir,
    args: ['--ro-socket', ro],
    config: 'max_clients = 8\nmax_client_requests = 2\nmax_queued_bytes = 262144\nmax_message_size = 1048576\nkeepalive_interval = 1\nkeepalive_count = 2\n',
    env: { FAKE_CREATE_DELAY_MS: '1500' },
  });
});
after(async () => {
  await d?.stop();
  (await import('node:fs')).rmSync(d.dir, { recursive: true, force: true });
});

async function hostnameWorks(): Promise<void> {
  const r = await virsh(d.uri, ['hostname']);
  assert.equal(r.code, 0);
  assert.equal(r.stdout, 'fakehost\n\n');
}

test('garbage closes only that connection', async () => {
  const c = new RawClient(d.socket);
  await c.ready();
  c.sock.write(Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n'));
  await c.closed;
  await hostnameWorks();
});

test('a length word over the limit or below the header size closes the connection', async () => {
  for (const len of [0x7fffffff, 1048577, 8]) {
    const c = new RawClient(d.socket);
    await c.ready();
    const b = Buffer.alloc(4);
    b.writeUInt32BE(len);
    c.sock.write(b);
    await c.closed;
  }
  await hostnameWorks();
});

test('unknown procedure, unknown program, bad status and bad payload get error replies', async () => {
  const c = new RawClient(d.socket);
  await c.ready();
  await c.open();
  const err = async () => {
    const f = await c.next();
    assert.equal(f.header.status, 1);
    return decodePayload<{ code: number; message: string }>('remote_error', f.payload);
  };
  c.call(9999, 5);
  let e = await err();
  assert.equal(e.code, 39);
  assert.equal(e.message, 'unknown procedure: 9999');
  c.call(1, 6, null, undefined, 0x12345678);
  e = await err();
  assert.equal(e.message, 'Cannot find program 305419896 version 1');
  c.call(23, 7); // DOMAIN_LOOKUP_BY_NAME without its argument
  e = await err();
  assert.equal(e.message, 'Unable to decode message payload');
  c.call(59, 8); // still usable
  const f = await c.next();
  assert.equal(f.header.status, 0);
  assert.equal(decodePayload<{ hostname: string }>('remote_connect_get_hostname_ret', f.payload).hostname, 'fakehost');
  c.sock.destroy();
});

test('calls before CONNECT_OPEN are refused like libvirtd', async () => {
  const c = new RawClient(d.socket);
  await c.ready();
  c.call(59, 0);
  const f = await c.next();
  assert.equal(f.header.status, 1);
  assert.equal(decodePayload<{ message: string }>('remote_error', f.payload).message, 'internal error: hypervisor connection not open');
  c.sock.destroy();
});

test('a client that stops reading is dropped; others keep working', async () => {
  const c = new RawClient(d.socket);
  await c.ready();
  await c.open();
  c.sock.pause();
  // Each capabilities reply is small; ask for many dumps of a big XML instead.
  const drv = await openRemoteDriver(d.uri);
  const big = demoDomainXML('bigxml').replace('<devices>', `<description>${'x'.repeat(200000)}</description>\n  <devices>`);
  const dom = await drv.defineXML(big);
  const args = { dom: { name: dom.name, uuid: Buffer.from(dom.uuid.replace(/-/g, ''), 'hex'), id: -1 }, flags: 0 };
  for (let i = 0; i < 50; i++) c.call(14, 100 + i, 'remote_domain_get_xml_desc_args', args);
  await new Promise((r) => setTimeout(r, 1500));
  // Read what was queued: a dropped client then sees end of file, a served one would get all 50 replies.
  c.sock.resume();
  await Promise.race([c.closed, new Promise((_, j) => setTimeout(() => j(new Error('not dropped')), 10000))]);
  assert.match(d.output(), /disconnected: output backlog of \d+ bytes: client is not reading/);
  await hostnameWorks();
  await drv.undefine(dom);
  await drv.close();
});

test('keepalive: a client that negotiated keepalive and never answers is dropped', async () => {
  const c = new RawClient(d.socket);
  await c.ready();
  c.call(60, 0, 'remote_connect_supports_feature_args', { feature: 10 });
  const start = Date.now();
  let pings = 0;
  for (;;) {
    const f = await Promise.race([c.next(10000).catch(() => null), c.closed.then(() => null)]);
    if (!f) break;
    if (f.header.prog === 0x6b656570 && f.header.proc === 1) pings++;
  }
  await c.closed;
  assert.ok(pings >= 2, `pings ${pings}`);
  assert.ok(Date.now() - start < 8000);
});

test('max_clients: connections beyond the limit are closed at once', async () => {
  const clients: RawClient[] = [];
  for (let i = 0; i < 8; i++) {
    const c = new RawClient(d.socket);
    await c.ready();
    clients.push(c);
  }
  await new Promise((r) => setTimeout(r, 100));
  const extra = new RawClient(d.socket);
  await extra.closed;
  for (const c of clients) c.sock.destroy();
  await new Promise((r) => setTimeout(r, 200));
  await hostnameWorks();
});

test('a slow call does not stall other clients', async () => {
  const a = await openRemoteDriver(d.uri);
  const dom = await a.defineXML(demoDomainXML('slowstart'));
  const t0 = Date.now();
  const starting = a.create(dom);
  await new Promise((r) => setTimeout(r, 100));
  await hostnameWorks();
  const fast = Date.now() - t0;
  await starting;
  assert.ok(fast < 1400, `other client took ${fast} ms`);
  await a.destroy(dom);
  await a.undefine(dom);
  await a.close();
});

test('read-only socket: mode 0777, reads work, every mutating call is denied', async () => {
  assert.equal(statSync(ro).mode & 0o777, 0o777);
  const uri = `qemu+unix:///session?socket=${ro}`;
  let r = await virsh(uri, ['list', '--all']);
  assert.equal(r.code, 0);
  r = await virsh(uri, ['define', '/dev/null']);
  assert.equal(r.code, 1);
  const drv = await openRemoteDriver(uri);
  await assert.rejects(drv.defineXML(demoDomainXML('rotest')), (e: unknown) => {
    assert.ok(e instanceof VirError);
    assert.equal(e.code, 29);
    assert.equal(e.message, 'operation forbidden: read only access prevents virDomainDefineXML');
    return true;
  });
  assert.equal(await drv.getHostname(), 'fakehost');
  const rw = await openRemoteDriver(d.uri);
  const dom = await rw.defineXML(demoDomainXML('rotest'));
  for (const p of [drv.create(dom), drv.destroy(dom), drv.undefine(dom), drv.setAutostart(dom, true), drv.qemuMonitorCommand(dom, '{}')]) {
    await assert.rejects(p, /read only access prevents/);
  }
  await assert.rejects(drv.client.call(QEMU, 'CONNECT_DOMAIN_MONITOR_EVENT_REGISTER', { dom: null, event: null, flags: 0 }), /read only/);
  assert.equal((await drv.getState(dom)).state, 5);
  await rw.undefine(dom);
  await rw.close();
  await drv.close();
});

test('event registration: every valid id is answered, unknown ids are rejected', async () => {
  const drv = await openRemoteDriver(d.uri);
  for (let id = 0; id < 27; id++) {
    const r = await drv.call('CONNECT_DOMAIN_EVENT_CALLBACK_REGISTER_ANY', { eventID: id, dom: null });
    assert.equal(typeof r.callbackID, 'number');
    await drv.call('CONNECT_DOMAIN_EVENT_CALLBACK_DEREGISTER_ANY', { callbackID: r.callbackID });
  }
  await assert.rejects(drv.call('CONNECT_DOMAIN_EVENT_CALLBACK_REGISTER_ANY', { eventID: 27, dom: null }), /internal error: unsupported event ID 27/);
  await assert.rejects(drv.call('DOMAIN_GET_VCPUS', { dom: { name: 'x', uuid: Buffer.alloc(16), id: 1 }, maxinfo: 1, maplen: 1 }), (e: unknown) => {
    assert.ok(e instanceof VirError);
    assert.equal(e.code, 3);
    assert.equal(e.message, 'this function is not supported by the connection driver: virDomainGetVcpus');
    return true;
  });
  await drv.close();
});
