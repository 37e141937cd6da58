// Domain capabilities (virsh domcapabilities): what a domain of one virt type / arch / machine can use
// with this emulator, from QemuCaps plus host facts and firmware descriptors
// (virQEMUCapsFillDomainCaps + virDomainCapsFormat).
import { ErrorCode, ErrorDomain, VirError } from '../../util/errors.js';
import { accelFor, canonicalMachine, defaultMachine, isMachineSupported } from './cache.js';
import { type CpuMapX86, decodeHostCpu, loadCpuMapX86, modelVendor } from './cpumap.js';
import type { QemuCaps } from './types.js';

/** A QEMU firmware descriptor (docs/interop/firmware.json), the parts used here. */
export interface FirmwareDescriptor {
  'interface-types'?: string[];
  mapping?: { device?: string; executable?: { filename?: string }; filename?: string; 'nvram-template'?: { filename?: string } };
  targets?: Array<{ architecture?: string; machines?: string[] }>;
  features?: string[];
}

/** Host facts domain capabilities depend on. */
export interface DomCapsHost {
  /** Host architecture (for host-passthrough: only native guests). */
  arch: string;
  /** Max vCPUs KVM allows (KVM_CAP_MAX_VCPUS); unlimited when undefined. */
  kvmMaxVcpus?: number;
  /** VFIO device assignment possible (IOMMU groups + vfio). */
  vfio: boolean;
  /** swtpm installed, and the TPM versions its swtpm_setup supports. */
  swtpm?: { tpm12: boolean; tpm20: boolean };
  /** cpu_map directory (default: the installed libvirt's); null: no CPU map (no host-model, no custom list). */
  cpuMapDir?: string | null;
}

export interface DomCapsRequest {
  virttype: string;
  arch: string;
  machine?: string;
  emulator: string;
}

export interface DomCapsFirmware {
  descriptors?: FirmwareDescriptor[];
  /** Loader images from qemu.conf `nvram` (or the built-in list), already filtered to existing files. */
  loaders?: string[];
}

