// PCI/USB address, controller, IOMMU, chardev and small-device rules that the visible conformance
// corpus does not pin down on its own: q35 bus growth (root ports, pcie-to-pci-bridge, dmi bridge at
// 00:1e), PCI controller auto-indexes and missing buses, USB2 companion slots, IOMMU validation,
// split I/O APIC default, ivshmem, pvpanic-pci, vsock CID, chardev TLS and serial port numbering.
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

const root = new URL('../../..', import.meta.url).pathname;
const caps = stripMachineAliases(
  loadCapsCache(readFileSync(join(root, '..', 'shared', 'conformance', 'qemucapabilitiesdata', 'caps_8.0.0.x86_64.xml'), 'utf8')),
);

function domain(devices: string, machine = 'q35', features = ''): string {
  return `<domain type='qemu'><name>t</name><uuid>c7a5fdbd-edaf-9455-926a-d65c16db1809</uuid><memory>219136</memory>
<vcpu>1</vcpu><os><type arch='x86_64' machine='${machine}'>hvm</type></os>${features}
<devices><emulator>/usr/bin/qemu-system-x86_64</emulator>${devices}<memballoon model='none'/></devices></domain>`;
}

function parse(xml: string, c = caps) {
  return parseDomainXML(xml, {
    postParse: (d) => qemuPostParse(d, c, { randomBytes: mockRandomBytes }),
    validate: (d) => qemuValidate(d, c),
  });
}

function argv(xml: string, cfgOver: Record<string, string | number> = {}, c = caps): string[] {
  const def = parse(xml, c);
  def.id = -1;
  const host = testHost();
  const cfg = testConfig(cfgOver);
  const live = prepareDomainForStart(def, c, host, cfg, { pretend: true });
  return buildCommandLine(live, c, host, cfg).argv;
}

function after(args: string[], opt: string): string[] {
  return args.flatMap((a, i) => (args[i - 1] === opt ? [a] : []));
}

function devices(args: string[]): Array<Record<string, unknown>> {
  return after(args, '-device').map((d) => JSON.parse(d) as Record<string, unknown>);
}

test('q35: a conventional PCI device gets a pcie-root-port, a pcie-to-pci-bridge and a spare root port', () => {
  const devs = devices(argv(domain("<interface type='user'><mac address='52:54:00:00:00:01'/><model type='rtl8139'/></interface>")));
  const byId = new Map(devs.map((d) => [d.id, d]));
  assert.equal(byId.get('pci.1')?.driver, 'pcie-root-port');
  assert.equal(byId.get('pci.1')?.addr, '0x1');
  assert.equal(byId.get('pci.1')?.multifunction, true);
  assert.equal(byId.get('pci.2')?.driver, 'pcie-pci-bridge');
  assert.equal(byId.get('pci.2')?.bus, 'pci.1');
  assert.equal(byId.get('pci.3')?.driver, 'pcie-root-port');
  assert.equal(byId.get('pci.3')?.addr, '0x1.0x1');
  const nic = byId.get('net0');
  assert.equal(nic?.bus, 'pci.2');
  assert.equal(nic?.addr, '0x1');
});

test('q35: PCIe endpoints take free root ports; nothing is added when explicit ports suffice', () => {
  const devs = devices(argv(domain("<controller type='pci' model='pcie-root-port'/><controller type='pci' model='pcie-root-port'/><controller type='usb' model='qemu-xhci'/>")));
  const ports = devs.filter((d) => d.driver === 'pcie-root-port');
  assert.deepEqual(ports.map((p) => [p.id, p.port, p.chassis, p.addr]), [['pci.1', 8, 1, '0x1'], ['pci.2', 9, 2, '0x1.0x1']]);
  assert.equal(devs.find((d) => d.id === 'usb')?.bus, 'pci.1');
});

test('q35: the first dmi-to-pci-bridge sits at 00:1e.0 and pci-bridges behind it start at slot 0', () => {
  const devs = devices(argv(domain("<controller type='pci' model='dmi-to-pci-bridge'/><controller type='pci' model='pci-bridge'/><controller type='usb' model='none'/>")));
  assert.deepEqual(devs.slice(0, 2), [
    { driver: 'i82801b11-bridge', id: 'pci.1', bus: 'pcie.0', addr: '0x1e' },
    { driver: 'pci-bridge', chassis_nr: 2, id: 'pci.2', bus: 'pci.1', addr: '0x0' },
  ]);
});

