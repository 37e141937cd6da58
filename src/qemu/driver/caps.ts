// The driver's capabilities documents: host capabilities (virsh capabilities) from the host facts in
// src/host and the probed capabilities of every emulator in /usr/bin, and domain capabilities
// (virsh domcapabilities) with libvirt's errors for a bad virttype, arch, emulator or machine
// (virQEMUCapsCacheLookupDefault).
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { DomainCapsQuery } from '../../driver/api.js';
import { cpuSignature, microcodeVersion, readCpuInfo } from '../../host/cpuinfo.js';
import { readNodeInfo, readNumaCells } from '../../host/nodeinfo.js';
import { ErrorDomain, invalidArg } from '../../util/errors.js';
import { buildDomainCaps, type DomCapsHost, type FirmwareDescriptor } from '../caps/domcaps.js';
import { buildHostCapabilities, type HostCapsCpu, type HostCapsGuest, type SecModel } from '../caps/hostcaps.js';
import type { QemuCaps } from '../caps/types.js';
import type { QemuDriverState } from './state.js';

const HOST_ARCH: Record<string, string> = { x64: 'x86_64', arm64: 'aarch64', ia32: 'i686', ppc64: 'ppc64le', s390x: 's390x', riscv64: 'riscv64' };
export const hostArch = (): string => HOST_ARCH[process.arch] ?? process.arch;

/** libvirt's architecture names (virArch), as accepted by domcapabilities --arch. */
const ARCHES = new Set([
  'i686', 'x86_64', 'aarch64', 'armv6l', 'armv7l', 'armv7b', 'alpha', 'cris', 'lm32', 'm68k', 'microblaze', 'microblazeel',
  'mips', 'mipsel', 'mips64', 'mips64el', 'openrisc', 'parisc', 'parisc64', 'ppc', 'ppcle', 'ppc64', 'ppc64le', 'ppcemb',
  'riscv32', 'riscv64', 's390', 's390x', 'sh4', 'sh4eb', 'sparc', 'sparc64', 'unicore32', 'xtensa', 'xtensaeb', 'loongarch64',
]);

/** virDomainVirtType names. */
const VIRT_TYPES = new Set(['none', 'qemu', 'kqemu', 'kvm', 'xen', 'lxc', 'uml', 'openvz', 'test', 'vmware', 'hyperv', 'vbox', 'phyp', 'parallels', 'bhyve', 'vz', 'hvf']);

/** qemu-system-NAME → libvirt arch. */
function archOfBinary(suffix: string): string | undefined {
  const a = suffix === 'i386' ? 'i686' : suffix === 'arm' ? 'armv7l' : suffix;
  return ARCHES.has(a) ? a : undefined;
}

const sameFamily = (a: string, b: string) => {
  const fam = (x: string) => (x === 'i686' || x === 'x86_64' ? 'x86' : x.startsWith('ppc') ? 'ppc' : x.startsWith('arm') || x === 'aarch64' ? 'arm' : x.startsWith('s390') ? 's390' : x);
  return fam(a) === fam(b);
};

/** The emulators libvirt would find: /usr/bin/qemu-system-ARCH for every known ARCH. */
export async function findEmulators(dir = '/usr/bin'): Promise<Array<{ arch: string; emulator: string }>> {
  let names: string[] = [];
  try {
    names = await readdir(dir);
  } catch {
    return [];
  }
  const out: Array<{ arch: string; emulator: string }> = [];
  for (const n of names.sort()) {
    if (!n.startsWith('qemu-system-')) continue;
    const arch = archOfBinary(n.slice('qemu-system-'.length));
    if (arch && !out.some((o) => o.arch === arch)) out.push({ arch, emulator: join(dir, n) });
  }
  // The host architecture's emulator first, as libvirt lists the native guest first.
  const h = hostArch();
  return out.sort((a, b) => (a.arch === h ? -1 : b.arch === h ? 1 : 0));
}

const VENDORS: Record<string, string> = { GenuineIntel: 'Intel', AuthenticAMD: 'AMD', HygonGenuine: 'Hygon', CentaurHauls: 'VIA' };

async function readText(p: string): Promise<string | undefined> {
  try {
    return (await readFile(p, 'utf8')).trim();
  } catch {
    return undefined;
  }
}

/** Host UUID: the SMBIOS system UUID, else /etc/machine-id shaped as a UUID. */
async function hostUUID(): Promise<string | undefined> {
  const smbios = await readText('/sys/class/dmi/id/product_uuid');
  if (smbios && /^[0-9a-f-]{36}$/i.test(smbios)) return smbios.toLowerCase();
  const mid = await readText('/etc/machine-id');
  if (mid && /^[0-9a-f]{32}$/.test(mid)) return `${mid.slice(0, 8)}-${mid.slice(8, 12)}-${mid.slice(12, 16)}-${mid.slice(16, 20)}-${mid.slice(20)}`;
  return undefined;
}

async function hostPages(): Promise<number[]> {
  const pages = [4];
  try {
    for (const n of await readdir('/sys/kernel/mm/hugepages')) {
      const m = /^hugepages-(\d+)kB$/.exec(n);
      if (m) pages.push(Number(m[1]));
    }
  } catch {
    /* no hugetlb */
  }
  return [...new Set(pages)].sort((a, b) => a - b);
}

async function iommuPresent(): Promise<boolean> {
  try {
    return (await readdir('/sys/kernel/iommu_groups')).length > 0;
  } catch {
    return false;
  }
}

