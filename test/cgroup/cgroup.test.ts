// Per-guest cgroups on the real v1 hierarchies of this host (as root): the devices controller lists
// exactly the ACL, a block device outside it cannot be opened from inside the cgroup, tuning knobs are
// written, the cgroup is gone after stop. Names as libvirt 9 forms them. A v2-only layout (fake tree)
// gets tuning and a clear refusal for the device ACL.
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  DEFAULT_DEVICE_ACL,
  computeDeviceAcl,
  createDomainCgroup,
  createGuestCgroup,
  detectLayout,
  directCgroupPath,
  formatRule,
  guestCgroupPath,
  machineName,
  openGuestCgroup,
  parseMountinfo,
  removeDomainCgroup,
  systemdScopePath,
} from '../../src/cgroup/index.js';

const isRoot = process.getuid?.() === 0;
const layout = detectLayout();
const skip = !isRoot ? 'needs root' : !layout.v1.devices ? 'the v1 devices controller is not mounted here' : false;

function run(argv: string[]): Promise<{ code: number | null; stderr: string; stdout: string }> {
  return new Promise((resolve) => {
    const c = spawn(argv[0], argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    let stdout = '';
    c.stdout.on('data', (d) => (stdout += d));
    c.stderr.on('data', (d) => (stderr += d));
    c.on('close', (code) => resolve({ code, stderr, stdout }));
  });
}

describe('names', () => {
  test('machine names as libvirt 9 generates them', () => {
    assert.equal(machineName(1, 'vm1', { privileged: true }), 'qemu-1-vm1');
    assert.equal(machineName(7, 'my_VM.with..dots--and spaces', { privileged: true }), 'qemu-7-myVM.with.dots-andspaces');
    assert.equal(machineName(3, 'x', { privileged: false, userName: 'alice' }), 'qemu-alice-3-x');
    const h = execFileSync('sh', ['-c', "printf %s /srv/embed | sha256sum | cut -c1-8"], { encoding: 'utf8' }).trim();
    assert.equal(machineName(2, 'vm', { privileged: true, root: '/srv/embed' }), `qemu-embed-${h}-2-vm`);
    assert.equal(machineName(1, 'a'.repeat(100), { privileged: true }).length, 64);
    assert.equal(machineName(1, 'trailing-', { privileged: true }), 'qemu-1-trailing');
  });
  test('cgroup paths: direct (no machined) and the systemd scope', () => {
    assert.equal(directCgroupPath('qemu-1-vm1'), '/machine/qemu-1-vm1.libvirt-qemu');
    assert.equal(systemdScopePath('qemu-1-vm1'), '/machine.slice/machine-qemu\\x2d1\\x2dvm1.scope');
    assert.equal(guestCgroupPath({ id: 4, name: 'web' }, { privileged: true }), '/machine/qemu-4-web.libvirt-qemu');
  });
  test('mountinfo parsing: v1 controllers and the v2 mount', () => {
    const l = parseMountinfo([
      '35 30 0:32 / /sys/fs/cgroup/devices rw,relatime - cgroup cgroup rw,devices',
      '31 30 0:28 / /sys/fs/cgroup/cpu,cpuacct rw,relatime - cgroup cgroup rw,cpu,cpuacct',
      '40 30 0:37 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw',
      '39 30 0:36 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,name=systemd',
    ].join('\n'));
    assert.deepEqual(l.v1, { devices: '/sys/fs/cgroup/devices', cpu: '/sys/fs/cgroup/cpu,cpuacct', cpuacct: '/sys/fs/cgroup/cpu,cpuacct' });
    assert.equal(l.v2, '/sys/fs/cgroup/unified');
  });
  test('the default ACL is libvirt 9\'s', () => {
    assert.deepEqual([...DEFAULT_DEVICE_ACL], ['/dev/null', '/dev/full', '/dev/zero', '/dev/random', '/dev/urandom', '/dev/ptmx', '/dev/kvm', '/dev/userfaultfd']);
  });
});

describe('cgroup v1 device ACL on this host', { skip }, () => {
  let tmp: string;
  let allowedBlk: string;
  let deniedBlk: string;
  before(() => {
    tmp = mkdtempSync(join(tmpdir(), 'tsvirt-cg-'));
    // two block device nodes of the loop driver (major 7): one the guest is given, one it is not
    allowedBlk = join(tmp, 'blk-given');
    deniedBlk = join(tmp, 'blk-other');
    execFileSync('mknod', [allowedBlk, 'b', '7', '250']);
    execFileSync('mknod', [deniedBlk, 'b', '7', '251']);
  });
  after(() => rmSync(tmp, { recursive: true, force: true }));

  test('devices.list is exactly the ACL; a block device not in the guest XML is denied', async () => {
    const guest = { id: 900 + (process.pid % 50), name: `acl-test-${process.pid}`, devices: [{ path: allowedBlk }] };
    const opts = { privileged: true, deviceAcl: DEFAULT_DEVICE_ACL, layout };
    const cg = await createGuestCgroup(guest, opts);
    assert.ok(cg);
    try {
      assert.equal(cg.path, `/machine/qemu-${guest.id}-acl-test-${process.pid}.libvirt-qemu`);
      assert.ok(existsSync(`/sys/fs/cgroup/devices${cg.path}`));
      const expected = await computeDeviceAcl(DEFAULT_DEVICE_ACL, guest.devices);
      // present here: null, full, zero, random, urandom, ptmx, userfaultfd (no /dev/kvm), the given disk, PTYs
      const present = DEFAULT_DEVICE_ACL.filter((p) => existsSync(p)).length;
      assert.equal(expected.length, present + 2);
      assert.ok(expected.some((r) => r.type === 'b' && r.major === 7 && r.minor === 250 && r.perms === 'rw'));
      assert.ok(expected.some((r) => formatRule(r) === 'c 136:* rw'));
      const listed = (await cg.deviceList()).map(formatRule).sort();
      assert.deepEqual(listed, expected.map(formatRule).sort());

      // a process inside the cgroup: /dev/null works, the given block device passes the ACL (ENXIO: an
      // unbound loop minor), the other one is refused by the cgroup (EPERM)
      const probe = (dev: string) => run(cg.wrapArgv(['sh', '-c', `exec 3<${dev} && echo opened`]));
      const nul = await probe('/dev/null');
      assert.equal(nul.stdout.trim(), 'opened', nul.stderr);
      const given = await probe(allowedBlk);
      assert.doesNotMatch(given.stderr, /Operation not permitted/);
      const other = await probe(deniedBlk);
      assert.notEqual(other.code, 0);
      assert.match(other.stderr, /Operation not permitted/);
      // outside the cgroup the same node is not refused by permissions
      const outside = await run(['sh', '-c', `exec 3<${deniedBlk} && echo opened`]);
      assert.doesNotMatch(outside.stderr, /Operation not permitted/);

      // hotplug: allowing the node later lets it through
      const rule = (await computeDeviceAcl([], [{ path: deniedBlk, readonly: true }])).find((r) => r.type === 'b')!;
      await cg.allowDevice(rule);
      assert.ok((await cg.deviceList()).some((r) => formatRule(r) === 'b 7:251 r'));
      assert.doesNotMatch((await probe(deniedBlk)).stderr, /Operation not permitted/);
      await cg.denyDevice(rule);
      assert.match((await probe(deniedBlk)).stderr, /Operation not permitted/);

      // reconnect finds the same cgroup
      const again = openGuestCgroup(guest, opts);
      assert.equal(again?.v1Dirs.devices, cg.v1Dirs.devices);
    } finally {
      await removeDomainCgroup(cg);
    }
    for (const d of cg.dirs()) assert.equal(existsSync(d), false, `${d} removed`);
  });

  test('cpu and memory tuning land in the controllers; the cgroup is removed after the process exits', async () => {
    const path = `/machine/qemu-tune-${process.pid}.libvirt-qemu`;
    const cg = await createDomainCgroup(path, {
      layout,
      tuning: { cpuShares: 512, cpuPeriod: 100000, cpuQuota: 50000, memoryHardLimitKiB: 262144, memorySoftLimitKiB: 131072 },
    });
    try {
      if (cg.v1Dirs.cpu) {
        assert.equal(readFileSync(`${cg.v1Dirs.cpu}/cpu.shares`, 'utf8').trim(), '512');
        assert.equal(readFileSync(`${cg.v1Dirs.cpu}/cpu.cfs_quota_us`, 'utf8').trim(), '50000');
      }
      if (cg.v1Dirs.memory) assert.equal(readFileSync(`${cg.v1Dirs.memory}/memory.limit_in_bytes`, 'utf8').trim(), String(262144 * 1024));
      if (cg.v1Dirs.cpuset) assert.notEqual(readFileSync(`${cg.v1Dirs.cpuset}/cpuset.cpus`, 'utf8').trim(), '');
      const child = spawn('sleep', ['30'], { stdio: 'ignore' });
      await cg.addProcess(child.pid!);
      assert.deepEqual(await cg.pids(), [child.pid]);
      assert.match(readFileSync(`/proc/${child.pid}/cgroup`, 'utf8'), new RegExp(`devices:${path.replace(/\./g, '\\.')}`));
      await new Promise<void>((r) => {
        child.once('exit', () => r());
        child.kill('SIGKILL');
      });
    } finally {
      await removeDomainCgroup(cg);
    }
    for (const d of cg.dirs()) assert.equal(existsSync(d), false);
  });

  test('an unprivileged driver creates no cgroup', async () => {
    assert.equal(await createGuestCgroup({ id: 1, name: 'x', devices: [] }, { privileged: false, deviceAcl: DEFAULT_DEVICE_ACL }), undefined);
  });
});

describe('cgroup v2 only (fake tree)', () => {
  let root: string;
  before(() => {
    root = mkdtempSync(join(tmpdir(), 'tsvirt-cg2-'));
    writeFileSync(join(root, 'cgroup.controllers'), 'cpuset cpu io memory pids\n');
    writeFileSync(join(root, 'cgroup.subtree_control'), '');
  });
  after(() => rmSync(root, { recursive: true, force: true }));

  test('tuning uses the v2 knobs', async () => {
    const l = { v1: {}, v2: root, v2Controllers: ['cpuset', 'cpu', 'io', 'memory', 'pids'] };
    const cg = await createDomainCgroup('/machine/qemu-1-v2.libvirt-qemu', {
      layout: l, controllers: ['cpu', 'memory'],
    });
    assert.equal(cg.v2Dir, `${root}/machine/qemu-1-v2.libvirt-qemu`);
    writeFileSync(`${cg.v2Dir}/cgroup.controllers`, 'cpu memory\n'); // the kernel would provide it
    await (await import('../../src/cgroup/index.js')).applyTuning(cg, { cpuShares: 2048, cpuQuota: 20000, cpuPeriod: 100000, memoryHardLimitKiB: 1024 });
    assert.equal(readFileSync(`${cg.v2Dir}/cpu.weight`, 'utf8'), '2048');
    assert.equal(readFileSync(`${cg.v2Dir}/cpu.max`, 'utf8'), '20000 100000');
    assert.equal(readFileSync(`${cg.v2Dir}/memory.max`, 'utf8'), String(1024 * 1024));
    assert.match(readFileSync(`${root}/cgroup.subtree_control`, 'utf8'), /\+(cpu|memory)/);
  });

  test('a device ACL on v2 is refused clearly, and nothing is left behind', async () => {
    const l = { v1: {}, v2: root, v2Controllers: ['cpu', 'memory'] };
    mkdirSync(join(root, 'machine'), { recursive: true });
    await assert.rejects(
      createDomainCgroup('/machine/qemu-2-dev.libvirt-qemu', { layout: l, deviceAcl: await computeDeviceAcl(DEFAULT_DEVICE_ACL, []) }),
      (e: Error & { code?: number }) => {
        assert.match(e.message, /cannot enforce the device ACL .* on cgroup v2: that needs an eBPF device program/);
        assert.match(e.message, /cgroup_controllers/);
        return true;
      },
    );
    assert.equal(existsSync(join(root, 'machine/qemu-2-dev.libvirt-qemu')), false);
  });
});
