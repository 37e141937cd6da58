// The domain definition model (virDomainDef). Owned by conf/; grown family by family.
// Device families live in ./devices/*.ts; this file ties them together.
import type { XmlElement } from '../../util/xml.js';
import type { DiskDef } from './devices/disk.js';
import type { ControllerDef } from './devices/controller.js';
import type { NetDef } from './devices/net.js';
import type { ChrDef } from './devices/chardev.js';
import type { GraphicsDef } from './devices/graphics.js';
import type { VideoDef } from './devices/video.js';
import type { InputDef } from './devices/input.js';
import type { MemballoonDef } from './devices/memballoon.js';
import type { RngDef } from './devices/rng.js';
import type { GenericDevice } from './devices/generic.js';
import type { AudioDef } from './devices/audio.js';
import type { SoundDef } from './devices/sound.js';
import type { MemoryDef } from './devices/memory.js';
import type { StorageSource } from './storage.js';
import type { QemuNamespace } from './qemu-ns.js';

export type { DiskDef, ControllerDef, NetDef, ChrDef, GraphicsDef, VideoDef, InputDef, MemballoonDef, RngDef, GenericDevice, StorageSource, QemuNamespace, MemoryDef };

export type LifecycleAction = 'destroy' | 'restart' | 'rename-restart' | 'preserve' | 'coredump-destroy' | 'coredump-restart';

export interface OsLoader {
  path?: string;
  readonly?: 'yes' | 'no';
  secure?: 'yes' | 'no';
  stateless?: 'yes' | 'no';
  type?: 'rom' | 'pflash';
  format?: string;
}

export interface OsNvram {
  /** Local path or network/file source (new style <nvram type=…><source/></nvram>). */
  src?: StorageSource;
  path?: string;
  template?: string;
  format?: string;
}

export interface OsDef {
  type: string;
  arch?: string;
  machine?: string;
  firmware?: string;
  firmwareFeatures: Array<{ name: string; enabled: 'yes' | 'no' }>;
  loader?: OsLoader;
  nvram?: OsNvram;
  bootDevs: string[];
  bootmenu?: { enable?: 'yes' | 'no'; timeout?: number };
  kernel?: string;
  initrd?: string;
  cmdline?: string;
  dtb?: string;
  init?: string;
  smbiosMode?: string;
  biosUseserial?: string;
  rebootTimeout?: number;
  acpiTables: Array<{ type: string; path: string }>;
  /** Unmodelled <os> children kept verbatim. */
  extra: XmlElement[];
  /** Start-time pflash storage (loader → pflash0, NVRAM → pflash1); never formatted. */
  pflash?: { loader: StorageSource; nvram?: StorageSource };
}

export interface CpuFeature {
  name: string;
  policy?: string;
}

export interface NumaCell {
  id: number;
  cpus?: string;
  memory: number;
  memAccess?: string;
  discard?: string;
  /** Unmodelled children (distances, cache) kept verbatim. */
  body: XmlElement[];
}

export interface CpuDef {
  mode?: string;
  match?: string;
  check?: string;
  migratable?: string;
  model?: string;
  fallback?: string;
  vendorId?: string;
  vendor?: string;
  topology?: { sockets: number; dies: number; cores: number; threads: number; diesSet?: boolean };
  features: CpuFeature[];
  numa?: { cells: NumaCell[]; interconnects?: XmlElement };
  cache?: XmlElement;
  maxphysaddr?: XmlElement;
}

export interface TimerDef {
  name: string;
  present?: 'yes' | 'no';
  tickpolicy?: string;
  track?: string;
  mode?: string;
  frequency?: number;
  catchup?: Record<string, string>;
}

export interface ClockDef {
  offset: string;
  adjustment?: string;
  basis?: string;
  timezone?: string;
  start?: number;
  timers: TimerDef[];
}

