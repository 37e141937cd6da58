// Memory, NUMA, CPU and IOThread rules the visible conformance corpus does not pin down on its own:
// NUMA distances and legacy mem=, file-backed RAM, memory locking and merging, virtio-pmem, the
// hotplug/hugepage errors, restrictive numatune, host-passthrough migratability, IOThread ids,
// -no-reboot at a real start, TSEG formatting and the default CPU for topology-only <cpu>.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { formatDomainXML, parseDomainXML } from '../../src/conf/domain/index.js';
import { formatBitmap, parseBitmap } from '../../src/conf/domain/numa.js';
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

interface Dom {
  head?: string;
  cpu?: string;
  devices?: string;
  machine?: string;
  memory?: string;
  vcpus?: number;
  lifecycle?: string;
}

function domain(d: Dom): string {
  return `<domain type='qemu'><name>t</name><uuid>c7a5fdbd-edaf-9455-926a-d65c16db1809</uuid>${d.memory ?? '<memory>219136</memory>'}
<vcpu>${d.vcpus ?? 2}</vcpu>${d.head ?? ''}<os><type arch='x86_64' machine='${d.machine ?? 'pc'}'>hvm</type></os>${d.cpu ?? ''}${d.lifecycle ?? ''}
<devices><emulator>/usr/bin/qemu-system-x86_64</emulator>${d.devices ?? ''}<memballoon model='none'/></devices></domain>`;
}

function parse(xml: string) {
  return parseDomainXML(xml, {
    postParse: (d) => qemuPostParse(d, caps, { randomBytes: mockRandomBytes }),
    validate: (d) => qemuValidate(d, caps),
  });
}

function argv(xml: string, pretend = true): string[] {
  const def = parse(xml);
  def.id = -1;
  const host = testHost();
  const cfg = testConfig();
  const live = prepareDomainForStart(def, caps, host, cfg, { pretend });
  return buildCommandLine(live, caps, host, cfg).argv;
}

function after(args: string[], opt: string): string[] {
  return args.flatMap((a, i) => (args[i - 1] === opt ? [a] : []));
}

const twoCells = `<cpu><numa>
  <cell id='0' cpus='0' memory='110592'><distances><sibling id='0' value='10'/><sibling id='1' value='21'/></distances></cell>
  <cell id='1' cpus='1' memory='108544'/>
</numa></cpu>`;

test('bitmaps parse with ranges and exclusions and format as ranges', () => {
  assert.deepEqual(parseBitmap('0-3,^2,7'), [0, 1, 3, 7]);
  assert.equal(formatBitmap([5, 1, 2, 3, 9]), '1-3,5,9');
  assert.throws(() => parseBitmap('1-x'));
});

test('NUMA distances: symmetric unless given both ways, every pair listed once one is set (10 local, 20 remote)', () => {
  const numa = after(argv(domain({ cpu: twoCells })), '-numa');
  assert.deepEqual(numa.slice(2), [
    'dist,src=0,dst=0,val=10',
    'dist,src=0,dst=1,val=21',
    'dist,src=1,dst=0,val=21',
    'dist,src=1,dst=1,val=10',
  ]);
  const three = `<cpu><numa><cell id='0' cpus='0' memory='73728'><distances><sibling id='1' value='15'/></distances></cell>
<cell id='1' cpus='1' memory='73728'><distances><sibling id='0' value='16'/></distances></cell><cell id='2' cpus='2' memory='73728'/></numa></cpu>`;
  const def = parse(domain({ vcpus: 3, cpu: three }));
  const xml = formatDomainXML(def, { inactive: true });
  assert.match(xml, /<cell id='0' cpus='0' memory='73728' unit='KiB'>\n\s+<distances>\n\s+<sibling id='0' value='10'\/>\n\s+<sibling id='1' value='15'\/>/);
  assert.match(xml, /<cell id='1' cpus='1' memory='73728' unit='KiB'>\n\s+<distances>\n\s+<sibling id='0' value='16'\/>\n\s+<sibling id='1' value='10'\/>/);
  assert.match(xml, /<cell id='2' cpus='2' memory='73728' unit='KiB'\/>/);
  assert.deepEqual(after(argv(domain({ vcpus: 3, cpu: three })), '-numa').filter((s) => s.startsWith('dist,src=2')), [
    'dist,src=2,dst=0,val=20',
    'dist,src=2,dst=1,val=20',
    'dist,src=2,dst=2,val=10',
  ]);
  assert.throws(() => parse(domain({ cpu: twoCells.replace("value='21'", "value='5'") })), /'value 5' is invalid for 'sibling id 1' under NUMA 'cell id 0'/);
  assert.deepEqual(numa.slice(0, 2), ['node,nodeid=0,cpus=0,memdev=ram-node0', 'node,nodeid=1,cpus=1,memdev=ram-node1']);
});

