// SELinux sVirt without an LSM on this host: MCS allocation and label computation are checked directly;
// relabelling runs on real files through the kernel module (the security.selinux xattr exists on ext4
// even with SELinux off), with the original remembered in trusted.libvirt.security.selinux.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { getAttribute } from '@napi-rs/xattr';
import {
  DEFAULT_CONTEXTS,
  type GuestSecurityInput,
  type SecLabel,
  McsAllocator,
  SecurityManager,
  SelinuxDriver,
  createSecurityManager,
  parseMcsPair,
  parseMcsRange,
  peekRemembered,
  selinuxPathLabel,
} from '../../src/security/index.js';
import { DacDriver } from '../../src/security/dac.js';
import { HostSelinux } from '../../src/security/selinux-kernel.js';
import { isRoot, tempTree } from './helpers.js';

const guest = (name: string, paths: GuestSecurityInput['paths'] = [], virtType = 'kvm'): GuestSecurityInput => ({
  name, uuid: `aaaaaaaa-0000-4000-8000-${name.padStart(12, '0')}`, virtType, seclabels: [], paths,
});

describe('MCS allocation', () => {
  test('pairs are unique, ordered, in range; released pairs can come back', () => {
    const a = new McsAllocator({ sens: 's0', catMin: 0, catMax: 1023 });
    const seen = new Set<string>();
    for (let i = 0; i < 2000; i++) {
      const l = a.allocate();
      assert.match(l, /^s0:c\d+,c\d+$/);
      const [c1, c2] = parseMcsPair(l)!;
      assert.ok(c1 < c2 && c1 >= 0 && c2 <= 1023, l);
      assert.ok(!seen.has(l), `duplicate ${l}`);
      seen.add(l);
    }
    // a tiny range: every pair handed out once, then exhaustion
    const small = new McsAllocator({ sens: 's0', catMin: 0, catMax: 3 });
    const got = new Set(Array.from({ length: 6 }, () => small.allocate()));
    assert.equal(got.size, 6);
    assert.throws(() => small.allocate(), /all are in use/);
    small.release('s0:c1,c2');
    assert.equal(small.allocate(), 's0:c1,c2');
  });
  test('reserve (reconnect) refuses a pair already held', () => {
    const a = new McsAllocator();
    a.reserve('s0:c5,c9');
    assert.throws(() => a.reserve('s0:c5,c9'), /MCS level for existing domain label s0:c5,c9 already reserved/);
    // the allocator never hands it out while reserved
    const forced = [5, 9, 1, 2];
    assert.equal(a.allocate(() => forced.shift()!), 's0:c1,c2');
  });
  test('the range comes from the daemon\'s own context', () => {
    assert.deepEqual(parseMcsRange('s0-s0:c0.c1023'), { sens: 's0', catMin: 0, catMax: 1023 });
    assert.deepEqual(parseMcsRange('s0-s0:c100.c200'), { sens: 's0', catMin: 100, catMax: 200 });
    assert.deepEqual(parseMcsRange(undefined), { sens: 's0', catMin: 0, catMax: 1023 });
  });
});

