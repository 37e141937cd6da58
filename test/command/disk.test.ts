// Disk rules that the visible conformance corpus does not pin down on its own: fdgroup-backed
// sources, the copy-on-read layer, error policies, USB port assignment through hubs, the
// terminated backing chain, and the order disks are kept in.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { parseDomainXML } from '../../src/conf/domain/index.js';
import { loadCapsCache, stripMachineAliases } from '../../src/qemu/caps/cache.js';
import { buildCommandLine } from '../../src/qemu/command/index.js';
import { qemuPostParse } from '../../src/qemu/domain/postparse.js';
import { prepareDomainForStart } from '../../src/qemu/domain/prepare.js';
import { qemuValidate } from '../../src/qemu/domain/validate.js';
import { mockRandomBytes, testConfig, testHost } from '../../src/conformance/testhost.js';

const root = new URL('../../..', import.meta.url).pathname;
const caps = stripMachineAliases(
  loadCapsCache(readFileSync(join(root, '..', 'shared', 'conformance', 'qemucapabilitiesdata', 'caps_8.0.0.x86_64.xml'), 'utf8')),
);

function domain(devices: string, os = "<os><type arch='x86_64' machine='pc'>hvm</type></os>"): string {
  return `<domain type='qemu'><name>t</name><uuid>c7a5fdbd-edaf-9455-926a-d65c16db1809</uuid><memory>219136</memory>${os}
<devices><emulator>/usr/bin/qemu-system-x86_64</emulator>${devices}<memballoon model='none'/></devices></domain>`;
}

function argv(xml: string, fdGroups: Record<string, number[]> = {}): string[] {
  const def = parseDomainXML(xml, {
    postParse: (d) => qemuPostParse(d, caps, { randomBytes: mockRandomBytes }),
    validate: (d) => qemuValidate(d, caps),
  });
  def.id = -1;
  const host = testHost({ fdGroups });
  const cfg = testConfig();
  const live = prepareDomainForStart(def, caps, host, cfg);
  return buildCommandLine(live, caps, host, cfg).argv;
}

function after(args: string[], opt: string): string[] {
  return args.flatMap((a, i) => (args[i - 1] === opt ? [a] : []));
}

test('fdgroup sources: one fdset per source, numbered last disk first, before its -blockdev', () => {
  const args = argv(
    domain(`<disk type='file' device='disk'><driver name='qemu' type='raw'/><source file='/a.img' fdgroup='ga'/><target dev='vda' bus='virtio'/></disk>
<disk type='file' device='disk'><driver name='qemu' type='raw'/><source file='/b.img' fdgroup='gb'/><target dev='vdb' bus='virtio'/></disk>`),
    { ga: [700, 705], gb: [704] },
  );
  const fds = after(args, '-add-fd');
  assert.deepEqual(fds, ['set=1,fd=700,opaque=libvirt-2-storage0', 'set=1,fd=705,opaque=libvirt-2-storage1', 'set=0,fd=704,opaque=libvirt-1-storage0']);
  const bd = after(args, '-blockdev').map((s) => JSON.parse(s));
  assert.equal(bd[0].filename, '/dev/fdset/1');
  assert.equal(bd[0]['auto-read-only'], true);
  // a single fd cannot serve both access modes: no auto-read-only, explicit read-only
  assert.equal(bd[2].filename, '/dev/fdset/0');
  assert.equal(bd[2]['auto-read-only'], undefined);
  assert.equal(bd[2]['read-only'], false);
  assert.ok(args.indexOf('-add-fd') < args.indexOf('-blockdev'));
});

test('an unknown fdgroup is refused', () => {
  assert.throws(
    () => argv(domain(`<disk type='file' device='disk'><source file='/a.img' fdgroup='nope'/><target dev='vda' bus='virtio'/></disk>`)),
    /file descriptor group 'nope' was not associated/,
  );
});

test('copy-on-read puts a layer between format node and device', () => {
  const args = argv(domain(`<disk type='file' device='disk'><driver name='qemu' type='qcow2' copy_on_read='on'/><source file='/a.qcow2'/><target dev='vdc' bus='virtio'/></disk>`));
  const bd = after(args, '-blockdev').map((s) => JSON.parse(s));
  assert.deepEqual(bd[2], { driver: 'copy-on-read', 'node-name': 'libvirt-CoR-vdc', file: 'libvirt-1-format', discard: 'unmap' });
  const dev = after(args, '-device').map((s) => JSON.parse(s)).find((d) => d.id === 'virtio-disk2');
  assert.equal(dev.drive, 'libvirt-CoR-vdc');
});

test('error policies: enospace only sets werror, rerror follows error_policy otherwise', () => {
  const args = argv(
    domain(`<disk type='file' device='disk'><driver name='qemu' type='raw' error_policy='enospace'/><source file='/a'/><target dev='vda' bus='virtio'/></disk>
<disk type='file' device='disk'><driver name='qemu' type='raw' error_policy='report'/><source file='/b'/><target dev='vdb' bus='virtio'/></disk>`),
  );
  const devs = after(args, '-device').map((s) => JSON.parse(s)).filter((d) => d.driver === 'virtio-blk-pci');
  assert.equal(devs[0].werror, 'enospc');
  assert.equal(devs[0].rerror, undefined);
  assert.equal(devs[1].werror, 'report');
  assert.equal(devs[1].rerror, 'report');
});