test('machines that still take -numa mem= use it when no backend is needed', () => {
  const args = argv(domain({ cpu: twoCells, machine: 'pc-i440fx-2.3' }));
  assert.deepEqual(after(args, '-numa').slice(0, 2), ['node,nodeid=0,cpus=0,mem=108', 'node,nodeid=1,cpus=1,mem=106']);
  assert.ok(!args.some((a) => a.includes('ram-node')));
  // ... but a per-node memnode forces backends for every node
  const withTune = argv(domain({ cpu: twoCells, machine: 'pc-i440fx-2.3', head: "<numatune><memnode cellid='1' mode='interleave' nodeset='2-3'/></numatune>" }));
  const objs = after(withTune, '-object').map((o) => JSON.parse(o));
  assert.deepEqual(objs.filter((o) => o.id?.startsWith('ram-node')).map((o) => [o.id, o['host-nodes'], o.policy]), [
    ['ram-node0', undefined, undefined],
    ['ram-node1', [2, 3], 'interleave'],
  ]);
});

test('file-backed RAM lives in the memory backing dir; locked memory and nosharepages', () => {
  const args = argv(domain({ head: "<memoryBacking><nosharepages/><locked/><source type='file'/><access mode='shared'/></memoryBacking>" }));
  const ram = JSON.parse(after(args, '-object').find((o) => o.includes('pc.ram')) ?? '{}');
  assert.equal(ram['qom-type'], 'memory-backend-file');
  assert.equal(ram['mem-path'], '/var/lib/libvirt/qemu/ram/-1-t/pc.ram');
  assert.equal(ram.share, true);
  assert.equal(ram['x-use-canonical-path-for-ramblock-id'], false);
  assert.deepEqual(after(args, '-overcommit'), ['mem-lock=on']);
  assert.match(after(args, '-machine')[0], /,dump-guest-core=off,mem-merge=off,/);
});

test('virtio-pmem: file backend without preallocation, PCI device without a node', () => {
  const args = argv(
    domain({
      head: "<maxMemory slots='4' unit='KiB'>4194304</maxMemory>",
      cpu: "<cpu><numa><cell id='0' cpus='0-1' memory='219136'/></numa></cpu>",
      memory: '',
      devices: "<memory model='virtio-pmem' access='shared'><source><path>/tmp/pmem</path></source><target><size unit='KiB'>524288</size></target></memory>",
    }),
  );
  const obj = JSON.parse(after(args, '-object').find((o) => o.includes('memvirtiopmem0')) ?? '{}');
  assert.deepEqual(obj, { 'qom-type': 'memory-backend-file', id: 'memvirtiopmem0', 'mem-path': '/tmp/pmem', share: true, size: 536870912 });
  const dev = JSON.parse(after(args, '-device').find((o) => o.includes('virtio-pmem-pci')) ?? '{}');
  assert.equal(dev.memdev, 'memvirtiopmem0');
  assert.equal(dev.node, undefined);
  assert.equal(dev.bus, 'pci.0');
  assert.match(after(args, '-m')[0], /^size=219136k,slots=4,maxmem=4194304k$/);
});

