// Graphics on real QEMU (TCG): VNC autoport ports from the qemu.conf ranges (busy ports skipped,
// freed when a guest stops, kept across a driver restart), the live XML showing them, and VNC
// passwords set over QMP before the vCPUs run (RFB security types and VNC authentication).
import assert from 'node:assert/strict';
import { createCipheriv } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket, connect as tcpConnect } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { parseDomainXML } from '../../src/conf/domain/index.js';
import { ListDomainsFlags as LF } from '../../src/driver/constants.js';
import { type Connection, connect, type Domain } from '../../src/index.js';
import { passwordExpiry } from '../../src/qemu/driver/graphics-live.js';
import { portsWanted } from '../../src/qemu/driver/ports.js';
import { ensureGuest, guestDomainXML, makeTempRoot, type TempRoot } from '../helpers/guest.js';

const VNC = "<graphics type='vnc' autoport='yes'/>";

/** Reads RFB messages from a socket: exact byte counts, in order. */
class RfbReader {
  private buf = Buffer.alloc(0);
  private waiter: (() => void) | null = null;
  private ended = false;
  constructor(readonly sock: Socket) {
    sock.on('data', (d: Buffer) => {
      this.buf = Buffer.concat([this.buf, d]);
      this.waiter?.();
    });
    sock.on('close', () => {
      this.ended = true;
      this.waiter?.();
    });
    sock.on('error', () => {});
  }
  static open(port: number): Promise<RfbReader> {
    return new Promise((resolve, reject) => {
      const s = tcpConnect({ host: '127.0.0.1', port });
      s.once('connect', () => resolve(new RfbReader(s)));
      s.once('error', reject);
    });
  }
  async read(n: number, ms = 10_000): Promise<Buffer> {
    const deadline = Date.now() + ms;
    while (this.buf.length < n) {
      if (this.ended) throw new Error(`connection closed after ${this.buf.length}/${n} bytes`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error('RFB read timed out');
      await new Promise<void>((res) => {
        const t = setTimeout(res, left);
        this.waiter = () => {
          clearTimeout(t);
          res();
        };
      });
      this.waiter = null;
    }
    const out = this.buf.subarray(0, n);
    this.buf = this.buf.subarray(n);
    return out;
  }
  close(): void {
    this.sock.destroy();
  }
}

/** Banner, version answer and the security types the server offers (RFB 3.8). */
async function rfbSecurityTypes(port: number): Promise<{ rfb: RfbReader; banner: string; types: number[] }> {
  const rfb = await RfbReader.open(port);
  const banner = (await rfb.read(12)).toString('latin1');
  rfb.sock.write('RFB 003.008\n');
  const n = (await rfb.read(1))[0];
  const types = [...(await rfb.read(n))];
  return { rfb, banner, types };
}

/** VNC authentication (security type 2): DES of the challenge with the bit-reversed password. */
async function vncAuth(port: number, password: string): Promise<number> {
  const { rfb, types } = await rfbSecurityTypes(port);
  try {
    assert.ok(types.includes(2), `types ${types}`);
    rfb.sock.write(Buffer.from([2]));
    const challenge = await rfb.read(16);
    const key = Buffer.alloc(8);
    Buffer.from(password, 'latin1').copy(key, 0, 0, 8);
    for (let i = 0; i < 8; i++) {
      let b = key[i];
      let r = 0;
      for (let j = 0; j < 8; j++) {
        r = (r << 1) | (b & 1);
        b >>= 1;
      }
      key[i] = r;
    }
    // single DES = triple DES with three equal keys (plain DES is not in OpenSSL 3's default provider)
    const c = createCipheriv('des-ede3-ecb', Buffer.concat([key, key, key]), null);
    c.setAutoPadding(false);
    rfb.sock.write(Buffer.concat([c.update(challenge), c.final()]));
    return (await rfb.read(4)).readUInt32BE(0);
  } finally {
    rfb.close();
  }
}

function listenOn(port: number): Promise<Server> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen({ port, host: '0.0.0.0' }, () => resolve(s));
  });
}

function vncPort(xml: string): { port: number; websocket?: number } {
  const m = /<graphics type='vnc' port='(-?\d+)' autoport='yes'(?: websocket='(\d+)')?/.exec(xml);
  assert.ok(m, xml);
  return { port: Number(m[1]), websocket: m[2] ? Number(m[2]) : undefined };
}

describe('graphics port and password helpers', () => {
  test('ports wanted per pool: VNC autoport and websocket -1, SPICE port and TLS port', () => {
    const def = parseDomainXML(
      guestDomainXML({
        name: 'w',
        serialPath: '/dev/null',
        extraDevices: `${VNC}<graphics type='vnc' port='5999' websocket='-1'/><graphics type='spice' autoport='yes'/><graphics type='vnc' socket='/tmp/x.sock'/>`,
      }),
      {},
    );
    assert.deepEqual(portsWanted(def), { remote: 3, websocket: 1 });
  });
  test("expire_password: never, the epoch time, or now (past or empty)", () => {
    assert.equal(passwordExpiry({ passwd: 'x' }, 'x', 1000), 'never');
    assert.equal(passwordExpiry({ passwd: '' }, '', 1000), 'now');
    assert.equal(passwordExpiry({ passwd: 'x', validTo: '2030-01-01T00:00:00' }, 'x', 1000), '1893456000');
    assert.equal(passwordExpiry({ passwd: 'x', validTo: '2000-01-01T00:00:00' }, 'x', 2_000_000_000), 'now');
  });
});

