// Issue 5 acceptance, system instance: `tsvirtd --system` serving qemu:///system with user/group of
// /etc/libvirt/qemu.conf set to the test account. The machine's real /etc/libvirt, /run/libvirt and
// /var/{lib,cache,log} stay untouched: the daemon runs in a private mount namespace (held by a `sleep`
// process, so a restarted daemon enters the same one) where /etc/libvirt and /run/libvirt are bind
// mounts of temp dirs and /var/lib, /var/cache, /var/log are overlays with a temp upper layer.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect as netConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { guestCgroupPath } from '../../src/cgroup/index.js';
import { DomainState } from '../../src/driver/constants.js';
import { type Connection, connect } from '../../src/index.js';
import { VirError } from '../../src/util/errors.js';
import { REPO_ROOT } from '../helpers/guest.js';
import {
  assertTestAccountWithoutCaps,
  devicesCgroupOf,
  diskGuestXML,
  expectedDefaultAcl,
  type Images,
  identity,
  isolationImages,
  isRoot,
  ORIG_GID,
  ORIG_UID,
  owner,
  qemuConf,
  statusPid,
  ZERO_CAPS,
} from './helpers.js';

const skip = isRoot ? false : 'needs root (tsvirtd --system in a private mount namespace)';

interface Sandbox {
  dir: string;
  holder: ChildProcess;
  /** What the namespace sees as /run/libvirt. */
  run: string;
  socket: string;
}

function waitLine(c: ChildProcess, re: RegExp, ms: number): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = '';
    const t = setTimeout(() => reject(new Error(`timed out waiting for ${re}: ${out}`)), ms);
    const on = (b: Buffer) => {
      out += b;
      if (re.test(out)) {
        clearTimeout(t);
        resolve(out);
      }
    };
    c.stdout?.on('data', on);
    c.stderr?.on('data', on);
    c.once('exit', (code) => {
      clearTimeout(t);
      reject(new Error(`exited (${code}) before ${re}: ${out}`));
    });
  });
}

async function makeSandbox(): Promise<Sandbox> {
  const dir = mkdtempSync(join(tmpdir(), 'tsvirt-sysns-'));
  for (const d of ['etc', 'run', 'sock', 'ov-lib/up', 'ov-lib/work', 'ov-cache/up', 'ov-cache/work', 'ov-log/up', 'ov-log/work']) {
    mkdirSync(join(dir, d), { recursive: true, mode: 0o755 });
  }
  writeFileSync(join(dir, 'etc/qemu.conf'), qemuConf());
  const script = [
    'set -e',
    `mount --bind ${dir}/etc /etc/libvirt`,
    `mount --bind ${dir}/run /run/libvirt`,
    ...['lib', 'cache', 'log'].map((d) => `mount -t overlay overlay -o lowerdir=/var/${d},upperdir=${dir}/ov-${d}/up,workdir=${dir}/ov-${d}/work /var/${d}`),
    'echo NAMESPACE-READY',
    'exec sleep infinity',
  ].join('\n');
  const holder = spawn('unshare', ['--mount', '--propagation', 'private', 'sh', '-c', script], { stdio: ['ignore', 'pipe', 'pipe'] });
  await waitLine(holder, /NAMESPACE-READY/, 10_000);
  return { dir, holder, run: join(dir, 'run'), socket: join(dir, 'sock/virtqemud-sock') };
}