test('switch ports: upstream on a root port, downstream ports numbered by slot', () => {
  const devs = devices(argv(domain(`<controller type='pci' index='1' model='pcie-root-port'/><controller type='pci' index='2' model='pcie-switch-upstream-port'/>
<controller type='pci' index='3' model='pcie-switch-downstream-port'/><controller type='pci' index='4' model='pcie-switch-downstream-port'/><controller type='usb' model='none'/>`)));
  assert.deepEqual(devs.map((d) => [d.driver, d.id, d.bus, d.addr, d.port]), [
    ['pcie-root-port', 'pci.1', 'pcie.0', '0x1', 8],
    ['x3130-upstream', 'pci.2', 'pci.1', '0x0', undefined],
    ['xio3130-downstream', 'pci.3', 'pci.2', '0x0', 0],
    ['xio3130-downstream', 'pci.4', 'pci.2', '0x1', 1],
  ]);
});

test('i440fx: bus indexes below an explicit bridge become pci-bridges, listed in index order', () => {
  const xml = domain(`<controller type='pci' index='3' model='pci-bridge'/>
<rng model='virtio'><backend model='random'>/dev/urandom</backend><address type='pci' domain='0' bus='2' slot='4' function='0'/></rng>`, 'pc');
  const def = parse(xml);
  const pci = def.devices.controllers.filter((c) => c.type === 'pci');
  assert.deepEqual(pci.map((c) => [c.index, c.model]), [[0, 'pci-root'], [1, 'pci-bridge'], [2, 'pci-bridge'], [3, 'pci-bridge']]);
  const out = formatDomainXML(def, { inactive: true, secure: false });
  assert.match(out, /<controller type='pci' index='2' model='pci-bridge'>\n\s+<model name='pci-bridge'\/>\n\s+<target chassisNr='2'\/>/);
});

test('USB2 companions share one slot with EHCI on function 7 (q35: 00:1d)', () => {
  const devs = devices(argv(domain(`<controller type='usb' index='0' model='ich9-ehci1'/>
<controller type='usb' index='0' model='ich9-uhci1'><master startport='0'/></controller>
<controller type='usb' index='0' model='ich9-uhci2'><master startport='2'/></controller>`)));
  assert.deepEqual(devs.map((d) => [d.driver, d.addr, d.multifunction]), [
    ['ich9-usb-ehci1', '0x1d.0x7', undefined],
    ['ich9-usb-uhci1', '0x1d', true],
    ['ich9-usb-uhci2', '0x1d.0x1', undefined],
  ]);
});

