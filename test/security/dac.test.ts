// DAC on real files as root: chown to the QEMU user, the original owner remembered in
// trusted.libvirt.security.* with a reference count, given back after stop — also by a fresh manager
// (daemon restart) — shared/readonly handling, dynamic_ownership=0, relabel='no', sessions.
import assert from 'node:assert/strict';
import { chownSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { getAttribute, listAttributes, setAttribute } from '@napi-rs/xattr';
import {
  type GuestPath,
  type GuestSecurityInput,
  type SecurityConfig,
  createSecurityManager,
  hostBootTime,
  peekRemembered,
  recallLabel,
  rememberLabel,
} from '../../src/security/index.js';
import { HostSelinux } from '../../src/security/selinux-kernel.js';
import { TEST_USER, ensureTestUser, isRoot, tempTree } from './helpers.js';

const skip = isRoot ? false : 'needs root (chown, trusted.* xattrs)';

function cfg(over: Partial<SecurityConfig> = {}): SecurityConfig {
  return {
    user: TEST_USER, group: TEST_USER, dynamicOwnership: true, rememberOwner: true,
    securityDriverNames: ['none'], securityDefaultConfined: true, securityRequireConfined: false, ...over,
  };
}
const host = { selinux: new HostSelinux(), apparmorEnabled: false };
const mgrFor = (c: SecurityConfig, privileged = true) =>
  createSecurityManager(c, { privileged, mode: privileged ? 'system' : 'session' }, host);

function guest(name: string, paths: GuestPath[]): GuestSecurityInput {
  return { name, uuid: '00000000-0000-4000-8000-000000000001', virtType: 'qemu', seclabels: [], paths };
}
const owner = (p: string) => {
  const s = statSync(p);
  return `${s.uid}:${s.gid}`;
};

describe('remembered labels (xattr scheme)', { skip }, () => {
  let t: ReturnType<typeof tempTree>;
  before(() => (t = tempTree('remember')));
  after(() => t.cleanup());

  test('first remember stores label, count and boot time; later ones count; recall at zero returns the label', async () => {
    const f = join(t.dir, 'img');
    writeFileSync(f, '');
    assert.equal(await rememberLabel('dac', f, '+1234:+1235'), 1);
    assert.equal((await getAttribute(f, 'trusted.libvirt.security.dac'))?.toString(), '+1234:+1235');
    assert.equal((await getAttribute(f, 'trusted.libvirt.security.ref_dac'))?.toString(), '1');
    assert.equal((await getAttribute(f, 'trusted.libvirt.security.timestamp_dac'))?.toString(), hostBootTime());
    assert.equal(await rememberLabel('dac', f, '+9:+9'), 2, 'second user only increments');
    assert.equal((await getAttribute(f, 'trusted.libvirt.security.dac'))?.toString(), '+1234:+1235');
    assert.deepEqual(await recallLabel('dac', f), { refcount: 1 });
    assert.deepEqual(await recallLabel('dac', f), { label: '+1234:+1235', refcount: 0 });
    assert.deepEqual((await listAttributes(f)).filter((a) => a.startsWith('trusted.libvirt')), []);
    assert.equal(await recallLabel('dac', f), 'none');
  });

  test('attributes from an earlier boot are stale and dropped', async () => {
    const f = join(t.dir, 'stale');
    writeFileSync(f, '');
    await setAttribute(f, 'trusted.libvirt.security.dac', '+5:+5');
    await setAttribute(f, 'trusted.libvirt.security.ref_dac', '3');
    await setAttribute(f, 'trusted.libvirt.security.timestamp_dac', '12345');
    assert.equal(await recallLabel('dac', f), 'none');
    assert.deepEqual(await peekRemembered('dac', f), { label: undefined, refcount: undefined, timestamp: undefined });
    assert.equal(await rememberLabel('dac', f, '+6:+6'), 1, 'a fresh count starts after stale data');
  });
});

describe('DAC ownership', { skip }, () => {
  let t: ReturnType<typeof tempTree>;
  let q: { uid: number; gid: number };
  before(() => {
    q = ensureTestUser();
    t = tempTree('dac');
  });
  after(() => t.cleanup());

  const file = (name: string, uid = 1234, gid = 1235) => {
    const p = join(t.dir, name);
    writeFileSync(p, 'x');
    chownSync(p, uid, gid);
    return p;
  };

  test('exclusive files go to the QEMU user and back to their owner, across a daemon restart', async () => {
    const disk = file('disk.img');
    const kernel = file('vmlinuz', 1300, 1301);
    const nvram = file('VARS.fd', 1400, 1401);
    const g = guest('vm1', [
      { path: disk, kind: 'disk' },
      { path: kernel, kind: 'kernel', readonly: true },
      { path: nvram, kind: 'nvram' },
    ]);
    const m1 = await mgrFor(cfg());
    await m1.genLabel(g);
    const dac = g.seclabels.find((s) => s.model === 'dac')!;
    assert.equal(dac.label, `+${q.uid}:+${q.gid}`);
    assert.equal(dac.imagelabel, dac.label);
    await m1.setAllLabel(g);
    for (const p of [disk, kernel, nvram]) assert.equal(owner(p), `${q.uid}:${q.gid}`, p);
    assert.deepEqual(await peekRemembered('dac', disk), { label: '+1234:+1235', refcount: 1, timestamp: hostBootTime() });

    // "daemon killed and restarted": a new manager, labels read back from the status XML
    const m2 = await mgrFor(cfg());
    const g2 = guest('vm1', g.paths);
    g2.seclabels = structuredClone(g.seclabels);
    await m2.reserveLabel(g2);
    assert.deepEqual(await m2.restoreAllLabel(g2), []);
    assert.equal(owner(disk), '1234:1235');
    assert.equal(owner(kernel), '1300:1301');
    assert.equal(owner(nvram), '1400:1401');
    assert.deepEqual((await listAttributes(disk)).filter((a) => a.startsWith('trusted.libvirt')), []);
  });

  test('a file used by two guests is restored only when the last one stops', async () => {
    const kernel = file('shared-kernel', 1500, 1501);
    const g1 = guest('a', [{ path: kernel, kind: 'kernel', readonly: true }]);
    const g2 = guest('b', [{ path: kernel, kind: 'kernel', readonly: true }]);
    const m = await mgrFor(cfg());
    await m.genLabel(g1);
    await m.genLabel(g2);
    await m.setAllLabel(g1);
    await m.setAllLabel(g2);
    assert.equal((await peekRemembered('dac', kernel)).refcount, 2);
    await m.restoreAllLabel(g1);
    assert.equal(owner(kernel), `${q.uid}:${q.gid}`, 'still in use by b');
    await m.restoreAllLabel(g2);
    assert.equal(owner(kernel), '1500:1501');
  });

  test('shared and read-only disks are chowned, not remembered, never restored', async () => {
    const shared = file('shared.img');
    const ro = file('cd.iso');
    const backing = file('base.qcow2');
    const g = guest('c', [
      { path: shared, kind: 'disk', shared: true },
      { path: ro, kind: 'disk', readonly: true },
      { path: backing, kind: 'backing', readonly: true, shared: true },
    ]);
    const m = await mgrFor(cfg());
    await m.genLabel(g);
    await m.setAllLabel(g);
    for (const p of [shared, ro, backing]) {
      assert.equal(owner(p), `${q.uid}:${q.gid}`);
      assert.deepEqual(await peekRemembered('dac', p), { label: undefined, refcount: undefined, timestamp: undefined });
    }
    await m.restoreAllLabel(g);
    for (const p of [shared, ro, backing]) assert.equal(owner(p), `${q.uid}:${q.gid}`, 'left to the QEMU user');
  });

  test("dynamic_ownership=0, relabel='no' and <source><seclabel relabel='no'/> leave files alone", async () => {
    const a = file('a.img');
    const b = file('b.img');
    const m0 = await mgrFor(cfg({ dynamicOwnership: false }));
    const g0 = guest('d', [{ path: a, kind: 'disk' }]);
    await m0.genLabel(g0);
    await m0.setAllLabel(g0);
    assert.equal(owner(a), '1234:1235');

    const m = await mgrFor(cfg());
    const g1 = guest('e', [{ path: a, kind: 'disk' }]);
    g1.seclabels.push({ model: 'dac', type: 'dynamic', relabel: false });
    await m.genLabel(g1);
    await m.setAllLabel(g1);
    assert.equal(owner(a), '1234:1235');

    const g2 = guest('f', [{ path: a, kind: 'disk', norelabel: true }, { path: b, kind: 'disk' }]);
    await m.genLabel(g2);
    await m.setAllLabel(g2);
    assert.equal(owner(a), '1234:1235');
    assert.equal(owner(b), `${q.uid}:${q.gid}`);
    await m.restoreAllLabel(g2);
    assert.equal(owner(b), '1234:1235');
  });

  test('remember_owner=0 gives files to root:root after stop, like libvirt', async () => {
    const a = file('noremember.img');
    const m = await mgrFor(cfg({ rememberOwner: false }));
    const g = guest('g', [{ path: a, kind: 'disk' }]);
    await m.genLabel(g);
    await m.setAllLabel(g);
    assert.equal(owner(a), `${q.uid}:${q.gid}`);
    assert.deepEqual(await listAttributes(a), []);
    await m.restoreAllLabel(g);
    assert.equal(owner(a), '0:0');
  });

  test('a failed start undoes the files it already chowned', async () => {
    const a = file('first.img');
    const m = await mgrFor(cfg());
    const g = guest('h', [{ path: a, kind: 'disk' }, { path: join(t.dir, 'missing.img'), kind: 'disk' }]);
    await m.genLabel(g);
    await assert.rejects(m.setAllLabel(g), /unable to stat: .*missing\.img/);
    assert.equal(owner(a), '1234:1235');
    assert.deepEqual(await peekRemembered('dac', a), { label: undefined, refcount: undefined, timestamp: undefined });
  });

  test('a file in use cannot be given to a different user', async () => {
    const a = file('inuse.img');
    const m = await mgrFor(cfg());
    const g1 = guest('i', [{ path: a, kind: 'disk' }]);
    await m.genLabel(g1);
    await m.setAllLabel(g1);
    const g2 = guest('j', [{ path: a, kind: 'disk' }]);
    g2.seclabels.push({ model: 'dac', type: 'static', relabel: true, label: '+4242:+4242' });
    await m.genLabel(g2);
    await assert.rejects(m.setAllLabel(g2), /Setting different DAC user or group on .*inuse\.img which is already in use/);
    assert.equal((await peekRemembered('dac', a)).refcount, 1, 'the failed attempt dropped its reference');
    await m.restoreAllLabel(g1);
    assert.equal(owner(a), '1234:1235');
  });

  test('session: QEMU runs as the caller and nothing is chowned', async () => {
    const a = file('session.img');
    const m = await mgrFor(cfg(), false);
    const g = guest('k', [{ path: a, kind: 'disk' }]);
    await m.genLabel(g);
    await m.setAllLabel(g);
    assert.equal(owner(a), '1234:1235');
    const spec = await m.processLaunch(g);
    assert.equal(spec.uid, process.getuid!());
    assert.equal(spec.gid, process.getgid!());
    assert.equal(g.seclabels.find((s) => s.model === 'dac')?.label, `+${process.getuid!()}:+${process.getgid!()}`);
  });

  test('processLaunch: the configured user with its supplementary groups and no capabilities', async () => {
    const m = await mgrFor(cfg());
    const g = guest('l', []);
    await m.genLabel(g);
    const spec = await m.processLaunch(g);
    assert.equal(spec.uid, q.uid);
    assert.equal(spec.gid, q.gid);
    assert.ok(spec.groups.includes(q.gid));
    assert.equal(spec.keepCaps, false);
    const root = await mgrFor(cfg({ user: 'root', group: 'root' }));
    const gr = guest('m', []);
    await root.genLabel(gr);
    assert.deepEqual(await root.processLaunch(gr), { uid: 0, gid: 0, groups: [0], keepCaps: true });
  });

  test('directories, loader firmware and qemu:commandline paths are not chowned', async () => {
    const d = join(t.dir, 'chan');
    mkdirSync(d);
    chownSync(d, 1234, 1235);
    const loader = file('OVMF_CODE.fd');
    const extra = file('extra.bin');
    const m = await mgrFor(cfg());
    const g = guest('n', [
      { path: d, kind: 'channel-dir', directory: true },
      { path: loader, kind: 'loader', readonly: true, shared: true },
      { path: extra, kind: 'commandline' },
    ]);
    await m.genLabel(g);
    await m.setAllLabel(g);
    for (const p of [d, loader, extra]) assert.equal(owner(p), '1234:1235');
  });
});
