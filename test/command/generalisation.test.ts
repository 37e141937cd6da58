// Rules found missing by running tsvirt against the rest of libvirt 9.0's x86_64 test corpus (beyond
// the visible cases): boot order post-parse, <os> firmware validation order, storage source
// validation, device='lun' sources, SCSI host device drive addresses, virt types, SD cards,
// fd sets of a backing chain, vDPA and passt interfaces, -compat, namespace and filesystem formatting.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { formatDomainXML, parseDomainXML } from '../../src/conf/domain/index.js';
import { mockRandomBytes, testConfig, testHost } from '../../src/conformance/testhost.js';
import { loadCapsCache, stripMachineAliases } from '../../src/qemu/caps/cache.js';
import { buildCommandLine } from '../../src/qemu/command/index.js';
import { qemuPostParse } from '../../src/qemu/domain/postparse.js';
import { prepareDomainForStart } from '../../src/qemu/domain/prepare.js';
import { qemuValidate } from '../../src/qemu/domain/validate.js';
import { CONFORMANCE_DIR } from '../helpers/paths.js';

const corpus = CONFORMANCE_DIR;
const caps = stripMachineAliases(loadCapsCache(readFileSync(join(corpus, 'qemucapabilitiesdata', 'caps_8.0.0.x86_64.xml'), 'utf8')));

const PC = "<os><type arch='x86_64' machine='pc'>hvm</type></os>";

function domain(devices: string, os = PC, type = 'qemu', extraTop = ''): string {
  return `<domain type='${type}' xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'><name>g</name><uuid>c7a5fdbd-edaf-9455-926a-d65c16db1809</uuid><memory>219136</memory>${os}
<devices><emulator>/usr/bin/qemu-system-x86_64</emulator>${devices}<memballoon model='none'/></devices>${extraTop}</domain>`;
}

function parse(xml: string) {
  const cfg = testConfig();
  return parseDomainXML(xml, {
    postParse: (d) => qemuPostParse(d, caps, { randomBytes: mockRandomBytes, nvramDir: cfg.nvramDir, cfg }),
    validate: (d) => qemuValidate(d, caps, testHost()),
  });
}

function argv(xml: string, fdGroups?: Record<string, number[]>): string[] {
  const def = parse(xml);
  def.id = -1;
  const h = testHost({ fdGroups });
  const cfg = testConfig();
  return buildCommandLine(prepareDomainForStart(def, caps, h, cfg, { pretend: true }), caps, h, cfg).argv;
}

/** Matches a thrown error by its exact message text. */
const msg = (m: string) => (e: unknown) => {
  assert.equal((e as Error).message, m);
  return true;
};
const after = (args: string[], opt: string) => args.flatMap((a, i) => (args[i - 1] === opt ? [a] : []));
const disk = (src: string, dst: string, extra = '', type = 'file', drv = "<driver name='qemu' type='raw'/>") =>
  `<disk type='${type}' device='disk'>${drv}${source(src)}<target dev='${dst}' bus='virtio'/>${extra}</disk>`;
/** `<source …/>`, or `<source …>children</source>` when the text carries its own closing tag. */
const source = (src: string) => (src.endsWith('</source') ? `<source ${src}>` : `<source ${src}/>`);

test('boot order: per-device <boot> excludes <os><boot>, and orders are unique', () => {
  const os = "<os><type arch='x86_64' machine='pc'>hvm</type><boot dev='hd'/></os>";
  assert.throws(() => parse(domain(disk("file='/a'", 'vda', "<boot order='1'/>"), os)), /per-device boot elements cannot be used together with os\/boot elements/);
  assert.throws(
    () => parse(domain(disk("file='/a'", 'vda', "<boot order='2'/>") + disk("file='/b'", 'vdb', "<boot order='2'/>"))),
    msg("unsupported configuration: boot order '2' used for more than one device"),
  );
  // no boot configuration at all boots from disk
  assert.deepEqual(parse(domain(disk("file='/a'", 'vda'))).os.bootDevs, ['hd']);
});

test('firmware validation: features without firmware=, loader without path, stateless NVRAM, readonly before type', () => {
  const os = (inner: string, fw = '') => `<os${fw}><type arch='x86_64' machine='pc-q35-4.0'>hvm</type>${inner}</os>`;
  assert.throws(() => parse(domain('', os("<firmware><feature enabled='yes' name='secure-boot'/></firmware>"))), msg('cannot use feature-based firmware autoselection when firmware autoselection is disabled'));
  assert.throws(() => parse(domain('', os("<loader readonly='yes'/>"))), msg('no loader path specified and firmware auto selection disabled'));
  assert.throws(() => parse(domain('', os("<loader stateless='no'/>", " firmware='bios'"))), msg('Only EFI firmware permits NVRAM'));
  assert.throws(() => parse(domain('', os("<loader stateless='no' type='rom'>/x.bin</loader>"))), msg('Only pflash loader type permits NVRAM'));
  assert.throws(() => parse(domain('', os("<loader readonly='yes' type='pflash'/>", " firmware='efi'"))), /loader attribute 'readonly' cannot be specified/);
});