test('memory hotplug needs maxMemory and a NUMA node; DIMM slots are assigned at define', () => {
  const dimm = "<memory model='dimm'><target><size unit='KiB'>131072</size><node>0</node></target></memory>";
  assert.throws(() => parse(domain({ devices: dimm })), /cannot use\/hotplug a memory device when domain 'maxMemory' is not defined/);
  assert.throws(
    () => parse(domain({ head: "<maxMemory slots='2' unit='KiB'>1048576</maxMemory>" })),
    /At least one numa node has to be configured when enabling memory hotplug/,
  );
  const def = parse(
    domain({
      head: "<maxMemory slots='2' unit='KiB'>1048576</maxMemory>",
      cpu: "<cpu><numa><cell id='0' cpus='0-1' memory='219136'/></numa></cpu>",
      memory: '',
      devices: dimm.replace('</memory>', "<address type='dimm' slot='0'/></memory>") + dimm,
    }),
  );
  // total memory without <memory>: NUMA cells plus modules
  assert.equal(def.memory, 219136 + 2 * 131072);
  const xml = formatDomainXML(def, { inactive: true });
  assert.match(xml, /<address type='dimm' slot='0'\/>[\s\S]*<address type='dimm' slot='1'\/>/);
});

test('a hugepage size without a hugetlbfs mount fails at build time', () => {
  assert.throws(
    () => argv(domain({ head: "<memoryBacking><hugepages><page size='16' unit='MiB'/></hugepages></memoryBacking>" })),
    /Unable to find any usable hugetlbfs mount for 16384 KiB/,
  );
  // a "huge" page of the system page size means no huge pages
  const args = argv(domain({ head: "<memoryBacking><hugepages><page size='4' unit='KiB'/></hugepages></memoryBacking>" }));
  assert.match(after(args, '-object').find((o) => o.includes('pc.ram')) ?? '', /memory-backend-ram/);
});

test('restrictive numatune binds nothing on the command line; unavailable host nodes are refused', () => {
  const args = argv(domain({ head: "<numatune><memory mode='restrictive' nodeset='1'/></numatune>" }));
  assert.deepEqual(JSON.parse(after(args, '-object').find((o) => o.includes('pc.ram')) ?? '{}'), {
    'qom-type': 'memory-backend-ram',
    id: 'pc.ram',
    size: 224395264,
  });
  assert.throws(() => argv(domain({ head: "<numatune><memory mode='strict' nodeset='8'/></numatune>" })), /no numa node set is available at bit 8/);
});

test('host-passthrough CPUs state their migratability; Hyper-V features follow libvirt\'s order', () => {
  const args = argv(
    domain({
      head: "<features><hyperv><vendor_id state='on' value='KVM Hv'/><relaxed state='on'/><spinlocks state='on' retries='8191'/></hyperv></features>",
      cpu: "<cpu mode='host-passthrough'/>",
    }),
  );
  assert.deepEqual(after(args, '-cpu'), ['host,migratable=on,hv-relaxed=on,hv-spinlocks=0x1fff,hv-vendor-id=KVM Hv']);
});

test('IOThread ids: explicit ones first, then the lowest free ids up to the count', () => {
  const args = argv(domain({ head: "<iothreads>3</iothreads><iothreadids><iothread id='2'/></iothreadids>" }));
  assert.deepEqual(
    after(args, '-object').filter((o) => o.includes('iothread')).map((o) => JSON.parse(o).id),
    ['iothread2', 'iothread1', 'iothread3'],
  );
});