function glob(pattern: string, s: string): boolean {
  const re = new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`);
  return re.test(s);
}

/** qemuFirmwareGetSupported: firmware kinds, secure boot and images the descriptors offer for a machine. */
export function firmwareSupport(descriptors: FirmwareDescriptor[], machine: string, arch: string) {
  const kinds = new Set<'bios' | 'efi'>();
  let secure = false;
  const images: string[] = [];
  for (const d of descriptors) {
    const match = (d.targets ?? []).some((t) => t.architecture === arch && (t.machines ?? []).some((m) => glob(m, machine)));
    if (!match) continue;
    for (const i of d['interface-types'] ?? []) {
      if (i === 'uefi') kinds.add('efi');
      if (i === 'bios') kinds.add('bios');
    }
    if ((d.features ?? []).includes('requires-smm')) secure = true;
    const p = d.mapping?.device === 'memory' ? d.mapping.filename : d.mapping?.executable?.filename;
    if (p && !images.includes(p)) images.push(p);
  }
  return { kinds, secure, images };
}

// ---- small XML helpers (libvirt's 2-space layout) -------------------------------------------------

class Out {
  lines: string[] = [];
  depth = 0;
  line(s: string) {
    this.lines.push(' '.repeat(this.depth * 2) + s);
  }
  open(s: string) {
    this.line(s);
    this.depth++;
  }
  close(s: string) {
    this.depth--;
    this.line(s);
  }
  enumeration(name: string, values: string[]) {
    if (values.length === 0) {
      this.line(`<enum name='${name}'/>`);
      return;
    }
    this.open(`<enum name='${name}'>`);
    for (const v of values) this.line(`<value>${esc(v)}</value>`);
    this.close('</enum>');
  }
}

function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c] ?? c);
}

const isX86 = (a: string) => a === 'x86_64' || a === 'i686';

function hasBuiltinIDE(machine: string, arch: string): boolean {
  if (!isX86(arch)) return false;
  return machine === 'isapc' || machine.startsWith('pc-i440fx') || machine === 'pc' || /^pc-\d/.test(machine) || machine.startsWith('pc-1.');
}

function isNative(host: string, guest: string): boolean {
  return host === guest || (host === 'x86_64' && guest === 'i686') || (host === 'aarch64' && guest === 'armv7l');
}

/** Builds the <domainCapabilities> document. */
export function buildDomainCaps(
  caps: QemuCaps,
  req: DomCapsRequest,
  host: DomCapsHost,
  firmware: DomCapsFirmware = {},
): string {
  const accel = accelFor(req.virttype);
  const f = (flag: string) => caps.flags.has(flag);
  const machine = req.machine ? canonicalMachine(caps, accel, req.machine) : defaultMachine(caps, accel)?.name;
  if (req.machine && machine && !isMachineSupported(caps, accel, machine)) {
    throw new VirError({
      code: ErrorCode.INVALID_ARG,
      domain: ErrorDomain.QEMU,
      message: `invalid argument: the machine '${machine}' is not supported by emulator '${req.emulator}'`,
    });
  }
  const mach = caps.accel[accel]?.machines.find((m) => m.name === machine);
  const cpuMap: CpuMapX86 | null = host.cpuMapDir === null ? null : isX86(caps.arch) ? loadCpuMapX86(host.cpuMapDir) : null;

  const o = new Out();
  o.open('<domainCapabilities>');
  o.line(`<path>${esc(req.emulator)}</path>`);
  o.line(`<domain>${esc(req.virttype)}</domain>`);
  if (machine) o.line(`<machine>${esc(machine)}</machine>`);
  o.line(`<arch>${esc(req.arch)}</arch>`);
  let maxvcpus = mach?.maxCpus ?? 0;
  if (accel === 'kvm' && host.kvmMaxVcpus !== undefined) maxvcpus = Math.min(maxvcpus, host.kvmMaxVcpus);
  o.line(`<vcpu max='${maxvcpus}'/>`);
  o.line("<iothreads supported='yes'/>");

  // <os>
  const fw = firmwareSupport(firmware.descriptors ?? [], machine ?? '', req.arch);
  o.open("<os supported='yes'>");
  o.enumeration('firmware', [...(fw.kinds.has('bios') ? ['bios'] : []), ...(fw.kinds.has('efi') ? ['efi'] : [])]);
  o.open("<loader supported='yes'>");
  const loaders: string[] = [];
  for (const l of firmware.loaders ?? []) if (!loaders.includes(l)) loaders.push(l);
  for (const l of loaders) o.line(`<value>${esc(l)}</value>`);
  o.enumeration('type', ['rom', 'pflash']);
  o.enumeration('readonly', ['yes', 'no']);
  o.enumeration('secure', fw.secure ? ['yes', 'no'] : ['no']);
  o.close('</loader>');
  o.close('</os>');

  // <cpu>
  o.open('<cpu>');
  const accelerated = accel !== 'tcg';
  if (accelerated && isNative(host.arch, caps.arch)) {
    o.open("<mode name='host-passthrough' supported='yes'>");
    o.enumeration('hostPassthroughMigratable', [...(f('cpu.migratable') ? ['on'] : []), 'off']);
    o.close('</mode>');
  } else o.line("<mode name='host-passthrough' supported='no'/>");
  if (f('cpu-max')) {
    o.open("<mode name='maximum' supported='yes'>");
    o.enumeration('maximumMigratable', ['on', 'off']);
    o.close('</mode>');
  } else o.line("<mode name='maximum' supported='no'/>");
  const data = caps.accel[accel];
  const decoded = cpuMap && data?.hostCpu && isNative(host.arch, caps.arch) ? decodeHostCpu(cpuMap, data.hostCpu, data.cpuModels) : undefined;
  if (decoded) {
    o.open("<mode name='host-model' supported='yes'>");
    o.line(`<model fallback='forbid'>${esc(decoded.model)}</model>`);
    if (decoded.vendor) o.line(`<vendor>${esc(decoded.vendor)}</vendor>`);
    for (const ft of decoded.features) o.line(`<feature policy='${ft.policy}' name='${esc(ft.name)}'/>`);
    o.close('</mode>');
  } else o.line("<mode name='host-model' supported='no'/>");
  const known = cpuMap ? new Set(cpuMap.models.map((m) => m.name)) : undefined;
  const custom = (data?.cpuModels ?? []).filter((m) => m.name !== 'host' && (!known || known.has(m.name)));
  if (known && custom.length) {
    o.open("<mode name='custom' supported='yes'>");
    for (const m of custom) {
      const usable = m.usable === 'unknown' ? '' : ` usable='${m.usable}'`;
      o.line(`<model${usable} vendor='${esc(modelVendor(cpuMap, m.name))}'>${esc(m.name)}</model>`);
    }
    o.close('</mode>');
  } else o.line("<mode name='custom' supported='no'/>");
  o.close('</cpu>');

  // <memoryBacking>
  o.open("<memoryBacking supported='yes'>");
  o.enumeration('sourceType', ['file', 'anonymous', ...(f('memory-backend-memfd') ? ['memfd'] : [])]);
  o.close('</memoryBacking>');

  o.open('<devices>');
  // disk
  const pseries = req.arch.startsWith('ppc64') && (machine ?? '').startsWith('pseries');
  o.open("<disk supported='yes'>");
  o.enumeration('diskDevice', ['disk', 'cdrom', ...(pseries ? [] : ['floppy']), 'lun']);
  const buses: string[] = [];
  if (hasBuiltinIDE(machine ?? '', caps.arch)) buses.push('ide');
  if (!pseries) buses.push('fdc');
  buses.push('scsi', 'virtio');
  if (f('usb-storage')) buses.push('usb');
  if (f('ich9-ahci')) buses.push('sata');
  o.enumeration('bus', buses);
  const transitional = f('virtio-pci-non-transitional');
  o.enumeration('model', ['virtio', ...(transitional ? ['virtio-transitional', 'virtio-non-transitional'] : [])]);
  o.close('</disk>');
  // graphics
  o.open("<graphics supported='yes'>");
  o.enumeration('type', [
    ...(f('sdl') ? ['sdl'] : []), ...(f('vnc') ? ['vnc'] : []), ...(f('spice') ? ['spice'] : []),
    ...(f('egl-headless') ? ['egl-headless'] : []), ...(f('display-dbus') ? ['dbus'] : []),
  ]);
  o.close('</graphics>');
  // video
  o.open("<video supported='yes'>");
  o.enumeration('modelType', [
    ...(f('VGA') ? ['vga'] : []), ...(f('cirrus-vga') ? ['cirrus'] : []), ...(f('vmware-svga') ? ['vmvga'] : []),
    ...(f('qxl') ? ['qxl'] : []), ...(f('virtio-gpu') ? ['virtio'] : []), 'none',
    ...(f('bochs-display') ? ['bochs'] : []), ...(f('ramfb') ? ['ramfb'] : []),
  ]);
  o.close('</video>');
  // hostdev
  o.open("<hostdev supported='yes'>");
  o.enumeration('mode', ['subsystem']);
  o.enumeration('startupPolicy', ['default', 'mandatory', 'requisite', 'optional']);
  const usb = ['piix3-usb-uhci', 'piix4-usb-uhci', 'usb-ehci', 'ich9-usb-ehci1', 'vt82c686b-usb-uhci', 'pci-ohci', 'nec-usb-xhci', 'qemu-xhci'].some(f);
  o.enumeration('subsysType', [...(usb ? ['usb'] : []), 'pci', 'scsi']);
  o.enumeration('capsType', []);
  o.enumeration('pciBackend', host.vfio && f('vfio-pci') ? ['default', 'vfio'] : []);
  o.close('</hostdev>');
  // rng
  o.open("<rng supported='yes'>");
  o.enumeration('model', f('virtio-rng') ? ['virtio', ...(transitional ? ['virtio-transitional', 'virtio-non-transitional'] : [])] : []);
  o.enumeration('backendModel', [...(f('rng-random') ? ['random'] : []), ...(f('rng-egd') ? ['egd'] : []), ...(f('rng-builtin') ? ['builtin'] : [])]);
  o.close('</rng>');
  // filesystem
  o.open("<filesystem supported='yes'>");
  o.enumeration('driverType', ['path', 'handle', ...(f('vhost-user-fs') ? ['virtiofs'] : [])]);
  o.close('</filesystem>');
  // tpm
  const tpmModels = [
    ...(f('tpm-tis') ? ['tpm-tis'] : []), ...(f('tpm-crb') ? ['tpm-crb'] : []), ...(f('tpm-spapr') ? ['tpm-spapr'] : []),
    ...(f('spapr-tpm-proxy') ? ['spapr-tpm-proxy'] : []),
  ];
  const backends = [...(f('tpm-passthrough') ? ['passthrough'] : [])];
  const versions: string[] = [];
  if (host.swtpm) {
    if (f('tpm-emulator')) backends.push('emulator', 'external');
    if (host.swtpm.tpm12) versions.push('1.2');
    if (host.swtpm.tpm20) versions.push('2.0');
  }
  o.open(`<tpm supported='${tpmModels.length ? 'yes' : 'no'}'>`);
  o.enumeration('model', tpmModels);
  o.enumeration('backendModel', backends);
  if (versions.length) o.enumeration('backendVersion', versions);
  o.close('</tpm>');
  // redirdev
  if (f('usb-redir')) {
    o.open("<redirdev supported='yes'>");
    o.enumeration('bus', ['usb']);
    o.close('</redirdev>');
  } else o.line("<redirdev supported='no'/>");
  // channel
  o.open("<channel supported='yes'>");
  o.enumeration('type', ['pty', 'unix', ...(f('spice') ? ['spicevmc'] : [])]);
  o.close('</channel>');
  o.close('</devices>');

  // <features>
  o.open('<features>');
  o.line("<gic supported='no'/>");
  o.line(`<vmcoreinfo supported='${f('vmcoreinfo') ? 'yes' : 'no'}'/>`);
  o.line(`<genid supported='${f('vmgenid') ? 'yes' : 'no'}'/>`);
  o.line("<backingStoreInput supported='yes'/>");
  o.line(`<backup supported='${f('incremental-backup') ? 'yes' : 'no'}'/>`);
  if (req.arch === 's390x') {
    const pv = f('confidential-guest-support') && f('s390-pv-guest') && !!caps.kvmSupportsSecureGuest;
    o.line(`<s390-pv supported='${pv ? 'yes' : 'no'}'/>`);
  }
  o.line("<sev supported='no'/>");
  o.line("<sgx supported='no'/>");
  const hv = caps.hypervCapabilities;
  if (hv?.supported && hv.caps.length) {
    o.open("<hyperv supported='yes'>");
    o.enumeration('features', hv.caps);
    o.close('</hyperv>');
  } else if (hv) o.line(`<hyperv supported='${hv.supported ? 'yes' : 'no'}'/>`);
  o.close('</features>');
  o.close('</domainCapabilities>');
  return o.lines.join('\n') + '\n';
}
