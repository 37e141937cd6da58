// Firmware, TPM, filesystem and host-device rules that the visible corpus does not pin down on its
// own: descriptor discovery (priority, masking, order), autoselection choices, the NVRAM path of
// read-only pflash loaders, 9p/virtiofs options, USB/PCI host device properties, swtpm versions.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { formatDomainXML, parseDomainXML } from '../../src/conf/domain/index.js';
import { mockRandomBytes, testConfig, testHost } from '../../src/conformance/testhost.js';
import { loadCapsCache, stripMachineAliases } from '../../src/qemu/caps/cache.js';
import { buildCommandLine } from '../../src/qemu/command/index.js';
import { firmwareSearchDirs, loadFirmwareDescriptors } from '../../src/qemu/domain/firmware.js';
import { qemuPostParse } from '../../src/qemu/domain/postparse.js';
import { prepareDomainForStart } from '../../src/qemu/domain/prepare.js';
import { qemuValidate } from '../../src/qemu/domain/validate.js';
import { CONFORMANCE_DIR } from '../helpers/paths.js';

const corpus = CONFORMANCE_DIR;
const caps = stripMachineAliases(loadCapsCache(readFileSync(join(corpus, 'qemucapabilitiesdata', 'caps_8.0.0.x86_64.xml'), 'utf8')));
const nvramDir = testConfig().nvramDir;

function domain(devices: string, os: string, extra = ''): string {
  return `<domain type='qemu'><name>fw</name><uuid>c7a5fdbd-edaf-9455-926a-d65c16db1809</uuid><memory>219136</memory>${extra}${os}
<features><acpi/></features><devices><emulator>/usr/bin/qemu-system-x86_64</emulator>${devices}<memballoon model='none'/></devices></domain>`;
}

const host = (swtpmVersions?: string[]) => testHost({ firmwareRoot: join(corpus, 'qemufirmwaredata'), swtpmVersions });

function parse(xml: string, swtpm?: string[]) {
  return parseDomainXML(xml, {
    postParse: (d) => qemuPostParse(d, caps, { randomBytes: mockRandomBytes, nvramDir }),
    validate: (d) => qemuValidate(d, caps, host(swtpm)),
  });
}

function argv(xml: string): string[] {
  const def = parse(xml);
  def.id = -1;
  const h = host();
  const cfg = testConfig();
  return buildCommandLine(prepareDomainForStart(def, caps, h, cfg), caps, h, cfg).argv;
}

const after = (args: string[], opt: string) => args.flatMap((a, i) => (args[i - 1] === opt ? [a] : []));
const q35 = (inner = '') => `<os firmware='efi'><type arch='x86_64' machine='pc-q35-4.0'>hvm</type>${inner}</os>`;

