// Host capabilities (virsh capabilities): <host> facts and one <guest> per emulator, formatted the
// way virCapabilitiesFormatXML does (including its blank lines between blocks).
import type { HostCpuTopo, NumaCell } from '../../host/nodeinfo.js';
import type { QemuCaps } from './types.js';

export interface SecModel {
  model: string;
  doi: string;
  baselabels?: Array<{ type: string; label: string }>;
}

export interface HostCapsCpu {
  arch: string;
  model?: string;
  vendor?: string;
  microcode?: number;
  signature?: { family: number; model: number; stepping: number };
  topology?: { sockets: number; dies: number; cores: number; threads: number };
  features?: string[];
  /** Page sizes in KiB. */
  pages?: number[];
}

export interface HostCapsHost {
  uuid?: string;
  cpu: HostCapsCpu;
  /** suspend targets (suspend_mem, suspend_disk, suspend_hybrid); undefined: element omitted. */
  powerManagement?: string[];
  iommu: boolean;
  /** URI transports for migration (libvirt's QEMU driver: tcp, rdma); undefined: element omitted. */
  migrationTransports?: string[];
  cells?: NumaCell[];
  /** Default [{model: 'none', doi: '0'}]. */
  secModels?: SecModel[];
}

export interface HostCapsGuest {
  arch: string;
  emulator: string;
  caps: QemuCaps;
  /** HVF can be used for this guest (macOS). */
  hvf?: boolean;
}

const WORDSIZE: Record<string, number> = {
  i686: 32, x86_64: 64, aarch64: 64, armv7l: 32, armv6l: 32, ppc64: 64, ppc64le: 64, ppc: 32, riscv32: 32,
  riscv64: 64, s390x: 64, sparc: 32, sparc64: 64, mips: 32, mipsel: 32, mips64: 64, mips64el: 64, alpha: 64,
  m68k: 32, microblaze: 32, microblazeel: 32, sh4: 32, sh4eb: 32, xtensa: 32, xtensaeb: 32, or32: 32,
};

function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c] ?? c);
}

/** Machines as guest capabilities list them: aliases with canonical=, plus every canonical name. */
export function guestMachines(caps: QemuCaps): Array<{ name: string; canonical?: string; maxCpus: number; deprecated: boolean }> {
  const acc = caps.flags.has('kvm') ? caps.accel.kvm : caps.flags.has('hvf') ? caps.accel.hvf : caps.accel.tcg;
  const list: Array<{ name: string; canonical?: string; maxCpus: number; deprecated: boolean }> = [];
  for (const m of acc?.machines ?? []) {
    if (m.alias) list.push({ name: m.alias, canonical: m.name, maxCpus: m.maxCpus, deprecated: m.deprecated });
    else list.push({ name: m.name, maxCpus: m.maxCpus, deprecated: m.deprecated });
  }
  for (let i = 0; i < list.length; i++) {
    const c = list[i].canonical;
    if (c && !list.some((x) => x.name === c)) {
      list.splice(i, 0, { name: c, maxCpus: list[i].maxCpus, deprecated: list[i].deprecated });
      i++;
    }
  }
  return list;
}

function cpuLine(c: HostCpuTopo): string {
  return `<cpu id='${c.id}' socket_id='${c.socketId}' die_id='${c.dieId}' core_id='${c.coreId}' siblings='${esc(c.siblings)}'/>`;
}