export interface FeatureDef {
  name: string;
  /** state='on|off' or similar; undefined for bare <acpi/>. */
  attrs: Array<[string, string]>;
  /** sub-elements (hyperv, kvm, …) kept verbatim */
  body: XmlElement[];
}

export interface VcpuDef {
  max: number;
  current?: number;
  placement?: string;
  cpuset?: string;
}

export interface DomainDevices {
  emulator?: string;
  disks: DiskDef[];
  controllers: ControllerDef[];
  leases: GenericDevice[];
  filesystems: GenericDevice[];
  nets: NetDef[];
  smartcards: GenericDevice[];
  serials: ChrDef[];
  parallels: ChrDef[];
  consoles: ChrDef[];
  channels: ChrDef[];
  inputs: InputDef[];
  tpms: GenericDevice[];
  graphics: GraphicsDef[];
  sounds: SoundDef[];
  audios: AudioDef[];
  videos: VideoDef[];
  hostdevs: GenericDevice[];
  redirdevs: GenericDevice[];
  redirfilter?: GenericDevice;
  hubs: GenericDevice[];
  watchdogs: GenericDevice[];
  memballoon?: MemballoonDef;
  rngs: RngDef[];
  nvram?: GenericDevice;
  panics: GenericDevice[];
  shmems: GenericDevice[];
  memories: MemoryDef[];
  iommu?: GenericDevice;
  vsock?: GenericDevice;
  cryptos: GenericDevice[];
}

export interface DomainDef {
  /** Virtualization type: 'qemu' (TCG), 'kvm', 'hvf'. */
  type: string;
  /** Runtime id, -1 when inactive. */
  id: number;
  name: string;
  uuid: string;
  /** True when the UUID was generated at define time. */
  uuidGenerated?: boolean;
  genid?: string;
  genidRequested?: boolean;
  genidGenerated?: boolean;
  title?: string;
  description?: string;
  /** <metadata> children, pre-rendered lines (kept verbatim). */
  metadata?: string[];
  /** KiB */
  memory: number;
  currentMemory: number;
  maxMemory?: { size: number; slots: number };
  memoryDumpCore?: 'on' | 'off';
  vcpu: VcpuDef;
  os: OsDef;
  features: FeatureDef[];
  cpu?: CpuDef;
  clock: ClockDef;
  onPoweroff: LifecycleAction;
  onReboot: LifecycleAction;
  onCrash: LifecycleAction;
  onLockfailure?: string;
  devices: DomainDevices;
  /** Top-level elements not yet modelled, kept verbatim by name (blkiotune, memtune, memoryBacking, cputune, …). */
  raw: Record<string, XmlElement[]>;
  /** <iothreads> count */
  iothreads?: number;
  qemu?: QemuNamespace;
  /** Set when the definition uses features that taint the domain (qemu:override, custom args…). */
  taints: string[];
  /** Runtime (qemuDomainObjPrivate.allowReboot): false when every lifecycle action destroys; not formatted. */
  allowReboot?: boolean;
}

export function emptyDevices(): DomainDevices {
  return {
    disks: [], controllers: [], leases: [], filesystems: [], nets: [], smartcards: [], serials: [], parallels: [], consoles: [],
    channels: [], inputs: [], tpms: [], graphics: [], sounds: [], audios: [], videos: [], hostdevs: [], redirdevs: [], hubs: [],
    watchdogs: [], rngs: [], panics: [], shmems: [], memories: [], cryptos: [],
  };
}

export function hasFeature(def: DomainDef, name: string): boolean {
  const f = def.features.find((x) => x.name === name);
  if (!f) return false;
  const st = f.attrs.find(([k]) => k === 'state');
  return !st || st[1] === 'on';
}

export function featureState(def: DomainDef, name: string): 'on' | 'off' | undefined {
  const f = def.features.find((x) => x.name === name);
  if (!f) return undefined;
  const st = f.attrs.find(([k]) => k === 'state');
  return !st ? 'on' : st[1] === 'on' ? 'on' : 'off';
}