test('-no-reboot comes from process start when every lifecycle action destroys, not from a pretend build', () => {
  const lc = '<on_poweroff>destroy</on_poweroff><on_reboot>destroy</on_reboot><on_crash>destroy</on_crash>';
  assert.ok(!argv(domain({ lifecycle: lc }), true).includes('-no-reboot'));
  assert.ok(argv(domain({ lifecycle: lc }), false).includes('-no-reboot'));
  assert.ok(!argv(domain({ lifecycle: lc.replace('<on_crash>destroy', '<on_crash>restart') }), false).includes('-no-reboot'));
});

test('SMM TSEG is formatted in MiB; a topology-only <cpu> gets the default model', () => {
  const def = parse(
    domain({
      machine: 'q35',
      head: "<features><smm state='on'><tseg unit='KiB'>49152</tseg></smm></features>",
      cpu: "<cpu><topology sockets='1' dies='1' cores='2' threads='1'/></cpu>",
    }),
  );
  const xml = formatDomainXML(def, { inactive: true });
  assert.match(xml, /<tseg unit='MiB'>48<\/tseg>/);
  assert.match(xml, /<cpu mode='custom' match='exact' check='none'>\s*<model fallback='forbid'>qemu64<\/model>\s*<topology/);
  assert.throws(
    () => parse(domain({ machine: 'q35', head: "<features><smm state='on'><tseg unit='KiB'>1000</tseg></smm></features>" })),
    /SMM TSEG size must be divisible by 1 MiB/,
  );
});

test('NUMA and numatune validation: ids, overlapping CPUs, memnodes, virtio-mem sizes', () => {
  const cells = (a: string, b: string) => `<cpu><numa><cell id='0' cpus='${a}' memory='109568'/><cell id='1' cpus='${b}' memory='109568'/></numa></cpu>`;
  assert.throws(() => parse(domain({ cpu: cells('0-1', '1') })), /NUMA cells 0 and 1 have overlapping vCPU ids/);
  assert.throws(() => parse(domain({ cpu: cells('0', '2') })), /CPU IDs in <numa> exceed the <vcpu> count/);
  assert.throws(() => parse(domain({ cpu: cells('0', '1').replace("id='1'", "id='2'") })), /Exactly one 'cell' element per guest NUMA cell/);
  assert.throws(() => parse(domain({ head: "<numatune><memnode cellid='0' mode='strict' nodeset='0'/></numatune>" })), /Element 'memnode' is invalid without any guest NUMA cells/);
  assert.throws(
    () => parse(domain({ cpu: cells('0', '1'), head: "<numatune><memnode cellid='2' mode='strict' nodeset='0'/></numatune>" })),
    /Argument 'cellid' in memnode element must correspond to existing guest's NUMA cell/,
  );
  // disordered but complete ids are stored in id order
  const def = parse(domain({ cpu: "<cpu><numa><cell id='1' cpus='1' memory='109568'/><cell id='0' cpus='0' memory='109568'/></numa></cpu>" }));
  assert.deepEqual(def.cpu?.numa?.cells.map((c) => c.cpus), ['0', '1']);
  const vmem = (block: number, req: number) =>
    domain({
      head: "<maxMemory slots='4' unit='KiB'>4194304</maxMemory>",
      cpu: "<cpu><numa><cell id='0' cpus='0-1' memory='219136'/></numa></cpu>",
      memory: '',
      devices: `<memory model='virtio-mem'><target><size unit='KiB'>1048576</size><node>0</node><block unit='KiB'>${block}</block><requested unit='KiB'>${req}</requested></target></memory>`,
    });
  assert.throws(() => parse(vmem(3072, 0)), /block size must be a power of two/);
  assert.throws(() => parse(vmem(1024, 0)), /block size too small, must be at least 2048KiB/);
  assert.throws(() => parse(vmem(2048, 1000)), /requested size must be an integer multiple of block size/);
  assert.ok(parse(vmem(2048, 4096)));
});