describe('graphics on a real QEMU (TCG)', { timeout: 240_000 }, () => {
  let root: TempRoot;
  let conn: Connection;
  let blocker: Server | undefined;
  // A private range per run, so parallel test files and other users of 5900+ do not interfere.
  const BASE = 10_000 + Math.floor(Math.random() * 200) * 100;
  const MAX = BASE + 63;
  const WS_BASE = BASE + 64;
  const WS_MAX = WS_BASE + 31;
  const ports = new Map<string, number>();

  before(async () => {
    await ensureGuest();
    root = await makeTempRoot();
    mkdirSync(join(root.path, 'etc'), { recursive: true });
    writeFileSync(
      join(root.path, 'etc/qemu.conf'),
      `remote_display_port_min = ${BASE}\nremote_display_port_max = ${MAX}\nremote_websocket_port_min = ${WS_BASE}\nremote_websocket_port_max = ${WS_MAX}\n`,
    );
    conn = await connect(root.uri);
  });
  after(async () => {
    if (conn) {
      for (const d of await conn.listAllDomains(LF.ACTIVE).catch(() => [])) await d.destroy().catch(() => {});
      await conn.close();
    }
    await new Promise((r) => (blocker ? blocker.close(r) : r(undefined)));
    await root?.remove();
  });

  async function start(name: string, graphics: string, paused = true): Promise<Domain> {
    const dom = await conn.defineXML(guestDomainXML({ name, serialPath: '/dev/null', extraDevices: graphics }));
    await dom.create(paused ? 1 : 0);
    return dom;
  }

  test('two autoport guests get different real ports, a busy port is skipped, the live XML shows them', async () => {
    blocker = await listenOn(BASE);
    const a = await start('ga', "<graphics type='vnc' autoport='yes' websocket='-1'/>");
    const b = await start('gb', VNC);
    const pa = vncPort(await a.getXMLDesc());
    const pb = vncPort(await b.getXMLDesc());
    assert.notEqual(pa.port, pb.port);
    for (const p of [pa.port, pb.port]) assert.ok(p > BASE && p <= MAX, `port ${p} outside (${BASE}, ${MAX}]`);
    assert.ok(pa.websocket !== undefined && pa.websocket >= WS_BASE && pa.websocket <= WS_MAX, `websocket ${pa.websocket}`);
    // the inactive definition keeps asking for autoport
    assert.match(await a.getXMLDesc(2), /<graphics type='vnc' port='-1' autoport='yes' websocket='-1'/);
    // QEMU listens there: RFB banners, no authentication without a password
    for (const p of [pa.port, pb.port]) {
      const { rfb, banner, types } = await rfbSecurityTypes(p);
      rfb.close();
      assert.equal(banner, 'RFB 003.008\n');
      assert.deepEqual(types, [1]);
    }
    const ws = await RfbReader.open(pa.websocket ?? 0);
    ws.close();
    const q = JSON.parse(await b.qemuMonitorCommand('{"execute":"query-vnc"}')) as { return: { service: string; auth: string } };
    assert.equal(q.return.service, String(pb.port));
    assert.equal(q.return.auth, 'none');
    ports.set('ga', pa.port);
    ports.set('gb', pb.port);
  });

  test('stopping a guest frees its port for the next start', async () => {
    await (await conn.lookupByName('ga')).destroy();
    const c = await start('gc', VNC);
    assert.equal(vncPort(await c.getXMLDesc()).port, ports.get('ga'));
    ports.set('gc', vncPort(await c.getXMLDesc()).port);
  });

  test("a restarted driver does not hand out running guests' ports", async () => {
    await conn.close();
    conn = await connect(root.uri);
    const d = await start('gd', VNC);
    const pd = vncPort(await d.getXMLDesc()).port;
    assert.ok(pd > BASE && pd !== ports.get('gb') && pd !== ports.get('gc'), `port ${pd}`);
    const { rfb, banner } = await rfbSecurityTypes(pd);
    rfb.close();
    assert.equal(banner, 'RFB 003.008\n');
  });

  test('a VNC password is set before the guest runs: VNC auth offered, right password accepted, wrong refused', async () => {
    const dom = await start('gpw', "<graphics type='vnc' autoport='yes' passwd='s3cret'/>", false);
    const xml = await dom.getXMLDesc();
    assert.doesNotMatch(xml, /s3cret/);
    const port = vncPort(xml).port;
    const q = JSON.parse(await dom.qemuMonitorCommand('{"execute":"query-vnc"}')) as { return: { auth: string } };
    assert.equal(q.return.auth, 'vnc');
    const { rfb, types } = await rfbSecurityTypes(port);
    rfb.close();
    assert.ok(types.includes(2) && !types.includes(1), `types ${types}`);
    assert.equal(await vncAuth(port, 's3cret'), 0);
    assert.equal(await vncAuth(port, 'wrong'), 1);
  });

  test('SPICE autoport takes a port from the display range; its password is set with connected', async () => {
    const dom = await start('gsp', "<graphics type='spice' autoport='yes' passwd='pw' connected='keep'/>");
    const m = /<graphics type='spice' port='(\d+)' autoport='yes'/.exec(await dom.getXMLDesc());
    assert.ok(m);
    const port = Number(m[1]);
    assert.ok(port > BASE && port <= MAX, `port ${port}`);
    const q = JSON.parse(await dom.qemuMonitorCommand('{"execute":"query-spice"}')) as { return: { port: number; auth: string } };
    assert.equal(q.return.port, port);
    assert.equal(q.return.auth, 'spice');
  });

  test('a password valid until a past time is expired at once', async () => {
    const dom = await start('gexp', "<graphics type='vnc' autoport='yes' passwd='s3cret' passwdValidTo='2001-01-01T00:00:00'/>");
    const port = vncPort(await dom.getXMLDesc()).port;
    assert.equal(await vncAuth(port, 's3cret'), 1);
  });
});