test('IOMMU: intel options, split I/O APIC added for interrupt remapping, and validation', () => {
  const args = argv(domain("<controller type='usb' model='none'/><iommu model='intel'><driver intremap='on' caching_mode='on' eim='on'/></iommu>"));
  assert.match(after(args, '-machine')[0], /^q35,usb=off,kernel_irqchip=split,/);
  assert.deepEqual(devices(args).find((d) => d.driver === 'intel-iommu'), {
    driver: 'intel-iommu', id: 'iommu0', intremap: 'on', 'caching-mode': true, eim: 'on',
  });
  const def = parse(domain("<iommu model='intel'><driver intremap='on'/></iommu>"));
  assert.match(formatDomainXML(def, { inactive: true, secure: false }), /<ioapic driver='qemu'\/>/);
  assert.throws(() => parse(domain("<iommu model='intel'><driver eim='on'/></iommu>")), /IOMMU eim requires interrupt remapping to be enabled/);
  assert.throws(() => parse(domain("<iommu model='virtio'><driver intremap='on'/></iommu>", 'q35', '<features><acpi/></features>')), /iommu model 'virtio' doesn't support additional attributes/);
  assert.throws(() => parse(domain("<iommu model='virtio'/>", 'pc', '<features><acpi/></features>')), /IOMMU device: 'virtio' is only supported with Q35 and ARM Virt machines/);
});

test('ivshmem: plain with a memory backend, doorbell before its server chardev', () => {
  const args = argv(domain(`<shmem name='s0'><model type='ivshmem-plain'/><size unit='M'>8</size></shmem>
<shmem name='s1'><model type='ivshmem-doorbell'/><server path='/tmp/s1'/><msi vectors='4' ioeventfd='off'/></shmem>`, 'pc'));
  const tail = args.slice(args.indexOf('-sandbox') + 2, -2);
  assert.deepEqual(tail, [
    '-object', '{"qom-type":"memory-backend-file","id":"shmmem-shmem0","mem-path":"/dev/shm/s0","size":8388608,"share":true}',
    '-device', '{"driver":"ivshmem-plain","id":"shmem0","memdev":"shmmem-shmem0","bus":"pci.0","addr":"0x2"}',
    '-device', '{"driver":"ivshmem-doorbell","id":"shmem1","chardev":"charshmem1","vectors":4,"ioeventfd":false,"bus":"pci.0","addr":"0x3"}',
    '-chardev', 'socket,id=charshmem1,path=/tmp/s1',
  ]);
  assert.throws(() => parse(domain("<shmem name='x'><model type='ivshmem-doorbell'/></shmem>", 'pc')), /supported only with server option enabled/);
});

test('panic: pvpanic-pci gets a PCI address; vsock takes an explicit CID', () => {
  const xml = domain("<panic model='pvpanic'/><vsock model='virtio'><cid auto='no' address='7'/></vsock>", 'pc');
  assert.throws(() => parse(xml), /does not support the PCI panic device/);
  const args = argv(xml, {}, { ...caps, flags: new Set([...caps.flags, 'pvpanic-pci']) });
  const devs = devices(args);
  assert.deepEqual(devs.find((d) => d.driver === 'pvpanic-pci'), { driver: 'pvpanic-pci', bus: 'pci.0', addr: '0x3' });
  assert.deepEqual(devs.find((d) => d.driver === 'vhost-vsock-pci'), {
    driver: 'vhost-vsock-pci', id: 'vsock0', 'guest-cid': 7, vhostfd: '6789', bus: 'pci.0', addr: '0x2',
  });
});

test('chardev TLS: server endpoints follow chardev_tls_x509_verify, tls=no opts out', () => {
  const xml = domain(`<serial type='tcp'><source mode='bind' host='127.0.0.1' service='5555'/><protocol type='raw'/><target port='0'/></serial>
<serial type='tcp'><source mode='connect' host='127.0.0.1' service='5556' tls='no'/><protocol type='raw'/><target port='1'/></serial>`, 'pc');
  const args = argv(xml, { chardev_tls: 1, chardev_tls_x509_verify: 0 });
  assert.deepEqual(after(args, '-object').filter((o) => o.includes('tls-creds')), [
    '{"qom-type":"tls-creds-x509","id":"objcharserial0_tls0","dir":"/etc/pki/libvirt-chardev","endpoint":"server","verify-peer":false}',
  ]);
  const chardevs = after(args, '-chardev');
  assert.ok(chardevs.includes('socket,id=charserial0,host=127.0.0.1,port=5555,server=on,wait=off,tls-creds=objcharserial0_tls0'));
  assert.ok(chardevs.includes('socket,id=charserial1,host=127.0.0.1,port=5556'));
});

test('serials without a port take the lowest free one; aliases follow list position', () => {
  const args = argv(domain(`<serial type='pty'/><serial type='pty'><target port='0'/></serial><serial type='pty'/>`, 'pc'));
  assert.deepEqual(
    devices(args).filter((d) => d.driver === 'isa-serial').map((d) => [d.id, d.index]),
    [['serial0', 1], ['serial1', 0], ['serial2', 2]],
  );
});

test('virtio channels on UNIX sockets without a path listen in the per-VM channel dir', () => {
  const def = parse(domain("<channel type='unix'><target type='virtio' name='org.qemu.guest_agent.0'/></channel>", 'pc'));
  def.id = -1;
  const cfg = testConfig();
  const live = prepareDomainForStart(def, caps, testHost(), cfg, { pretend: true });
  assert.equal(live.devices.channels[0].source.path, '/tmp/channel/domain--1-t/org.qemu.guest_agent.0');
  assert.equal(live.devices.channels[0].source.listen, true);
  assert.doesNotMatch(formatDomainXML(def, { inactive: true, secure: false }), /<source/);
});

test('chardev source validation: reconnect needs connect mode and a timeout, sources need paths/hosts', () => {
  assert.throws(
    () => parse(domain("<serial type='tcp'><source mode='connect' host='h' service='1'><reconnect enabled='yes' timeout='0'/></source><target port='0'/></serial>", 'pc')),
    /^VirError: invalid argument: chardev reconnect source timeout cannot be '0'$/m,
  );
  assert.throws(
    () => parse(domain("<serial type='unix'><source mode='bind' path='/tmp/s'><reconnect enabled='yes' timeout='5'/></source><target port='0'/></serial>", 'pc')),
    /chardev reconnect is possible only for connect mode/,
  );
  assert.throws(() => parse(domain("<serial type='tcp'><source mode='connect' service='1'/><target port='0'/></serial>", 'pc')), /Missing source host attribute for char device/);
  assert.throws(() => parse(domain("<parallel type='file'><target port='0'/></parallel>", 'pc')), /Missing source path attribute for char device/);
});

test('USB: hubs are added when devices outnumber the controller ports', () => {
  const args = argv(domain(`<controller type='usb' index='0'/>${"<input type='mouse' bus='usb'/>".repeat(3)}<input type='tablet' bus='usb'/>`, 'pc'));
  const usb = devices(args).filter((d) => d.bus === 'usb.0');
  assert.deepEqual(usb.map((d) => [d.driver, d.id, d.port]), [
    ['usb-hub', 'hub0', '1'],
    ['usb-mouse', 'input0', '2'],
    ['usb-mouse', 'input1', '1.1'],
    ['usb-mouse', 'input2', '1.2'],
    ['usb-tablet', 'input3', '1.3'],
  ]);
});

test('virtio-serial ports: partial addresses keep their controller, ports start at 1 per controller', () => {
  const xml = domain(`<controller type='virtio-serial' index='0' ports='16'/><controller type='virtio-serial' index='1'/>
<channel type='pty'><target type='virtio' name='a'/></channel>
<channel type='pty'><target type='virtio' name='b'/><address type='virtio-serial' controller='1' bus='0'/></channel>
<channel type='pty'><target type='virtio' name='c'/><address type='virtio-serial' controller='1' bus='0' port='1'/></channel>
<channel type='pty'><target type='virtio' name='d'/></channel>`, 'pc');
  const ports = devices(argv(xml)).filter((d) => d.driver === 'virtserialport').map((d) => [d.name, d.bus, d.nr]);
  assert.deepEqual(ports, [['a', 'virtio-serial0.0', 1], ['b', 'virtio-serial1.0', 2], ['c', 'virtio-serial1.0', 1], ['d', 'virtio-serial0.0', 2]]);
});

test('boot: reboot-timeout before splash-time, rebootTimeout range', () => {
  const xml = (os: string) => `<domain type='qemu'><name>t</name><uuid>c7a5fdbd-edaf-9455-926a-d65c16db1809</uuid><memory>219136</memory><vcpu>1</vcpu>
<os><type arch='x86_64' machine='pc'>hvm</type>${os}</os><devices><emulator>/usr/bin/qemu-system-x86_64</emulator><memballoon model='none'/></devices></domain>`;
  const args = argv(xml("<bootmenu enable='yes' timeout='3000'/><bios rebootTimeout='0'/>"));
  assert.deepEqual(after(args, '-boot'), ['menu=on,reboot-timeout=0,splash-time=3000,strict=on']);
  assert.throws(() => parse(xml("<bios rebootTimeout='-2'/>")), /invalid value for rebootTimeout, must be in range \[-1,65535\]/);
});

test('user-mode NIC addresses: IPv4 net and IPv6 prefix on the netdev', () => {
  const args = argv(domain(`<interface type='user'><mac address='00:11:22:33:44:55'/><ip family='ipv4' address='172.17.2.0' prefix='24'/>
<ip family='ipv6' address='2001:db8:ac10:fd01::' prefix='64'/><model type='rtl8139'/></interface>`, 'pc'));
  assert.deepEqual(after(args, '-netdev'), ['{"type":"user","net":"172.17.2.0/24","ipv6-prefix":"2001:db8:ac10:fd01::","ipv6-prefixlen":64,"id":"hostnet0"}']);
});

test('virtio-net offload options use QEMU property names in qemuBuildNicDevProps order', () => {
  const args = argv(domain(`<interface type='user'><mac address='00:22:44:66:88:aa'/><model type='virtio'/>
<driver txmode='iothread' rx_queue_size='512' rss='on'><host csum='off' gso='off' mrg_rxbuf='off' tso4='off'/><guest csum='off'/></driver></interface>`, 'pc'));
  assert.equal(
    after(args, '-device').find((d) => d.includes('virtio-net')),
    '{"driver":"virtio-net-pci","tx":"bh","csum":false,"gso":false,"host_tso4":false,"mrg_rxbuf":false,"guest_csum":false,"rx_queue_size":512,"rss":true,"netdev":"hostnet0","id":"net0","mac":"00:22:44:66:88:aa","bus":"pci.0","addr":"0x2"}',
  );
});

test('interface type=hostdev: vfio-pci in the host device step with the interface alias', () => {
  const args = argv(domain(`<interface type='hostdev' managed='yes'><mac address='00:11:22:33:44:55'/>
<source><address type='pci' domain='0x0002' bus='0x03' slot='0x07' function='0x1'/></source></interface>`, 'pc'));
  assert.deepEqual(devices(args).find((d) => d.driver === 'vfio-pci'), { driver: 'vfio-pci', host: '0002:03:07.1', id: 'hostdev0', bus: 'pci.0', addr: '0x2' });
  assert.deepEqual(after(args, '-netdev'), []);
});

test('pcihole64 on the root bus becomes a pcihost -global in KiB', () => {
  const args = argv(domain("<controller type='pci' index='0' model='pcie-root'><pcihole64 unit='GiB'>1</pcihole64></controller><controller type='usb' model='none'/>"));
  assert.deepEqual(after(args, '-global'), ['q35-pcihost.pci-hole64-size=1048576K']);
});