test('USB disks take free ports, through a hub when the root hub is full', () => {
  const disks = ['sda', 'sdb', 'sdc']
    .map((t) => `<disk type='file' device='disk'><source file='/${t}'/><target dev='${t}' bus='usb'/></disk>`)
    .join('');
  const args = argv(domain(`${disks}<controller type='usb' index='0' model='piix3-uhci'/><hub type='usb'/>`));
  const ports = after(args, '-device')
    .map((s) => JSON.parse(s))
    .filter((d) => d.driver === 'usb-storage')
    .map((d) => d.port);
  // piix3-uhci has 2 ports; the hub takes port 1, the disks 2, then 1.1 and 1.2
  assert.deepEqual(ports, ['2', '1.1', '1.2']);
});

test('backing chains: terminated chain gives backing null, raw formats never get a backing key', () => {
  const args = argv(
    domain(`<disk type='file' device='disk'><driver name='qemu' type='qcow2'/><source file='/top.qcow2'/>
<backingStore type='file'><format type='raw'/><source file='/base.raw'/><backingStore/></backingStore><target dev='vda' bus='virtio'/></disk>`),
  );
  const bd = after(args, '-blockdev').map((s) => JSON.parse(s));
  // bottom image first, read-only
  assert.equal(bd[1]['node-name'], 'libvirt-2-format');
  assert.equal(bd[1]['read-only'], true);
  assert.equal('backing' in bd[1], false);
  assert.equal(bd[3].backing, 'libvirt-2-format');
});

test('disks are kept sorted by bus and target index as parsed', () => {
  const xml = domain(
    ['hdc', 'vdb', 'hda', 'vda'].map((t) => `<disk type='file' device='disk'><source file='/${t}'/><target dev='${t}'/></disk>`).join(''),
  );
  const def = parseDomainXML(xml, {});
  assert.deepEqual(
    def.devices.disks.map((d) => d.dst),
    ['hda', 'hdc', 'vda', 'vdb'],
  );
});

function parseErr(xml: string): string {
  try {
    parseDomainXML(xml, {
      postParse: (d) => qemuPostParse(d, caps, { randomBytes: mockRandomBytes }),
      validate: (d) => qemuValidate(d, caps),
    });
  } catch (e) {
    return (e as Error).message;
  }
  return '(parsed)';
}

test('define-time disk validation: libvirt messages', () => {
  const disk = (inner: string) => domain(`<disk type='file' device='disk'>${inner}</disk>`);
  assert.equal(parseErr(disk(`<source file='/a'/><target dev='vda' bus='virtio'/><wwn>0x5000c50015ea71ac</wwn>`)), 'unsupported configuration: Only ide and scsi disk support wwn');
  assert.equal(parseErr(disk(`<source file='/a'/><target dev='hda' bus='ide'/><readonly/>`)), 'unsupported configuration: readonly ide disks are not supported');
  assert.equal(
    parseErr(disk(`<driver name='qemu' type='raw' io='native' cache='writeback'/><source file='/a'/><target dev='vda' bus='virtio'/>`)),
    "unsupported configuration: io='native' needs either no disk cache or directsync cache mode",
  );
  assert.equal(
    parseErr(disk(`<driver name='qemu' type='qcow2'/><source file='/a'/><target dev='vda' bus='virtio'/><shareable/>`)),
    "unsupported configuration: shared access for disk 'vda' requires use of supported storage format",
  );
  assert.equal(
    parseErr(disk(`<driver name='qemu' type='raw' iothread='2'/><source file='/a'/><target dev='vda' bus='virtio'/>`)),
    "unsupported configuration: Disk iothread '2' not defined in iothreadid",
  );
  assert.equal(parseErr(domain(`<disk type='file' device='cdrom'><source file='/a.iso'/><target dev='vda' bus='virtio'/></disk>`)), "unsupported configuration: disk type of 'vda' does not support ejectable media");
  assert.equal(parseErr(disk(`<source file='/a'/><target dev='sda' bus='usb'/><geometry cyls='16383' heads='16' secs='63'/>`)), "unsupported configuration: CHS geometry can not be set for 'usb' bus");
});

test('pool volumes are translated at start: host block device, or a direct iSCSI LUN', () => {
  const host = testHost();
  host.lookupVolume = (pool, volume) =>
    pool === 'iscsi'
      ? { type: 'block', path: `/dev/disk/by-path/${volume}`, poolType: 'iscsi', hosts: [{ name: 'portal.example' }], device: 'iqn.2023-01.example:t' }
      : undefined;
  const xml = domain(`<disk type='volume' device='disk'><source pool='iscsi' volume='unit:0:0:7' mode='direct'/><target dev='vda' bus='virtio'/></disk>
<disk type='volume' device='disk'><source pool='iscsi' volume='unit:0:0:8'/><target dev='vdb' bus='virtio'/></disk>`);
  const def = parseDomainXML(xml, { postParse: (d) => qemuPostParse(d, caps, { randomBytes: mockRandomBytes }) });
  def.id = -1;
  const live = prepareDomainForStart(def, caps, host, testConfig());
  const bd = after(buildCommandLine(live, caps, host, testConfig()).argv, '-blockdev').map((s) => JSON.parse(s));
  assert.deepEqual(
    { driver: bd[0].driver, portal: bd[0].portal, target: bd[0].target, lun: bd[0].lun },
    { driver: 'iscsi', portal: 'portal.example:3260', target: 'iqn.2023-01.example:t', lun: 7 },
  );
  assert.equal(bd[2].driver, 'host_device');
  assert.equal(bd[2].filename, '/dev/disk/by-path/unit:0:0:8');
});