test('cpu_map features marked removed from a model are disabled explicitly for a custom CPU', () => {
  const args = argv(domain({ cpu: "<cpu mode='custom' match='exact'><model fallback='forbid'>Icelake-Server</model></cpu>" }));
  assert.deepEqual(after(args, '-cpu'), ['Icelake-Server,intel-pt=off']);
  const own = argv(domain({ cpu: "<cpu mode='custom' match='exact'><model>Icelake-Server</model><feature policy='require' name='intel-pt'/></cpu>" }));
  assert.deepEqual(after(own, '-cpu'), ['Icelake-Server,intel-pt=on']);
});

test('KVM features: hidden/hint-dedicated/poll-control on -cpu, the dirty ring size on -accel', () => {
  const xml = domain({
    head: "<features><kvm><hidden state='on'/><hint-dedicated state='on'/><poll-control state='on'/><pv-ipi state='off'/><dirty-ring state='on' size='4096'/></kvm></features>",
    cpu: "<cpu mode='host-passthrough' check='none' migratable='off'/>",
  }).replace("<domain type='qemu'>", "<domain type='kvm'>");
  const args = argv(xml);
  assert.deepEqual(after(args, '-accel'), ['kvm,dirty-ring-size=4096']);
  assert.deepEqual(after(args, '-cpu'), ['host,migratable=off,kvm=off,kvm-hint-dedicated=on,kvm-poll-control=on,kvm-pv-ipi=off']);
});

test('clock: timezone and variable offsets, rtc wall track, default PIT policy, hpet on, unsupported timers', () => {
  const clock = (c: string) => domain({ head: '' }).replace('</os>', `</os><clock ${c}`);
  const tz = argv(clock("offset='timezone' timezone='Europe/Paris'><timer name='rtc' track='wall'/><timer name='pit'/><timer name='hpet' present='yes'/></clock>"));
  assert.deepEqual(after(tz, '-rtc'), ['base=localtime,clock=host']);
  assert.deepEqual(after(tz, '-global'), ['kvm-pit.lost_tick_policy=delay']);
  assert.match(after(tz, '-machine')[0], /,hpet=on$/);
  const def = parse(clock("offset='variable' adjustment='3600' basis='utc'/>"));
  const host = testHost();
  const live = prepareDomainForStart(def, caps, host, testConfig(), { pretend: true });
  const cmd = buildCommandLine(live, caps, host, testConfig());
  assert.deepEqual(after(cmd.argv, '-rtc'), ['base=2009-02-14T00:31:30']);
  const tzCmd = buildCommandLine(prepareDomainForStart(parse(clock("offset='timezone' timezone='Europe/Paris'/>")), caps, host, testConfig(), { pretend: true }), caps, host, testConfig());
  assert.deepEqual(tzCmd.env.at(-1), ['TZ', 'Europe/Paris']);
  assert.throws(() => parse(clock("offset='utc'><timer name='rtc' track='boot'/></clock>")), /unsupported rtc timer track 'boot'/);
  assert.throws(() => parse(clock("offset='utc'><timer name='pit' tickpolicy='merge'/></clock>")), /unsupported pit tickpolicy 'merge'/);
  assert.throws(() => parse(clock("offset='utc'><timer name='platform'/></clock>")), /unsupported timer type \(name\) 'platform'/);
});

