// Privilege drop of real processes through setpriv, as root: the configured uid/gid and groups, no
// capabilities; a dropped process (and real QEMU) can open the disk it was given and not a second
// guest's disk in a 0700 directory; preflight catches a parent directory without o+x before start.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  type GuestSecurityInput,
  type SecurityConfig,
  collectGuestPaths,
  createSecurityManager,
  formatPreflight,
  preflight,
  setprivArgv,
} from '../../src/security/index.js';
import { HostSelinux } from '../../src/security/selinux-kernel.js';
import { TEST_USER, ensureTestUser, isRoot, killAndWait, procStatus, run, tempTree, waitFor } from './helpers.js';

const QEMU = '/usr/bin/qemu-system-x86_64';
const skip = isRoot ? false : 'needs root (setpriv uid change)';

const cfg = (over: Partial<SecurityConfig> = {}): SecurityConfig => ({
  user: TEST_USER, group: TEST_USER, dynamicOwnership: true, rememberOwner: true,
  securityDriverNames: [], securityDefaultConfined: true, securityRequireConfined: false, ...over,
});
const mgr = (c = cfg()) => createSecurityManager(c, { privileged: true, mode: 'system' }, { selinux: new HostSelinux(), apparmorEnabled: false });

describe('launching QEMU as the configured user', { skip }, () => {
  let t: ReturnType<typeof tempTree>;
  let q: { uid: number; gid: number };
  let disk: string;
  let otherDisk: string;
  before(() => {
    q = ensureTestUser();
    t = tempTree('launch');
    disk = join(t.dir, 'guest1.img');
    writeFileSync(disk, Buffer.alloc(1024 * 1024));
    chmodSync(disk, 0o600);
    const priv = join(t.dir, 'guest2');
    mkdirSync(priv, { mode: 0o700 });
    otherDisk = join(priv, 'guest2.img');
    writeFileSync(otherDisk, Buffer.alloc(1024 * 1024));
    chmodSync(otherDisk, 0o666); // even a world-writable image is out of reach behind its 0700 directory
  });
  after(() => t.cleanup());

  test('setpriv: uid/gid/groups of the test user, CapEff/CapPrm/CapBnd all zero', async () => {
    const m = await mgr();
    const g: GuestSecurityInput = { name: 'p', uuid: '11111111-1111-4111-8111-111111111111', virtType: 'qemu', seclabels: [], paths: [] };
    await m.genLabel(g);
    const spec = await m.processLaunch(g);
    const child = spawn(setprivArgv(spec)[0], [...setprivArgv(spec).slice(1), 'sleep', '30'], { stdio: 'ignore' });
    try {
      await waitFor(() => existsSync(`/proc/${child.pid}`) && procStatus(child.pid!).Name === 'sleep');
      const st = procStatus(child.pid!);
      assert.deepEqual(st.Uid.split(/\s+/).map(Number), [q.uid, q.uid, q.uid, q.uid]);
      assert.deepEqual(st.Gid.split(/\s+/).map(Number), [q.gid, q.gid, q.gid, q.gid]);
      assert.deepEqual(st.Groups.split(/\s+/).filter(Boolean).map(Number).sort(), [...spec.groups].sort());
      assert.equal(BigInt(`0x${st.CapEff}`), 0n);
      assert.equal(BigInt(`0x${st.CapPrm}`), 0n);
      assert.equal(BigInt(`0x${st.CapInh}`), 0n);
      assert.equal(BigInt(`0x${st.CapBnd}`), 0n);
    } finally {
      await killAndWait(child);
    }
  });

  test('root QEMU keeps its capabilities', async () => {
    const m = await mgr(cfg({ user: 'root', group: 'root' }));
    const g: GuestSecurityInput = { name: 'r', uuid: '22222222-2222-4222-8222-222222222222', virtType: 'qemu', seclabels: [], paths: [] };
    await m.genLabel(g);
    const spec = await m.processLaunch(g);
    const r = await run([...setprivArgv(spec), 'grep', '^CapEff', '/proc/self/status']);
    assert.equal(r.code, 0, r.stderr);
    assert.notEqual(BigInt(`0x${r.stdout.split(/\s+/)[1]}`), 0n);
  });

  test('real QEMU runs as the test user with no capabilities, opens its own disk, cannot open another guest\'s', async () => {
    const m = await mgr();
    const g: GuestSecurityInput = {
      name: 'guest1', uuid: '33333333-3333-4333-8333-333333333333', virtType: 'qemu', seclabels: [],
      paths: collectGuestPaths({ name: 'guest1', id: 1, emulator: QEMU, disks: [{ path: disk, target: 'vda' }] }),
    };
    await m.genLabel(g);
    const spec = await m.processLaunch(g);
    assert.deepEqual(await preflight(g.paths, spec, { dacRelabel: true }), []);
    await m.setAllLabel(g);
    assert.equal(statSync(disk).uid, q.uid);
    const argv = [...setprivArgv(spec), QEMU, '-machine', 'none', '-nodefaults', '-display', 'none', '-monitor', 'none', '-serial', 'none',
      '-blockdev', `driver=file,filename=${disk},node-name=d0`];
    const child = spawn(argv[0], argv.slice(1), { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr!.on('data', (d) => (stderr += d));
    try {
      await waitFor(() => child.exitCode !== null || (existsSync(`/proc/${child.pid}`) && procStatus(child.pid!).Name.startsWith('qemu')), 10000);
      await new Promise((r) => setTimeout(r, 300)); // let it open the image (it exits if it cannot)
      assert.equal(child.exitCode, null, `QEMU exited: ${stderr}`);
      const st = procStatus(child.pid!);
      assert.equal(Number(st.Uid.split(/\s+/)[1]), q.uid);
      assert.equal(Number(st.Gid.split(/\s+/)[1]), q.gid);
      assert.equal(BigInt(`0x${st.CapEff}`), 0n);
    } finally {
      await killAndWait(child);
    }
    assert.deepEqual(await m.restoreAllLabel(g), []);
    assert.equal(statSync(disk).uid, 0);

    // the second guest's disk, never given to this guest
    const bad = await run([...setprivArgv(spec), QEMU, '-machine', 'none', '-nodefaults', '-display', 'none', '-monitor', 'none', '-serial', 'none',
      '-blockdev', `driver=file,filename=${otherDisk},node-name=d0`], { timeoutMs: 15000 });
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /Permission denied/);
    const cat = await run([...setprivArgv(spec), 'cat', otherDisk]);
    assert.notEqual(cat.code, 0);
    assert.match(cat.stderr, /Permission denied/);
  });

  test('preflight names the parent directory without o+x, before QEMU is started', async () => {
    const hidden = join(t.dir, 'home', 'alice', 'vms');
    mkdirSync(hidden, { recursive: true });
    chmodSync(join(t.dir, 'home'), 0o755);
    chmodSync(join(t.dir, 'home', 'alice'), 0o750); // like a typical $HOME
    chownSync(join(t.dir, 'home', 'alice'), 1234, 1234);
    const img = join(hidden, 'disk.img');
    writeFileSync(img, '');
    const m = await mgr();
    const paths = collectGuestPaths({ name: 'vm', id: 3, disks: [{ path: img, target: 'vda' }], kernel: join(t.dir, 'missing-kernel') });
    const g: GuestSecurityInput = { name: 'vm', uuid: '44444444-4444-4444-8444-444444444444', virtType: 'qemu', seclabels: [], paths };
    await m.genLabel(g);
    const spec = await m.processLaunch(g);
    const problems = await preflight(paths, spec, { dacRelabel: true });
    assert.equal(problems.length, 2);
    assert.equal(problems[0].blocker, join(t.dir, 'home', 'alice'));
    assert.equal(problems[0].fix, `chmod o+x ${join(t.dir, 'home', 'alice')}`);
    assert.match(problems[0].message, new RegExp(`directory ${join(t.dir, 'home', 'alice')} .*mode 0750.* no search \\(x\\) permission`));
    assert.match(problems[1].message, /os\/kernel .*missing-kernel does not exist/);
    const text = formatPreflight('vm', problems);
    assert.match(text, /fix: chmod o\+x .*home\/alice/);

    // the same check as the kernel does it: the dropped process really cannot reach the image
    const r = await run([...setprivArgv(spec), 'cat', img]);
    assert.match(r.stderr, /Permission denied/);
    chmodSync(join(t.dir, 'home', 'alice'), 0o751);
    assert.deepEqual((await preflight(paths.filter((p) => p.kind === 'disk'), spec, { dacRelabel: true })).length, 0);
  });

  test('preflight: a file QEMU must write that it will not own, and a socket directory it cannot write', async () => {
    const ro = join(t.dir, 'rw-by-root.img');
    writeFileSync(ro, '');
    chmodSync(ro, 0o644);
    const sockDir = join(t.dir, 'sockets');
    mkdirSync(sockDir, { mode: 0o755 });
    const id = { uid: q.uid, gid: q.gid, groups: [q.gid] };
    const problems = await preflight([
      { path: ro, kind: 'disk', origin: 'disk vdb' },
      { path: join(sockDir, 'qga.sock'), kind: 'socket', create: true, origin: 'channel' },
    ], id, { dacRelabel: false });
    assert.equal(problems.length, 2);
    assert.match(problems[0].message, /cannot write disk vdb/);
    assert.equal(problems[0].fix, `chmod o+w ${ro}`);
    assert.equal(problems[1].blocker, sockDir);
    assert.match(problems[1].message, /cannot create channel .*not writable/);
    // with dynamic ownership the disk becomes QEMU's, so it is fine
    assert.equal((await preflight([{ path: ro, kind: 'disk' }], id, { dacRelabel: true })).length, 0);
  });
});