test('descriptors: earlier folders win by file name, empty files mask, result sorted', () => {
  const root = mkdtempSync(join(tmpdir(), 'fw-'));
  try {
    const hi = join(root, 'hi');
    const lo = join(root, 'lo');
    mkdirSync(hi);
    mkdirSync(lo);
    writeFileSync(join(lo, '50-b.json'), '{"v":"lo"}');
    writeFileSync(join(hi, '50-b.json'), '{"v":"hi"}');
    writeFileSync(join(lo, '10-a.json'), '{"v":"a"}');
    writeFileSync(join(lo, '30-masked.json'), '{"v":"m"}');
    writeFileSync(join(hi, '30-masked.json'), '');
    writeFileSync(join(lo, 'README'), 'not a descriptor');
    const fw = loadFirmwareDescriptors([hi, lo, join(root, 'missing')]);
    assert.deepEqual(fw.map((f) => [f.name, (f.json as { v: string }).v]), [['10-a.json', 'a'], ['50-b.json', 'hi']]);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('descriptor folders: the user config dir comes first only when unprivileged', () => {
  assert.deepEqual(firmwareSearchDirs(true, { XDG_CONFIG_HOME: '/x' }), ['/etc/qemu/firmware', '/usr/share/qemu/firmware']);
  assert.deepEqual(firmwareSearchDirs(false, { XDG_CONFIG_HOME: '/x' }), ['/x/qemu/firmware', '/etc/qemu/firmware', '/usr/share/qemu/firmware']);
  assert.deepEqual(firmwareSearchDirs(false, { HOME: '/home/u' })[0], '/home/u/.config/qemu/firmware');
});

test('autoselection: refusing secure boot picks the plain OVMF build, without SMM', () => {
  const a = argv(domain('', q35("<firmware><feature enabled='no' name='secure-boot'/></firmware>")));
  assert.match(after(a, '-blockdev')[0], /"filename":"\/usr\/share\/OVMF\/OVMF_CODE\.fd"/);
  assert.match(after(a, '-blockdev')[2], /"filename":"\/var\/lib\/libvirt\/qemu\/nvram\/fw_VARS\.fd"/);
  assert.doesNotMatch(after(a, '-machine')[0], /smm=/);
  assert.ok(!a.includes('driver=cfi.pflash01,property=secure,value=on'));
});

test('autoselection: a firmware that needs SMM with SMM turned off is an error', () => {
  const xml = domain('', q35("<firmware><feature enabled='yes' name='secure-boot'/></firmware>")).replace('<acpi/>', "<acpi/><smm state='off'/>");
  assert.throws(() => argv(xml), /domain has SMM turned off but chosen firmware requires it/);
});

test('autoselection: no matching descriptor is an error naming the firmware type', () => {
  const xml = domain('', "<os firmware='efi'><type arch='x86_64' machine='pc'>hvm</type></os>");
  assert.throws(() => argv(xml), /Unable to find any firmware to satisfy 'efi'/);
});

test('validation: enrolled keys without secure boot, nvram template with autoselection', () => {
  const keys = q35("<firmware><feature enabled='yes' name='enrolled-keys'/><feature enabled='no' name='secure-boot'/></firmware>");
  assert.throws(() => parse(domain('', keys)), /firmware feature 'enrolled-keys' cannot be enabled when firmware feature 'secure-boot' is disabled/);
  assert.throws(() => parse(domain('', q35("<nvram template='/t.fd'/>"))), /nvram attribute 'template' cannot be specified when firmware autoselection is enabled/);
});

test('read-only pflash loader: NVRAM path at define time, descriptor features at start', () => {
  const os = "<os><type arch='x86_64' machine='pc-q35-4.0'>hvm</type><loader readonly='yes' type='pflash'>/usr/share/OVMF/OVMF_CODE.secboot.fd</loader></os>";
  const xml = domain('', os);
  assert.match(formatDomainXML(parse(xml), { inactive: true }), /<nvram>\/var\/lib\/libvirt\/qemu\/nvram\/fw_VARS\.fd<\/nvram>/);
  const a = argv(xml);
  assert.match(after(a, '-machine')[0], /smm=on,.*pflash0=libvirt-pflash0-format,pflash1=libvirt-pflash1-format/);
  assert.ok(a.includes('driver=cfi.pflash01,property=secure,value=on'));
  // a loader without type is a ROM: -bios
  const rom = argv(domain('', "<os><type arch='x86_64' machine='pc'>hvm</type><loader>/usr/share/seabios/bios.bin</loader></os>"));
  assert.deepEqual(after(rom, '-bios'), ['/usr/share/seabios/bios.bin']);
});

test('9p: fmode/dmode and readonly; virtiofs needs shared memory', () => {
  const a = argv(domain("<filesystem type='mount' accessmode='squash' fmode='644' dmode='755'><source dir='/s,x'/><target dir='t'/><readonly/></filesystem>", "<os><type arch='x86_64' machine='pc'>hvm</type></os>"));
  assert.deepEqual(after(a, '-fsdev'), ['local,security_model=none,fmode=0644,dmode=0755,id=fsdev-fs0,path=/s,,x,readonly=on']);
  const vfs = "<filesystem type='mount'><driver type='virtiofs'/><source dir='/s'/><target dir='t'/></filesystem>";
  assert.throws(() => parse(domain(vfs, "<os><type arch='x86_64' machine='pc'>hvm</type></os>")), /'virtiofs' requires shared memory/);
  const shared = "<memoryBacking><access mode='shared'/></memoryBacking>";
  const b = argv(domain(vfs, "<os><type arch='x86_64' machine='pc'>hvm</type></os>", shared));
  assert.deepEqual(after(b, '-chardev').slice(-1), ['socket,id=chr-vu-fs0,path=/tmp/lib/domain--1-fw/fs0-fs.sock']);
});

test('host devices: USB by vendor/product, guest reset off, PCI ROM options', () => {
  const os = "<os><type arch='x86_64' machine='pc'>hvm</type></os>";
  const usb = "<hostdev mode='subsystem' type='usb'><source guestReset='off'><vendor id='0x1234'/><product id='0xbeef'/></source></hostdev>";
  const a = argv(domain(usb, os));
  const dev = JSON.parse(after(a, '-device').find((d) => d.includes('usb-host')) ?? '{}');
  assert.deepEqual([dev.vendorid, dev.productid, dev['guest-reset'], dev['guest-resets-all'], dev.hostdevice], [0x1234, 0xbeef, false, undefined, undefined]);
  const pci = "<hostdev mode='subsystem' type='pci' managed='yes'><source><address domain='0x0001' bus='0x02' slot='0x03' function='0x4'/></source><rom bar='off' file='/r.bin'/></hostdev>";
  const p = JSON.parse(after(argv(domain(pci, os)), '-device').find((d) => d.includes('vfio-pci')) ?? '{}');
  assert.deepEqual([p.host, p.rombar, p.romfile], ['0001:02:03.4', 0, '/r.bin']);
  assert.match(formatDomainXML(parse(domain(usb, os)), { inactive: true }), /<hostdev mode='subsystem' type='usb' managed='no'>/);
});

test('TPM: an emulator version swtpm does not support is refused at define time', () => {
  const tpm = "<tpm model='tpm-crb'><backend type='emulator' version='1.2'/></tpm>";
  const os = "<os><type arch='x86_64' machine='pc'>hvm</type></os>";
  assert.throws(() => parse(domain(tpm, os), ['2.0']), /TPM version '1\.2' is not supported/);
  const a = argv(domain(tpm, os));
  assert.deepEqual(after(a, '-tpmdev'), ['emulator,id=tpm-tpm0,chardev=chrtpm']);
  assert.ok(after(a, '-device').some((d) => d.startsWith('{"driver":"tpm-crb","tpmdev":"tpm-tpm0","id":"tpm0"')));
});