test('CPU validation: topology must match the vCPU count, machine vCPU limit, cache modes', () => {
  assert.throws(() => parse(domain({ vcpus: 4, cpu: "<cpu><topology sockets='1' dies='1' cores='2' threads='1'/></cpu>" })), /CPU topology doesn't match maximum vcpu count/);
  assert.throws(() => parse(domain({ vcpus: 300 })), /Maximum CPUs greater than specified machine type limit 255/);
  assert.throws(
    () => parse(domain({ cpu: "<cpu mode='custom'><model>qemu64</model><cache mode='passthrough'/></cpu>" })),
    /CPU cache mode 'passthrough' can only be used with 'host-passthrough' \/ 'maximum' CPUs/,
  );
  assert.throws(() => parse(domain({ cpu: "<cpu mode='custom'><model>qemu64</model><cache level='2' mode='emulate'/></cpu>" })), /can only be used with level='3'/);
  const args = argv(domain({ cpu: "<cpu mode='custom'><model>qemu64</model><cache level='3' mode='emulate'/></cpu>" }));
  assert.deepEqual(after(args, '-cpu'), ['qemu64,l3-cache=on']);
});

test('<numatune> and <memoryBacking> are written back in libvirt\'s canonical form', () => {
  const def = parse(
    domain({
      memory: "<memory unit='KiB'>219136</memory>",
      head: `<memoryBacking><locked/><hugepages><page size='2' unit='M' nodeset='1'/><page size='1' unit='G' nodeset='0'/></hugepages><allocation threads='4'/></memoryBacking>
<numatune><memnode cellid='1' mode='interleave' nodeset='4-7,^5'/><memory mode='preferred' nodeset='0,1,2'/></numatune>`,
      cpu: "<cpu><numa><cell id='0' cpus='0' memory='109568'/><cell id='1' cpus='1' memory='109568'/></numa></cpu>",
    }),
  );
  const xml = formatDomainXML(def, { inactive: true });
  assert.match(
    xml,
    /<memoryBacking>\n {4}<hugepages>\n {6}<page size='2048' unit='KiB' nodeset='1'\/>\n {6}<page size='1048576' unit='KiB' nodeset='0'\/>\n {4}<\/hugepages>\n {4}<locked\/>\n {4}<allocation threads='4'\/>\n {2}<\/memoryBacking>/,
  );
  assert.match(xml, /<numatune>\n {4}<memory mode='preferred' nodeset='0-2'\/>\n {4}<memnode cellid='1' mode='interleave' nodeset='4,6-7'\/>\n {2}<\/numatune>/);
});

test('vCPUs no NUMA cell claims are given to cell 0; file-backed NUMA memory per cell', () => {
  const xml = domain({
    vcpus: 8,
    head: "<memoryBacking><source type='file'/><access mode='shared'/><allocation mode='immediate'/></memoryBacking>",
    cpu: "<cpu><numa><cell id='0' cpus='0-1' memory='109568'/><cell id='1' cpus='2-3' memory='109568' memAccess='private'/></numa></cpu>",
  });
  assert.match(formatDomainXML(parse(xml), { inactive: true }), /<cell id='0' cpus='0-1,4-7' memory='109568' unit='KiB'\/>/);
  const args = argv(xml);
  assert.deepEqual(after(args, '-numa'), ['node,nodeid=0,cpus=0-1,cpus=4-7,memdev=ram-node0', 'node,nodeid=1,cpus=2-3,memdev=ram-node1']);
  const objs = after(args, '-object').map((o) => JSON.parse(o)).filter((o) => o.id.startsWith('ram-node'));
  assert.deepEqual(objs[1], {
    'qom-type': 'memory-backend-file',
    id: 'ram-node1',
    'mem-path': '/var/lib/libvirt/qemu/ram/-1-t/ram-node1',
    share: false,
    prealloc: true,
    size: 112197632,
  });
  assert.equal(objs[0].share, true);
});

test('<iothreadids> count into <iothreads>; duplicate and zero ids are refused', () => {
  const def = parse(domain({ head: "<iothreadids><iothread id='3'/><iothread id='1'/></iothreadids>" }));
  assert.equal(def.iothreads, 2);
  assert.match(formatDomainXML(def, { inactive: true }), /<iothreads>2<\/iothreads>\n {2}<iothreadids>/);
  assert.throws(() => parse(domain({ head: "<iothreadids><iothread id='1'/><iothread id='1'/></iothreadids>" })), /Duplicate iothread id '1' found/);
  assert.throws(() => parse(domain({ head: "<iothreadids><iothread id='0'/></iothreadids>" })), /Invalid value for attribute 'id' in element 'iothread'/);
});