async function hostCpu(): Promise<HostCapsCpu> {
  const [info, node] = await Promise.all([readCpuInfo(), readNodeInfo()]);
  const cpu: HostCapsCpu = { arch: hostArch() };
  const first = info[0];
  const vendor = first?.vendor_id;
  if (vendor) cpu.vendor = VENDORS[vendor] ?? vendor;
  const mc = microcodeVersion(info);
  if (mc) cpu.microcode = mc;
  if (cpuSignature(info) && first) {
    cpu.signature = { family: Number(first['cpu family']) || 0, model: Number(first.model) || 0, stepping: Number(first.stepping) || 0 };
  }
  cpu.topology = { sockets: node.sockets, dies: 1, cores: node.cores, threads: node.threads };
  cpu.pages = await hostPages();
  return cpu;
}

/** `virsh capabilities`: host facts, the security models, one <guest> per emulator that probes. */
export async function hostCapabilitiesXML(st: QemuDriverState, secModels: SecModel[]): Promise<string> {
  const emulators = await findEmulators();
  const [cpu, cells, iommu, uuid, probed] = await Promise.all([
    hostCpu(),
    readNumaCells(),
    iommuPresent(),
    hostUUID(),
    Promise.all(emulators.map(async (e) => ({ ...e, caps: await st.caps(e.emulator).catch(() => null) }))),
  ]);
  const guests: HostCapsGuest[] = probed.filter((g): g is typeof g & { caps: QemuCaps } => g.caps !== null).map((g) => ({ arch: g.arch, emulator: g.emulator, caps: g.caps }));
  return buildHostCapabilities(
    { uuid, cpu, powerManagement: [], iommu, migrationTransports: ['tcp', 'rdma'], cells, secModels },
    guests,
  );
}

// ---- domain capabilities ----------------------------------------------------------------------------

const FIRMWARE_DIRS = ['/usr/share/qemu/firmware', '/etc/qemu/firmware'];

/** QEMU firmware descriptors (later directories override files of the same name). */
export async function readFirmwareDescriptors(dirs: readonly string[] = FIRMWARE_DIRS): Promise<FirmwareDescriptor[]> {
  const byName = new Map<string, string>();
  for (const d of dirs) {
    try {
      for (const n of await readdir(d)) if (n.endsWith('.json')) byName.set(n, join(d, n));
    } catch {
      /* no such dir */
    }
  }
  const out: FirmwareDescriptor[] = [];
  for (const n of [...byName.keys()].sort()) {
    try {
      out.push(JSON.parse(await readFile(byName.get(n)!, 'utf8')) as FirmwareDescriptor);
    } catch {
      /* unreadable descriptor: skipped as libvirt does */
    }
  }
  return out;
}

/** `virsh domcapabilities [--virttype] [--emulatorbin] [--arch] [--machine]`. */
export async function domainCapabilitiesXML(st: QemuDriverState, q: DomainCapsQuery): Promise<string> {
  const virttypeStr = q.virttype ?? undefined;
  if (virttypeStr !== undefined && !VIRT_TYPES.has(virttypeStr)) throw invalidArg(`unknown virttype: ${virttypeStr}`, ErrorDomain.QEMU);
  const archStr = q.arch ?? undefined;
  if (archStr !== undefined && !ARCHES.has(archStr)) throw invalidArg(`unknown architecture: ${archStr}`, ErrorDomain.QEMU);
  let emulator: string;
  let caps: QemuCaps;
  let arch: string;
  if (q.emulatorbin) {
    emulator = q.emulatorbin;
    caps = await st.caps(emulator);
    arch = archStr ?? caps.arch;
    if (!sameFamily(caps.arch, arch)) {
      throw invalidArg(`architecture from emulator '${caps.arch}' doesn't match given architecture '${arch}'`, ErrorDomain.QEMU);
    }
  } else {
    arch = archStr ?? hostArch();
    const found = (await findEmulators()).find((e) => e.arch === arch) ?? (await findEmulators()).find((e) => arch === 'i686' && e.arch === 'x86_64');
    if (!found) throw invalidArg(`unable to find any emulator to serve '${arch}' architecture`, ErrorDomain.QEMU);
    emulator = found.emulator;
    caps = await st.caps(emulator);
  }
  let virttype = virttypeStr;
  if (!virttype || virttype === 'none') virttype = caps.flags.has('kvm') ? 'kvm' : 'qemu';
  if (virttype === 'kvm' && !caps.flags.has('kvm')) throw invalidArg(`KVM is not supported by '${emulator}' on this host`, ErrorDomain.QEMU);
  if (virttype === 'hvf' && !caps.flags.has('hvf')) throw invalidArg(`HVF is not supported by '${emulator}' on this host`, ErrorDomain.QEMU);
  if (virttype !== 'qemu' && virttype !== 'kvm' && virttype !== 'hvf') {
    throw invalidArg(`virttype '${virttype}' is not supported by '${emulator}' on this host`, ErrorDomain.QEMU);
  }
  const descriptors = await readFirmwareDescriptors();
  const fromConf = st.cfg.firmwares.map((f) => f.loader).filter((p) => existsSync(p));
  const host: DomCapsHost = { arch: hostArch(), vfio: existsSync('/dev/vfio/vfio') && (await iommuPresent()) };
  const loaders = fromConf.length
    ? fromConf
    : descriptors
        .filter((d) => (d.targets ?? []).some((t) => t.architecture === arch))
        .map((d) => (d.mapping?.device === 'memory' ? d.mapping.filename : d.mapping?.executable?.filename))
        .filter((p): p is string => !!p && existsSync(p));
  return buildDomainCaps(caps, { virttype, arch, machine: q.machine ?? undefined, emulator }, host, { descriptors, loaders });
}