test('firmware features: enrolled-keys implies an explicit secure-boot, listed in libvirt order', () => {
  const xml = domain('', "<os firmware='efi'><type arch='x86_64' machine='pc-q35-4.0'>hvm</type><firmware><feature enabled='yes' name='enrolled-keys'/></firmware></os>");
  const out = formatDomainXML(parse(xml), { inactive: true });
  assert.match(out, /<feature enabled='yes' name='enrolled-keys'\/>\n\s*<feature enabled='yes' name='secure-boot'\/>/);
});

test('storage sources: formats and options QEMU cannot take', () => {
  const u = (m: string) => msg(`unsupported configuration: ${m}`);
  assert.throws(() => parse(domain(disk("file='/a'", 'vda', '', 'file', "<driver name='qemu' type='dir'/>"))), u("'directory' storage format is not directly supported by QEMU, use 'dir' disk type instead"));
  assert.throws(() => parse(domain(disk("file='/a'", 'vda', '', 'file', "<driver name='qemu' type='iso'/>"))), u("storage format 'iso' is not directly supported by QEMU, use 'raw' instead"));
  assert.throws(() => parse(domain(disk("file='/a'", 'vda', '', 'file', "<driver name='qemu' type='fat'/>"))), u("storage format 'fat' is supported only with 'dir' storage type"));
  assert.throws(() => parse(domain(disk("dir='/d'", 'vda', '', 'dir', "<driver name='qemu' type='fat'/>"))), /virtual FAT storage can't be accessed in read-write mode/);
  assert.throws(() => parse(domain(disk("protocol='tftp' name='x'><host name='h'/></source", 'vda', '', 'network'))), /'tftp' protocol is not supported with this QEMU binary/);
  assert.throws(
    () => parse(domain(disk("protocol='nfs' name='/x'><host name='a'/><host name='b'/></source", 'vda', '', 'network'))),
    /'nfs' protocol requires the usage of exactly one host/,
  );
  assert.throws(() => parse(domain(disk("protocol='nfs' name='/x'><host name='a' port='2049'/></source", 'vda', '', 'network'))), /port cannot be specified in 'nfs' protocol host/);
  assert.throws(() => parse(domain(disk("protocol='http' name='/x'><host name='a'/><ssl verify='yes'/></source", 'vda', '', 'network'))), /ssl verification is supported only with HTTPS\/FTPS protocol/);
  assert.throws(() => parse(domain(disk("file='/a'><readahead size='65536'/></source", 'vda'))), /readahead is supported only with HTTP\(S\)\/FTP\(s\) protocols/);
});

test("device='lun': only block (or iSCSI) sources in raw format", () => {
  const lun = (type: string, src: string, fmt = 'raw') =>
    domain(`<disk type='${type}' device='lun'><driver name='qemu' type='${fmt}'/>${source(src)}<target dev='sda' bus='scsi'/></disk>`);
  assert.throws(() => parse(lun('file', "file='/a'")), msg("unsupported configuration: disk device='lun' is only valid for block type disk source"));
  assert.throws(() => parse(lun('network', "protocol='nbd' name='x'><host name='h'/></source")), /disk device='lun' is not supported for protocol='nbd'/);
  assert.throws(() => parse(lun('block', "dev='/dev/sdb'", 'qcow2')), /disk device 'lun' must use 'raw' format/);
});

test('drive addresses: duplicates are a configuration error; SCSI host devices cannot share one', () => {
  const sd = (dst: string) =>
    `<disk type='file' device='disk'><source file='/${dst}'/><target dev='${dst}' bus='scsi'/><address type='drive' controller='0' bus='0' target='0' unit='0'/></disk>`;
  assert.throws(() => parse(domain(sd('sda') + sd('sdb'))), msg("unsupported configuration: Found duplicate drive address for disk with target name 'sda' controller='0' bus='0' target='0' unit='0'"));
  const hd = (unit: number) =>
    `<hostdev mode='subsystem' type='scsi'><source><adapter name='scsi_host2'/><address bus='0' target='0' unit='${unit}'/></source><address type='drive' controller='0' bus='1' target='0' unit='3'/></hostdev>`;
  // libvirt prints the bus where the controller goes and vice versa
  assert.throws(() => parse(domain(hd(1) + hd(2))), msg("unsupported configuration: SCSI host address controller='1' bus='0' target='0' unit='3' in use by another SCSI host device"));
});

test('virt type: the emulator must support the accelerator', () => {
  assert.throws(() => parse(domain('', "<os><type arch='x86_64' machine='q35'>hvm</type></os>", 'hvf')), /does not support virt type 'hvf'/);
});

test('SD cards: a legacy -drive if=sd that takes no block node name', () => {
  const sdcard = "<disk type='file' device='disk'><driver name='qemu' type='raw' cache='none'/><source file='/some,file'/><target dev='sda' bus='sd'/></disk>";
  const a = argv(domain(disk("file='/a'", 'vda') + sdcard));
  assert.deepEqual(after(a, '-drive'), ['file=/some,,file,format=raw,if=sd,index=0,cache=none']);
  assert.match(after(a, '-blockdev')[0], /"node-name":"libvirt-1-storage"/);
  assert.ok(!after(a, '-device').some((d) => d.includes('"id":"sd')));
});

test('fd groups: the fd sets of a whole chain come before its nodes, top image first', () => {
  const d =
    "<disk type='file' device='disk'><driver name='qemu' type='qcow2'/><source fdgroup='top'/><backingStore type='file'><format type='qcow2'/><source fdgroup='base'/><backingStore/></backingStore><target dev='vda' bus='virtio'/></disk>";
  const a = argv(domain(d), { top: [700], base: [701, 702] });
  const i = a.indexOf('-add-fd');
  assert.deepEqual(a.slice(i, i + 6), ['-add-fd', 'set=0,fd=700,opaque=libvirt-1-storage0', '-add-fd', 'set=1,fd=701,opaque=libvirt-2-storage0', '-add-fd', 'set=1,fd=702,opaque=libvirt-2-storage1']);
  assert.ok(a.indexOf('-blockdev') > i);
});

test('vDPA interfaces default to virtio and pass the device in an fd set; passt uses a stream socket', () => {
  const a = argv(domain("<interface type='vdpa'><mac address='52:54:00:95:db:c0'/><source dev='/dev/vhost-vdpa-0'/><driver queues='2'/></interface>"));
  assert.deepEqual(after(a, '-add-fd'), ['set=0,fd=1732,opaque=net0-vdpa']);
  assert.deepEqual(after(a, '-netdev'), ['{"type":"vhost-vdpa","vhostdev":"/dev/fdset/0","queues":2,"id":"hostnet0"}']);
  assert.match(after(a, '-device').find((d) => d.includes('hostnet0')) ?? '', /^\{"driver":"virtio-net-pci","mq":true,"vectors":6,/);
  const p = argv(domain("<interface type='user'><mac address='00:11:22:33:44:55'/><backend type='passt'/></interface>"));
  assert.deepEqual(after(p, '-netdev'), [
    '{"type":"stream","addr":{"type":"unix","path":"/bad-test-used-env-xdg-runtime-dir/libvirt/qemu/run/passt/-1-g-net0.socket"},"server":false,"id":"hostnet0"}',
  ]);
});

test("virtio-net txmode='iothread' is QEMU's bottom-half mode; -compat lists the output policy first", () => {
  const a = argv(domain("<interface type='user'><mac address='00:11:22:33:44:55'/><model type='virtio'/><driver name='qemu' txmode='iothread'/></interface>"));
  assert.match(after(a, '-device').find((d) => d.includes('hostnet0')) ?? '', /"tx":"bh"/);
  const c = argv(domain('', PC, 'qemu', "<qemu:deprecation behavior='reject'/>"));
  assert.deepEqual(after(c, '-compat'), ['{"deprecated-output":"hide","deprecated-input":"reject"}']);
});

test('filesystems: octal modes as 4 digits, default passthrough access, libvirt attribute order', () => {
  const fs = "<filesystem fmode='644' dmode='0755' type='mount'><source dir='/e'/><target dir='t'/></filesystem>";
  const out = formatDomainXML(parse(domain(fs)), { inactive: true });
  assert.match(out, /<filesystem type='mount' accessmode='passthrough' fmode='0644' dmode='0755'>/);
  assert.throws(() => parse(domain("<filesystem type='mount' fmode='1777'><source dir='/e'/><target dir='t'/></filesystem>")), /invalid fmode: '01777'/);
});

test('<qemu:deprecation> is formatted after <qemu:override>', () => {
  const ns =
    "<qemu:override><qemu:device alias='ua-x'><qemu:frontend><qemu:property name='p' type='string' value='v'/></qemu:frontend></qemu:device></qemu:override><qemu:deprecation behavior='crash'/>";
  const out = formatDomainXML(parse(domain('', PC, 'qemu', ns)), { inactive: true });
  assert.ok(out.indexOf('<qemu:deprecation') > out.indexOf('</qemu:override>'));
});

test('sPAPR VIO: ibmvscsi controllers leave the PCI bus with regs from 0x2000; a user reg must be free', () => {
  const ctl = (i: number, addr = '') => `<controller type='scsi' index='${i}' model='ibmvscsi'>${addr}</controller>`;
  const a = argv(domain(ctl(0) + ctl(1)));
  assert.deepEqual(
    after(a, '-device').filter((d) => d.includes('spapr-vscsi')),
    ['{"driver":"spapr-vscsi","id":"scsi0","reg":8192}', '{"driver":"spapr-vscsi","id":"scsi1","reg":12288}'],
  );
  assert.match(formatDomainXML(parse(domain(ctl(0))), { inactive: true }), /<address type='spapr-vio' reg='0x00002000'\/>/);
  const fixed = "<address type='spapr-vio' reg='0x2000'/>";
  assert.throws(() => parse(domain(ctl(0, fixed) + ctl(1, fixed))), msg('XML error: spapr-vio address 0x2000 already in use'));
});