function answers(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = netConnect(path);
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

async function startDaemon(sb: Sandbox): Promise<ChildProcess> {
  const env = { ...process.env };
  delete env.NODE_EXTRA_CA_CERTS;
  rmSync(sb.socket, { force: true });
  const d = spawn(
    'nsenter',
    ['--target', String(sb.holder.pid), '--mount', '--', process.execPath, join(REPO_ROOT, 'dist/src/daemon/main.js'), '--system', '-v',
      '--socket', sb.socket, '--ro-socket', '', '--pid-file', join(sb.dir, 'tsvirtd.pid')],
    { stdio: ['ignore', 'pipe', 'pipe'], env },
  );
  let out = '';
  d.stdout?.on('data', (b) => (out += b));
  d.stderr?.on('data', (b) => (out += b));
  const deadline = Date.now() + 20_000;
  while (!existsSync(sb.socket) || !(await answers(sb.socket))) {
    if (d.exitCode !== null || Date.now() > deadline) {
      d.kill('SIGKILL');
      throw new Error(`tsvirtd --system did not start:\n${out}`);
    }
    await new Promise((r) => setTimeout(r, 25));
  }
  return d;
}

async function kill(c: ChildProcess, sig: NodeJS.Signals): Promise<void> {
  if (c.exitCode !== null || c.signalCode !== null) return;
  const gone = new Promise((r) => c.once('exit', r));
  c.kill(sig);
  await gone;
}

describe('isolation: system instance served by tsvirtd --system, QEMU as the test account', { skip, timeout: 300_000 }, () => {
  let sb: Sandbox;
  let daemon: ChildProcess;
  let conn: Connection;
  let img: Images;
  let ids: { uid: number; gid: number };
  let diskA: string;
  let diskB: string;
  const uri = () => `qemu+unix:///system?socket=${sb.socket}`;
  const stateDir = () => join(sb.run, 'qemu');

  before(async () => {
    ({ ids, img, diskA, diskB } = await isolationImages('iso-sys'));
    sb = await makeSandbox();
    daemon = await startDaemon(sb);
    conn = await connect(uri());
    await conn.defineXML(diskGuestXML('sys-a', img, diskA));
    await conn.defineXML(diskGuestXML('sys-b', img, diskB));
  });
  after(async () => {
    if (conn) {
      for (const d of await conn.listAllDomains(1).catch(() => [])) await d.destroy().catch(() => {});
      await conn.close().catch(() => {});
    }
    if (daemon) await kill(daemon, 'SIGTERM');
    if (sb) {
      await kill(sb.holder, 'SIGKILL');
      rmSync(sb.dir, { recursive: true, force: true });
    }
    img?.cleanup();
  });

  test('the real /etc/libvirt, /run/libvirt and /var/lib are not used', async () => {
    // The client reports the URI it connected with (as virsh does): the system instance on the sandbox socket.
    assert.match(await conn.getURI(), /^qemu\+unix:\/\/\/system\?socket=.*\/virtqemud-sock$/);
    assert.equal(existsSync('/etc/libvirt/qemu/sys-a.xml'), false);
    assert.equal(existsSync(join(sb.dir, 'etc/qemu/sys-a.xml')), true);
    assert.equal(existsSync('/var/lib/libvirt'), false);
    assert.equal(owner(join(sb.dir, 'ov-lib/up/libvirt/qemu')), `${ids.uid}:${ids.gid}`, "the driver's lib dir belongs to QEMU's user");
  });

  test('QEMU runs as the configured uid/gid with no capabilities, in its devices cgroup; disk owned while running, given back after stop', async () => {
    const dom = await conn.lookupByName('sys-a');
    assert.equal(owner(diskA), `${ORIG_UID}:${ORIG_GID}`);
    await dom.create();
    const pid = statusPid(stateDir(), 'sys-a');
    const id = identity(pid);
    console.log(`system QEMU pid ${pid}: Uid ${id.uid} | Gid ${id.gid} | CapEff ${id.capEff} CapPrm ${id.capPrm} CapBnd ${id.capBnd}`);
    assertTestAccountWithoutCaps(id, ids);
    assert.equal(owner(diskA), `${ids.uid}:${ids.gid}`);
    const path = guestCgroupPath({ id: await dom.getID(), name: 'sys-a' }, { privileged: true });
    assert.equal(devicesCgroupOf(pid), path);
    const list = readFileSync(`/sys/fs/cgroup/devices${path}/devices.list`, 'utf8').trim().split('\n').sort();
    assert.deepEqual(list, expectedDefaultAcl());
    assert.match(await dom.getXMLDesc(), new RegExp(`<label>\\+${ids.uid}:\\+${ids.gid}</label>`));
    await dom.destroy();
    assert.equal(owner(diskA), `${ORIG_UID}:${ORIG_GID}`);
  });

  test('tsvirtd killed (SIGKILL) and restarted while the guest runs: still QEMU\'s, given back at stop', async () => {
    const dom = await conn.lookupByName('sys-a');
    await dom.create();
    const pid = statusPid(stateDir(), 'sys-a');
    assert.equal(owner(diskA), `${ids.uid}:${ids.gid}`);
    await conn.close().catch(() => {});
    await kill(daemon, 'SIGKILL');
    assert.equal(identity(pid).capEff, ZERO_CAPS, 'QEMU outlives the daemon');
    daemon = await startDaemon(sb);
    conn = await connect(uri());
    const again = await conn.lookupByName('sys-a');
    assert.equal((await again.getState()).state, DomainState.RUNNING);
    assert.equal(statusPid(stateDir(), 'sys-a'), pid);
    assert.equal(owner(diskA), `${ids.uid}:${ids.gid}`);
    await again.destroy();
    assert.equal(owner(diskA), `${ORIG_UID}:${ORIG_GID}`, 'original owner back after stop by the restarted daemon');
  });

  test('a start through the daemon fails before QEMU runs when a parent directory lacks o+x, naming it', async () => {
    const dom = await conn.lookupByName('sys-b');
    const err = await dom.create().then(() => null, (e: unknown) => e);
    assert.ok(err instanceof VirError, String(err));
    console.log(`start sys-b via tsvirtd: ${err.message}`);
    assert.match(err.message, new RegExp(`directory ${join(img.dir, 'private-b')} .*has no search \\(x\\) permission`));
    assert.equal(owner(diskB), `${ORIG_UID}:${ORIG_GID}`);
    assert.equal(existsSync(join(sb.dir, 'ov-log/up/libvirt/qemu/sys-b.log')), false, 'QEMU was never started');
  });
});
