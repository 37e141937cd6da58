// QEMU capabilities (virQEMUCaps): what one emulator binary can do, per accelerator.
// Loaded from / saved to libvirt's capabilities cache XML format (cache.ts), or probed over QMP (probe.ts).

/** Accelerator a list applies to, as in the cache file's type= attribute. */
export type CapsAccel = 'kvm' | 'tcg' | 'hvf';

export interface CapsMachine {
  name: string;
  alias?: string;
  hotplugCpus: boolean;
  maxCpus: number;
  default: boolean;
  defaultCPU?: string;
  numaMemSupported: boolean;
  defaultRAMid?: string;
  deprecated: boolean;
  acpi?: boolean;
}

export interface CapsCpuModel {
  name: string;
  typename?: string;
  /** 'yes' | 'no' | 'unknown' as in query-cpu-definitions ('unknown' is not written to the cache). */
  usable: 'yes' | 'no' | 'unknown';
  blockers: string[];
  deprecated: boolean;
}

export interface CapsHostCpuProperty {
  name: string;
  type: 'boolean' | 'string' | 'number';
  value: string;
  migratable?: boolean;
}

/** query-cpu-model-expansion of the host CPU ("base" model plus properties). */
export interface CapsHostCpu {
  model: string;
  migratability: boolean;
  props: CapsHostCpuProperty[];
}

export interface CapsAccelData {
  machines: CapsMachine[];
  cpuModels: CapsCpuModel[];
  hostCpu?: CapsHostCpu;
}

export interface QemuCaps {
  emulator: string;
  /** Times and versions used for cache invalidation (seconds since epoch / build id). */
  qemuctime: number;
  selfctime: number;
  selfvers: number;
  /** Capability flag names (libvirt's QEMU_CAPS_* strings, e.g. 'blockdev', 'kvm'). */
  flags: Set<string>;
  /** major*1e6 + minor*1e3 + micro. */
  version: number;
  kvmVersion: number;
  microcodeVersion: number;
  package: string;
  arch: string;
  /** Per-accelerator machine types, CPU models and host CPU expansion. */
  accel: Partial<Record<CapsAccel, CapsAccelData>>;
  hypervCapabilities?: { supported: boolean; caps: string[] };
  /** <hostCPUSignature>, <kernelVersion> (written only when set). */
  hostCPUSignature?: string;
  kernelVersion?: string;
  /** <kvmSupportsNesting/>, <kvmSupportsSecureGuest/>. */
  kvmSupportsNesting?: boolean;
  kvmSupportsSecureGuest?: boolean;
  /** Elements of the cache file we do not model yet, kept verbatim for round-trip (e.g. <sev>, <sgx>, <gic>). */
  extra: CapsExtraElement[];
}

/** An element of the cache file kept verbatim: its lines (indented for depth 0) and where it sat. */
export interface CapsExtraElement {
  /** The modelled section it followed (see CACHE_SECTIONS in cache.ts), '' when it came first. */
  after: string;
  lines: string[];
}

export function hasCap(caps: QemuCaps, flag: string): boolean {
  return caps.flags.has(flag);
}