/** Builds the <capabilities> document. */
export function buildHostCapabilities(host: HostCapsHost, guests: HostCapsGuest[]): string {
  const L: string[] = ['<capabilities>', ''];
  const p = (d: number, s: string) => L.push(' '.repeat(d * 2) + s);
  p(1, '<host>');
  if (host.uuid) p(2, `<uuid>${esc(host.uuid)}</uuid>`);
  const c = host.cpu;
  p(2, '<cpu>');
  p(3, `<arch>${esc(c.arch)}</arch>`);
  if (c.model) p(3, `<model>${esc(c.model)}</model>`);
  if (c.vendor) p(3, `<vendor>${esc(c.vendor)}</vendor>`);
  if (c.microcode !== undefined) p(3, `<microcode version='${c.microcode}'/>`);
  if (c.signature) p(3, `<signature family='${c.signature.family}' model='${c.signature.model}' stepping='${c.signature.stepping}'/>`);
  if (c.topology) {
    const t = c.topology;
    p(3, `<topology sockets='${t.sockets}' dies='${t.dies}' cores='${t.cores}' threads='${t.threads}'/>`);
  }
  for (const f of c.features ?? []) p(3, `<feature name='${esc(f)}'/>`);
  for (const sz of c.pages ?? []) p(3, `<pages unit='KiB' size='${sz}'/>`);
  p(2, '</cpu>');
  if (host.powerManagement) {
    if (host.powerManagement.length === 0) p(2, '<power_management/>');
    else {
      p(2, '<power_management>');
      for (const s of host.powerManagement) p(3, `<${s}/>`);
      p(2, '</power_management>');
    }
  }
  p(2, `<iommu support='${host.iommu ? 'yes' : 'no'}'/>`);
  if (host.migrationTransports) {
    p(2, '<migration_features>');
    p(3, '<live/>');
    if (host.migrationTransports.length) {
      p(3, '<uri_transports>');
      for (const t of host.migrationTransports) p(4, `<uri_transport>${esc(t)}</uri_transport>`);
      p(3, '</uri_transports>');
    }
    p(2, '</migration_features>');
  }
  if (host.cells?.length) {
    p(2, '<topology>');
    p(3, `<cells num='${host.cells.length}'>`);
    for (const cell of host.cells) {
      p(4, `<cell id='${cell.id}'>`);
      p(5, `<memory unit='KiB'>${cell.memory}</memory>`);
      if (cell.distances.length) {
        p(5, '<distances>');
        for (const d of cell.distances) p(6, `<sibling id='${d.id}' value='${d.value}'/>`);
        p(5, '</distances>');
      }
      p(5, `<cpus num='${cell.cpus.length}'>`);
      for (const cpu of cell.cpus) p(6, cpuLine(cpu));
      p(5, '</cpus>');
      p(4, '</cell>');
    }
    p(3, '</cells>');
    p(2, '</topology>');
  }
  for (const sm of host.secModels ?? []) {
    p(2, '<secmodel>');
    p(3, `<model>${esc(sm.model)}</model>`);
    p(3, `<doi>${esc(sm.doi)}</doi>`);
    for (const b of sm.baselabels ?? []) p(3, `<baselabel type='${esc(b.type)}'>${esc(b.label)}</baselabel>`);
    p(2, '</secmodel>');
  }
  p(1, '</host>');
  L.push('');
  for (const g of guests) {
    const f = g.caps.flags;
    p(1, '<guest>');
    p(2, '<os_type>hvm</os_type>');
    p(2, `<arch name='${esc(g.arch)}'>`);
    p(3, `<wordsize>${WORDSIZE[g.arch] ?? 64}</wordsize>`);
    p(3, `<emulator>${esc(g.emulator)}</emulator>`);
    for (const m of guestMachines(g.caps)) {
      const attrs = `${m.canonical ? ` canonical='${esc(m.canonical)}'` : ''} maxCpus='${m.maxCpus}'${m.deprecated ? " deprecated='yes'" : ''}`;
      p(3, `<machine${attrs}>${esc(m.name)}</machine>`);
    }
    if (f.has('tcg')) p(3, "<domain type='qemu'/>");
    if (f.has('kvm')) p(3, "<domain type='kvm'/>");
    if (f.has('hvf') || g.hvf) p(3, "<domain type='hvf'/>");
    p(2, '</arch>');
    p(2, '<features>');
    const x86 = g.arch === 'x86_64' || g.arch === 'i686';
    if (g.arch === 'i686') {
      p(3, '<pae/>');
      p(3, '<nonpae/>');
    }
    if (x86 || g.arch === 'aarch64') p(3, "<acpi default='on' toggle='yes'/>");
    if (x86) p(3, "<apic default='on' toggle='no'/>");
    p(3, '<cpuselection/>');
    p(3, '<deviceboot/>');
    p(3, "<disksnapshot default='on' toggle='no'/>");
    p(2, '</features>');
    p(1, '</guest>');
    L.push('');
  }
  L.push('</capabilities>');
  return L.join('\n') + '\n';
}
