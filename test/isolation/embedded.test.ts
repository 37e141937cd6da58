// Issue 5 acceptance, privileged embedded root (root opens qemu:///embed?root=R with user/group of
// R/etc/qemu.conf set to the test account): real QEMU (TCG) runs as that account without capabilities
// inside its devices cgroup; disks are owned by it while the guest runs and given back after stop, also
// when the driver process was killed in between; QEMU cannot open another guest's image; preflight
// names a directory without o+x (CLI and failed start); SELinux is refused on this host and the MCS
// computation is shown on the driver's live definitions; AppArmor profiles for a started guest parse.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { guestCgroupPath } from '../../src/cgroup/index.js';
import { DomainState } from '../../src/driver/constants.js';
import { type Connection, connect } from '../../src/index.js';
import type { QemuDriver } from '../../src/qemu/driver/index.js';
import { guestInput } from '../../src/qemu/driver/isolation.js';
import { AppArmorDriver, type SecLabel, SelinuxDriver, type SelinuxKernel } from '../../src/security/index.js';
import { VirError } from '../../src/util/errors.js';
import { CLI_PATH, makeTempRoot, REPO_ROOT, type TempRoot } from '../helpers/guest.js';
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
  prepareEmbedRoot,
  qemuConf,
  run,
  runInCgroup,
  statusPid,
  ZERO_CAPS,
} from './helpers.js';

const skip = isRoot ? false : 'needs root (privileged embedded driver, setpriv, chown, cgroups)';

