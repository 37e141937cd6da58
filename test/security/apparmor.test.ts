// AppArmor profiles: libvirt-<uuid> from the template plus the .files list of every guest path
// (qemu:commandline paths included), regenerated on hotplug, checked with Debian's `apparmor_parser -Q`.
// Also the <secmodel>/<seclabel> XML and the manager's confinement settings.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  AppArmorDriver,
  type GuestSecurityInput,
  type SecLabel,
  SecurityManager,
  collectGuestPaths,
  createSecurityManager,
  formatSeclabels,
  formatSecmodels,
  generateFilesInclude,
  parseSeclabels,
  pathsInQemuArgs,
} from '../../src/security/index.js';
import { DacDriver } from '../../src/security/dac.js';
import { NoneDriver } from '../../src/security/none.js';
import { HostSelinux } from '../../src/security/selinux-kernel.js';
import { formatXml, parseXml } from '../../src/util/xml.js';
import { tempTree } from './helpers.js';

function hasParser(): boolean {
  try {
    execFileSync('apparmor_parser', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
const noParser = hasParser() ? false : 'apparmor_parser is not installed (apt-get install apparmor)';

const UUID = 'c7a5fdbd-cdaf-9455-926a-d65c16db1809';

describe('AppArmor profile generation', { skip: noParser }, () => {
  let t: ReturnType<typeof tempTree>;
  before(() => (t = tempTree('aa')));
  after(() => t.cleanup());

  const mkGuest = (extraDisks: string[] = []): GuestSecurityInput => {
    const disk = join(t.dir, 'vm disk [1].qcow2'); // spaces and globbing characters must stay literal
    writeFileSync(disk, '');
    return {
      name: 'vm', uuid: UUID, virtType: 'qemu', seclabels: [],
      paths: collectGuestPaths({
        name: 'vm', id: 5, emulator: '/usr/bin/qemu-system-x86_64',
        disks: [{ path: disk, target: 'vda' }, { path: join(t.dir, 'cd.iso'), device: 'cdrom', target: 'hdc' }, ...extraDisks.map((p) => ({ path: p }))],
        kernel: join(t.dir, 'vmlinuz'), initrd: join(t.dir, 'initrd.img'),
        loader: { path: '/usr/share/OVMF/OVMF_CODE.fd' }, nvram: join(t.dir, 'vm_VARS.fd'),
        chardevs: [{ type: 'unix', path: join(t.dir, 'qga.sock'), mode: 'bind' }, { type: 'file', path: join(t.dir, 'serial.log') }],
        qemuArgs: ['-fw_cfg', `name=opt/x,file=${join(t.dir, 'fwcfg.bin')}`, '-drive', `file=${join(t.dir, 'extra,,name.raw')},if=none`],
      }, { libDir: join(t.dir, 'lib'), stateDir: join(t.dir, 'run'), channelTargetDir: join(t.dir, 'channel') }),
    };
  };

  const parse = async (drv: AppArmorDriver, file: string) => drv.parse(['-Q', '-K', file]);

  test('profile + .files are written, parse with apparmor_parser -Q, and list every path', async () => {
    const drv = new AppArmorDriver({ profilesDir: join(t.dir, 'profiles'), kernel: false });
    const g = mkGuest();
    const sec: SecLabel = { model: 'apparmor', type: 'dynamic', relabel: true };
    await drv.genLabel(g, sec);
    assert.equal(sec.label, `libvirt-${UUID}`);
    await drv.setAllLabel(g, sec);
    const prof = join(t.dir, 'profiles', `libvirt-${UUID}`);
    const text = readFileSync(prof, 'utf8');
    assert.match(text, new RegExp(`profile libvirt-${UUID} flags=\\(attach_disconnected\\) \\{`));
    assert.match(text, new RegExp(`#include "${join(t.dir, 'profiles')}/libvirt-${UUID}\\.files"\\n\\}`));
    const files = readFileSync(`${prof}.files`, 'utf8');
    const r = await parse(drv, prof);
    assert.equal(r.code, 0, r.stderr);
    for (const rule of [
      `"${t.dir}/vm disk \\[1\\].qcow2" rwk,`,
      `"${t.dir}/cd.iso" rk,`,
      `"${t.dir}/vmlinuz" rk,`,
      `"${t.dir}/initrd.img" rk,`,
      '"/usr/share/OVMF/OVMF_CODE.fd" rk,',
      `"${t.dir}/vm_VARS.fd" rwk,`,
      `"${t.dir}/qga.sock" rw,`,
      `"${t.dir}/serial.log" rw,`,
      `"${t.dir}/fwcfg.bin" rwk,`,
      `"${t.dir}/extra,name.raw" rwk,`,
      `"${t.dir}/lib/domain-5-vm/" r,`,
      `"${t.dir}/lib/domain-5-vm/**" rwk,`,
      `"${t.dir}/channel/domain-5-vm/**" rwk,`,
      '"/usr/bin/qemu-system-x86_64" rm,',
    ]) assert.ok(files.includes(`  ${rule}\n`), `missing ${rule} in\n${files}`);
  });

  test('hotplug rewrites the .files; the profile itself (admin edits) is kept', async () => {
    const drv = new AppArmorDriver({ profilesDir: join(t.dir, 'profiles2'), kernel: false });
    const g = mkGuest();
    const sec: SecLabel = { model: 'apparmor', type: 'dynamic', relabel: true };
    await drv.genLabel(g, sec);
    await drv.setAllLabel(g, sec);
    const prof = join(t.dir, 'profiles2', `libvirt-${UUID}`);
    writeFileSync(prof, readFileSync(prof, 'utf8').replace('#include <abstractions/base>', '#include <abstractions/base>\n  # site edit\n  /srv/shared/** r,'));
    const hot = join(t.dir, 'hotplugged.img');
    const p = { path: hot, kind: 'disk' as const };
    g.paths.push(p);
    await drv.setPathLabel(g, sec);
    assert.match(readFileSync(`${prof}.files`, 'utf8'), new RegExp(`"${hot}" rwk,`));
    assert.match(readFileSync(prof, 'utf8'), /# site edit/);
    assert.equal((await parse(drv, prof)).code, 0);
    g.paths.pop();
    await drv.restorePathLabel(g, sec);
    assert.doesNotMatch(readFileSync(`${prof}.files`, 'utf8'), /hotplugged/);
    // stop: both files removed
    await drv.restoreAllLabel(g, sec);
    assert.equal(existsSync(prof), false);
    assert.equal(existsSync(`${prof}.files`), false);
  });

  test('the parser really checks: a broken .files fails -Q', async () => {
    const drv = new AppArmorDriver({ profilesDir: join(t.dir, 'profiles3'), kernel: false });
    const g = mkGuest();
    const sec: SecLabel = { model: 'apparmor', type: 'dynamic', relabel: true };
    await drv.genLabel(g, sec);
    await drv.setAllLabel(g, sec);
    const prof = join(t.dir, 'profiles3', `libvirt-${UUID}`);
    writeFileSync(`${prof}.files`, '  "/unterminated rwk,\n');
    assert.notEqual((await parse(drv, prof)).code, 0);
  });

  test('libvirt\'s TEMPLATE.qemu form under /etc/apparmor.d/libvirt uses <libvirt/…files>', async () => {
    const { generateProfile } = await import('../../src/security/apparmor.js');
    const out = generateProfile('#include <tunables/global>\nprofile LIBVIRT_TEMPLATE flags=(attach_disconnected) {\n  #include <abstractions/base>\n}\n', UUID, '/etc/apparmor.d/libvirt');
    assert.equal(out, `#include <tunables/global>\nprofile libvirt-${UUID} flags=(attach_disconnected) {\n  #include <abstractions/base>\n  #include <libvirt/libvirt-${UUID}.files>\n}\n`);
  });

  test('write access to system directories and control characters are refused', () => {
    const g = (path: string): GuestSecurityInput => ({ name: 'x', uuid: UUID, virtType: 'qemu', seclabels: [], paths: [{ path, kind: 'disk' }] });
    assert.throws(() => generateFilesInclude(g('/etc/shadow')), /refusing to grant guest write access to restricted path '\/etc\/shadow'/);
    assert.throws(() => generateFilesInclude(g('/var/lib/a\nb')), /control characters/);
    assert.doesNotThrow(() => generateFilesInclude({ ...g('/x'), paths: [{ path: '/usr/share/cd.iso', kind: 'disk', readonly: true }] }));
  });

  test('paths in qemu:commandline arguments', () => {
    assert.deepEqual(pathsInQemuArgs(['-newarg', '/srv/a.img', 'driver=file,filename=/srv/b,,c.img,x=1', 'path=/run/s.sock', 'relative=x/y']),
      ['/srv/a.img', '/srv/b,c.img', '/run/s.sock']);
  });
});

describe('secmodel and seclabel XML', () => {
  test('capabilities list the primary model then dac, with base labels', async () => {
    const m = new SecurityManager([new NoneDriver(), new DacDriver({ uid: 107, gid: 108, groups: [108], dynamicOwnership: true, rememberOwner: true })],
      { user: '+107', group: '+108', dynamicOwnership: true, rememberOwner: true, securityDriverNames: [], securityDefaultConfined: true, securityRequireConfined: false },
      { privileged: true, mode: 'system' });
    const xml = formatSecmodels(m.models()).map((e) => formatXml(e, 4)).join('');
    assert.equal(xml, [
      '    <secmodel>', '      <model>none</model>', '      <doi>0</doi>', '    </secmodel>',
      '    <secmodel>', '      <model>dac</model>', '      <doi>0</doi>',
      "      <baselabel type='kvm'>+107:+108</baselabel>", "      <baselabel type='qemu'>+107:+108</baselabel>", '    </secmodel>', '',
    ].join('\n'));
  });

  test('live XML shows the generated labels; inactive XML drops dynamic ones; parse round-trips', async () => {
    const m = await createSecurityManager(
      { user: '+107', group: '+107', dynamicOwnership: true, rememberOwner: true, securityDriverNames: ['none'], securityDefaultConfined: true, securityRequireConfined: false },
      { privileged: true, mode: 'system' }, { selinux: new HostSelinux(), apparmorEnabled: false });
    const g: GuestSecurityInput = { name: 'x', uuid: UUID, virtType: 'qemu', seclabels: [], paths: [] };
    await m.genLabel(g);
    const live = g.seclabels.filter((s) => s.model === 'dac');
    const text = formatSeclabels(live).map((e) => formatXml(e, 2)).join('');
    assert.equal(text, "  <seclabel type='dynamic' model='dac' relabel='yes'>\n    <label>+107:+107</label>\n    <imagelabel>+107:+107</imagelabel>\n  </seclabel>\n");
    assert.equal(formatSeclabels(live, { inactive: true }).length, 0);
    const parsed = parseSeclabels(parseXml(`<domain>${text}<seclabel type='none' model='selinux'/></domain>`));
    assert.deepEqual(parsed, [
      { model: 'dac', type: 'dynamic', relabel: true, label: '+107:+107', imagelabel: '+107:+107' },
      { model: 'selinux', type: 'none', relabel: false },
    ]);
    assert.equal(formatXml(formatSeclabels([parsed[1]])[0]), "<seclabel type='none' model='selinux'/>\n");
  });

  test('security_default_confined=0 and security_require_confined=1', async () => {
    const base = { user: '+107', group: '+107', dynamicOwnership: true, rememberOwner: true, securityDriverNames: ['none'] };
    const ctx = { privileged: true, mode: 'system' as const };
    const host = { selinux: new HostSelinux(), apparmorEnabled: false };
    const unconf = await createSecurityManager({ ...base, securityDefaultConfined: false, securityRequireConfined: false }, ctx, host);
    const g: GuestSecurityInput = { name: 'u', uuid: UUID, virtType: 'qemu', seclabels: [], paths: [] };
    await unconf.genLabel(g);
    assert.equal(g.seclabels.find((s) => s.model === 'dac')?.type, 'none');
    const strict = await createSecurityManager({ ...base, securityDefaultConfined: true, securityRequireConfined: true }, ctx, host);
    const g2: GuestSecurityInput = { name: 'v', uuid: UUID, virtType: 'qemu', seclabels: [{ model: 'dac', type: 'none', relabel: false }], paths: [] };
    await assert.rejects(strict.genLabel(g2), /Unconfined guests are not allowed on this host/);
    const g3: GuestSecurityInput = { name: 'w', uuid: UUID, virtType: 'qemu', seclabels: [{ model: 'selinux', type: 'dynamic', relabel: true }], paths: [] };
    await assert.rejects(strict.genLabel(g3), /Unable to find security driver for model selinux/);
  });
});