describe('SELinux labels', () => {
  const kernel = new HostSelinux({ allowWithoutSelinux: true });
  const drv = () => new SelinuxDriver({ kernel, rememberOwner: true });

  test('two running guests get different categories; process and image labels share them', async () => {
    const d = drv();
    const m = new SecurityManager([d, new DacDriver({ uid: 0, gid: 0, groups: [0], dynamicOwnership: false, rememberOwner: false })],
      { user: 'root', group: 'root', dynamicOwnership: false, rememberOwner: false, securityDriverNames: ['selinux'], securityDefaultConfined: true, securityRequireConfined: false },
      { privileged: true, mode: 'system' });
    const g1 = guest('one');
    const g2 = guest('two', [], 'qemu');
    await m.genLabel(g1);
    await m.genLabel(g2);
    const s1 = g1.seclabels.find((s) => s.model === 'selinux')!;
    const s2 = g2.seclabels.find((s) => s.model === 'selinux')!;
    assert.match(s1.label!, /^system_u:system_r:svirt_t:s0:c\d+,c\d+$/);
    assert.match(s2.label!, /^system_u:system_r:svirt_tcg_t:s0:c\d+,c\d+$/);
    const lvl = (l: string) => l.split(':').slice(3).join(':');
    assert.notEqual(lvl(s1.label!), lvl(s2.label!));
    assert.equal(s1.imagelabel, `system_u:object_r:svirt_image_t:${lvl(s1.label!)}`);
    assert.equal((await m.processLaunch(g1)).execLabel, s1.label);
    // stop of guest one frees its pair; guest two's stays taken
    const held = lvl(s1.label!);
    await m.releaseLabel(g1);
    assert.equal(d.mcs.inUse.has(held), false);
    assert.equal(d.mcs.inUse.has(lvl(s2.label!)), true);
    assert.equal(s1.label, undefined);
  });

  test('static labels: relabel=yes derives the image label, relabel=no leaves files alone', async () => {
    const d = drv();
    const a = guest('st');
    const sa: SecLabel = { model: 'selinux', type: 'static', relabel: true, label: 'system_u:system_r:svirt_t:s0:c10,c20' };
    await d.genLabel(a, sa);
    assert.equal(sa.imagelabel, 'system_u:object_r:svirt_image_t:s0:c10,c20');
    const sb: SecLabel = { model: 'selinux', type: 'static', relabel: false, label: 'system_u:system_r:svirt_t:s0:c1,c2' };
    await d.genLabel(a, sb);
    assert.equal(sb.imagelabel, undefined);
    assert.equal(d.mcs.inUse.size, 0, 'static labels take no dynamic pair');
    await assert.rejects(d.genLabel(a, { model: 'selinux', type: 'static', relabel: true }), /missing label for static security driver in domain st/);
  });

  test('exclusive, shared and read-only paths get the seed\'s labels', () => {
    const img = 'system_u:object_r:svirt_image_t:s0:c1,c2';
    assert.equal(selinuxPathLabel({ path: '/a', kind: 'disk' }, img, DEFAULT_CONTEXTS), img);
    assert.equal(selinuxPathLabel({ path: '/a', kind: 'disk', shared: true }, img, DEFAULT_CONTEXTS), 'system_u:object_r:svirt_image_t:s0');
    assert.equal(selinuxPathLabel({ path: '/a', kind: 'disk', readonly: true }, img, DEFAULT_CONTEXTS), 'system_u:object_r:virt_content_t:s0');
    assert.equal(selinuxPathLabel({ path: '/a', kind: 'kernel', readonly: true }, img, DEFAULT_CONTEXTS), 'system_u:object_r:virt_content_t:s0');
    assert.equal(selinuxPathLabel({ path: '/a', kind: 'disk', norelabel: true }, img, DEFAULT_CONTEXTS), undefined);
    assert.equal(selinuxPathLabel({ path: '/usr/bin/qemu', kind: 'emulator', readonly: true }, img, DEFAULT_CONTEXTS), undefined);
  });

  test('the host has no SELinux: the driver is refused by name, "none" and auto-detection work', async () => {
    const cfg = { user: 'root', group: 'root', dynamicOwnership: true, rememberOwner: true, securityDefaultConfined: true, securityRequireConfined: false };
    const ctx = { privileged: true, mode: 'system' as const };
    const host = { selinux: new HostSelinux(), apparmorEnabled: false };
    await assert.rejects(createSecurityManager({ ...cfg, securityDriverNames: ['selinux'] }, ctx, host), /Security driver selinux not enabled/);
    const none = await createSecurityManager({ ...cfg, securityDriverNames: ['none'] }, ctx, host);
    assert.deepEqual(none.models().map((m) => m.model), ['none', 'dac']);
    const auto = await createSecurityManager({ ...cfg, securityDriverNames: [] }, ctx, host);
    assert.equal(auto.primary.name, 'none');
    await assert.rejects(new HostSelinux().setFileLabel('/tmp', 'x:y:z'), /SELinux is not enabled on this host \(no selinuxfs at \/sys\/fs\/selinux\)/);
  });
});

describe('SELinux relabelling of real files', { skip: isRoot ? false : 'needs root (trusted.* xattrs)' }, () => {
  let t: ReturnType<typeof tempTree>;
  before(() => (t = tempTree('selinux')));
  after(() => t.cleanup());
  const label = async (p: string) => (await getAttribute(p, 'security.selinux'))?.toString().replace(/\0+$/, '');

  test('set before start, restored after stop (original remembered); shared/readonly not restored', async () => {
    const kernel = new HostSelinux({ allowWithoutSelinux: true });
    const d = new SelinuxDriver({ kernel, rememberOwner: true });
    const disk = join(t.dir, 'disk.img');
    const iso = join(t.dir, 'cd.iso');
    const shared = join(t.dir, 'shared.img');
    for (const f of [disk, iso, shared]) {
      writeFileSync(f, '');
      await kernel.setFileLabel(f, 'unconfined_u:object_r:user_home_t:s0');
    }
    const g = guest('lbl', [
      { path: disk, kind: 'disk' },
      { path: iso, kind: 'disk', readonly: true },
      { path: shared, kind: 'disk', shared: true },
    ]);
    const sec: SecLabel = { model: 'selinux', type: 'dynamic', relabel: true };
    await d.genLabel(g, sec);
    await d.setAllLabel(g, sec);
    assert.equal(await label(disk), sec.imagelabel);
    assert.equal(await label(iso), 'system_u:object_r:virt_content_t:s0');
    assert.equal(await label(shared), 'system_u:object_r:svirt_image_t:s0');
    assert.equal((await peekRemembered('selinux', disk)).label, 'unconfined_u:object_r:user_home_t:s0');
    assert.deepEqual(await new SelinuxDriver({ kernel, rememberOwner: true }).restoreAllLabel(g, sec), []);
    assert.equal(await label(disk), 'unconfined_u:object_r:user_home_t:s0');
    assert.equal(await label(iso), 'system_u:object_r:virt_content_t:s0');
  });
});