describe('isolation: privileged embedded root, QEMU as the test account', { skip, timeout: 300_000 }, () => {
  let root: TempRoot;
  let conn: Connection;
  let img: Images;
  let ids: { uid: number; gid: number };
  let diskA: string;
  let diskB: string;
  const stateDir = () => join(root.path, 'run/qemu');
  const drv = () => conn.driver as QemuDriver;

  before(async () => {
    ({ ids, img, diskA, diskB } = await isolationImages('iso-embed'));
    root = await makeTempRoot();
    prepareEmbedRoot(root.path);
    conn = await connect(root.uri);
    await conn.defineXML(diskGuestXML('iso-a', img, diskA));
    await conn.defineXML(diskGuestXML('iso-b', img, diskB));
  });
  after(async () => {
    if (conn) {
      for (const d of await conn.listAllDomains(1)) await d.destroy().catch(() => {});
      await conn.close();
    }
    img?.cleanup();
    await root?.remove();
  });

  test('QEMU runs as the configured uid/gid with no capabilities; the disk is its own while running, given back after stop', async () => {
    const dom = await conn.lookupByName('iso-a');
    assert.equal(owner(diskA), `${ORIG_UID}:${ORIG_GID}`);
    await dom.create();
    const pid = statusPid(stateDir(), 'iso-a');
    const id = identity(pid);
    console.log(`QEMU pid ${pid}: Uid ${id.uid} | Gid ${id.gid} | Groups '${id.groups}' | CapEff ${id.capEff} CapPrm ${id.capPrm} CapBnd ${id.capBnd}`);
    assertTestAccountWithoutCaps(id, ids);
    assert.equal(id.capBnd, ZERO_CAPS);
    assert.match(readFileSync(`/proc/${pid}/cmdline`, 'utf8'), /qemu-system-x86_64/);
    assert.equal(owner(diskA), `${ids.uid}:${ids.gid}`, 'disk owned by the QEMU user while running');
    // The per-domain directory (monitor socket, master key) belongs to QEMU's user too.
    const libDir = join(root.path, `lib/qemu/domain-${dom.id === -1 ? await dom.getID() : dom.id}-iso-a`);
    assert.equal(owner(libDir), `${ids.uid}:${ids.gid}`);
    assert.equal(owner(join(libDir, 'master-key.aes')), `${ids.uid}:${ids.gid}`);
    // The DAC label is in the live XML (and the status XML, for reconnecting).
    const live = await dom.getXMLDesc();
    assert.match(live, new RegExp(`<seclabel type='dynamic' model='dac' relabel='yes'>\\s*<label>\\+${ids.uid}:\\+${ids.gid}</label>`));
    assert.match(readFileSync(join(stateDir(), 'iso-a.xml'), 'utf8'), /model='dac'/);
    assert.doesNotMatch(await dom.getXMLDesc(2), /<seclabel/, 'inactive XML has no generated labels');
    await dom.destroy();
    assert.equal((await dom.getState()).state, DomainState.SHUTOFF);
    assert.equal(owner(diskA), `${ORIG_UID}:${ORIG_GID}`, 'original owner back after stop');
  });

  test('devices cgroup: exactly the ACL; a block device not in the XML is denied', async () => {
    const dom = await conn.lookupByName('iso-a');
    await dom.create();
    const pid = statusPid(stateDir(), 'iso-a');
    const id = await dom.getID();
    const path = guestCgroupPath({ id, name: 'iso-a' }, { privileged: true, root: root.path });
    assert.equal(devicesCgroupOf(pid), path, 'QEMU is in the guest cgroup');
    const dir = `/sys/fs/cgroup/devices${path}`;
    const list = readFileSync(join(dir, 'devices.list'), 'utf8').trim().split('\n').sort();
    console.log(`devices.list of ${path}:\n  ${list.join('\n  ')}`);
    assert.deepEqual(list, expectedDefaultAcl());
    assert.ok(!list.some((l) => l.startsWith('b ')), 'no block device allowed');
    // /dev/loop0 is not in the guest XML: inside the guest's cgroup even root cannot open it.
    const inside = runInCgroup(dir, ['dd', 'if=/dev/loop0', 'of=/dev/null', 'count=1', 'status=none']);
    console.log(`open /dev/loop0 inside the cgroup: ${inside.stderr.trim()}`);
    assert.notEqual(inside.code, 0);
    assert.match(inside.stderr, /Operation not permitted/);
    const outside = await run(['dd', 'if=/dev/loop0', 'of=/dev/null', 'count=1', 'status=none']);
    assert.doesNotMatch(outside.stderr, /Operation not permitted/, 'outside the cgroup the device node is not refused by the cgroup');
    await dom.destroy();
    assert.equal(existsSync(dir), false, 'cgroup removed after stop');
  });

  test('a guest cannot open an image it was not given: QEMU gets EACCES on the other guest\'s disk', async () => {
    const dom = await conn.lookupByName('iso-a');
    await dom.create();
    const reply = await dom.qemuMonitorCommand(
      JSON.stringify({ execute: 'blockdev-add', arguments: { driver: 'file', 'node-name': 'steal', filename: diskB, 'read-only': true } }),
    );
    console.log(`QEMU (iso-a) opening iso-b's disk: ${reply}`);
    assert.match(reply, /"error"/);
    assert.match(reply, /Permission denied/);
    // Its own disk it can open again (the cgroup and DAC let it).
    const own = await dom.qemuMonitorCommand(
      JSON.stringify({ execute: 'blockdev-add', arguments: { driver: 'file', 'node-name': 'again', filename: diskA, 'read-only': true } }),
    );
    assert.match(own, /"return"/);
    await dom.destroy();
  });

  test('preflight names the directory without o+x: domain-preflight and a failed start; nothing is started or relabelled', async () => {
    const dir = join(img.dir, 'private-b');
    const cli = await run([process.execPath, CLI_PATH, '-c', root.uri, 'domain-preflight', 'iso-b']);
    console.log(`tsvirt domain-preflight iso-b (exit ${cli.code}):\n${cli.stdout}`);
    assert.equal(cli.code, 1);
    assert.match(cli.stdout, new RegExp(`directory ${dir} \\(owner 0:0, mode 0700\\) has no search \\(x\\) permission`));
    assert.match(cli.stdout, new RegExp(`fix: chmod o\\+x ${dir}`));
    const ok = await run([process.execPath, CLI_PATH, '-c', root.uri, 'domain-preflight', 'iso-a']);
    assert.equal(ok.code, 0, ok.stderr);
    assert.equal(ok.stdout.trimEnd(), "Domain 'iso-a': preflight found no problems");
    const dom = await conn.lookupByName('iso-b');
    const err = await dom.create().then(() => null, (e: unknown) => e);
    assert.ok(err instanceof VirError, String(err));
    console.log(`start iso-b: ${err.message}`);
    assert.match(err.message, new RegExp(`directory ${dir} .*has no search \\(x\\) permission`));
    assert.equal((await dom.getState()).state, DomainState.SHUTOFF);
    assert.equal(existsSync(join(root.path, 'log/qemu/iso-b.log')), false, 'QEMU was never started');
    assert.equal(owner(diskB), `${ORIG_UID}:${ORIG_GID}`, 'nothing relabelled');
  });

  test('driver killed while the guest runs: a new driver reconnects, keeps the label reserved, and gives the disk back at stop', async () => {
    await conn.close();
    let reopened = false;
    try {
    // A separate process starts the guest and is SIGKILLed: no cleanup of any kind.
    const script = `import { connect } from ${JSON.stringify(join(REPO_ROOT, 'dist/src/index.js'))};
      const c = await connect(${JSON.stringify(root.uri)}); await (await c.lookupByName('iso-a')).create();
      process.stdout.write('started\\n'); process.kill(process.pid, 'SIGKILL');`;
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (b) => (out += b));
    child.stderr.on('data', (b) => (out += b));
    const sig = await new Promise((r) => child.on('exit', (_c, s) => r(s)));
    assert.equal(sig, 'SIGKILL', out);
    assert.match(out, /started/);
    const pid = statusPid(stateDir(), 'iso-a');
    assert.equal(identity(pid).capEff, ZERO_CAPS);
    assert.equal(owner(diskA), `${ids.uid}:${ids.gid}`);
    conn = await connect(root.uri);
    reopened = true;
    const dom = await conn.lookupByName('iso-a');
    assert.equal((await dom.getState()).state, DomainState.RUNNING);
    assert.match(await dom.getXMLDesc(), /model='dac'/);
    await dom.destroy();
    assert.equal(owner(diskA), `${ORIG_UID}:${ORIG_GID}`, 'original owner back after stop by the new driver');
    } finally {
      if (!reopened) conn = await connect(root.uri);
    }
  });

  test('SELinux: refused on this host; MCS pairs of two running guests differ (label computation on the live definitions)', async () => {
    const r2 = await makeTempRoot();
    try {
      prepareEmbedRoot(r2.path, qemuConf('security_driver = "selinux"\n'));
      const e = await connect(r2.uri).then(() => null, (x: unknown) => x);
      assert.ok(e instanceof VirError, String(e));
      console.log(`security_driver="selinux": ${e.message}`);
      assert.match(e.message, /Security driver selinux not enabled/);
    } finally {
      await r2.remove();
    }
    const a = await conn.lookupByName('iso-a');
    await a.create();
    const b = await conn.createXML(diskGuestXML('iso-c', img, img.disk('c.img')));
    try {
      // What the SELinux driver would assign to these two guests (a policy-less kernel stand-in: this
      // host has no SELinux, so nothing is applied; the allocation is the driver's own code).
      const kernel: SelinuxKernel = {
        enabled: () => true,
        currentContext: () => 'system_u:system_r:virtd_t:s0-s0:c0.c1023',
        getFileLabel: async () => undefined,
        setFileLabel: async () => {},
        defaultFileLabel: async () => undefined,
        policyContextFile: () => undefined,
      };
      const se = new SelinuxDriver({ kernel, rememberOwner: false });
      const labels: string[] = [];
      for (const d of [a, b]) {
        const o = drv().state.domains.findByName(d.name);
        if (!o?.isActive()) throw new Error(`${d.name} is not running`);
        const g = guestInput(drv().state, o.def);
        const sec: SecLabel = { model: 'selinux', type: 'dynamic', relabel: true };
        await se.genLabel(g, sec);
        labels.push(sec.label ?? '');
      }
      console.log(`MCS labels: ${labels.join(' | ')}`);
      const cats = labels.map((l) => l.split(':').slice(3).join(':'));
      assert.match(cats[0], /^s0:c\d+,c\d+$/);
      assert.notEqual(cats[0], cats[1]);
    } finally {
      await a.destroy();
      await b.destroy();
    }
  });

  test('AppArmor: the profile generated for a started guest passes apparmor_parser -Q', async (t) => {
    if ((await run(['apparmor_parser', '--version'])).code !== 0) return t.skip('apparmor_parser not installed');
    const dom = await conn.lookupByName('iso-a');
    await dom.create();
    try {
      const o = drv().state.domains.findByName('iso-a');
      if (!o?.isActive()) throw new Error('iso-a is not running');
      const g = guestInput(drv().state, o.def);
      const profilesDir = join(img.dir, 'apparmor');
      const aa = new AppArmorDriver({ profilesDir, kernel: false });
      const sec: SecLabel = { model: 'apparmor', type: 'dynamic', relabel: true };
      await aa.genLabel(g, sec);
      await aa.setAllLabel(g, sec);
      const prof = join(profilesDir, sec.label ?? '');
      const files = readFileSync(`${prof}.files`, 'utf8');
      for (const p of [diskA, img.kernel, img.initrd]) assert.ok(files.includes(`"${p}" `), `${p} in ${files}`);
      assert.match(files, /domain-\d+-iso-a\/\*\*" rwk,/);
      const r = await aa.parse(['-Q', '-K', prof]);
      assert.equal(r.code, 0, r.stderr);
    } finally {
      await dom.destroy();
    }
  });
});
