// Domain XML → DomainDef: the top-level elements here, device families in ./devices/*.
import { randomUUID } from 'node:crypto';
import { ErrorCode, ErrorDomain, virError } from '../../util/errors.js';
import { type XmlElement, attr, child, children, parseXml } from '../../util/xml.js';
import { type ParseCtx, enumAttr, intAttr, memoryElement, parseUInt, scaledToKiB, textContent, uintAttr, unsupported, xmlErr } from './common.js';
import { parseChr } from './devices/chardev.js';
import { assignPciControllerIndexes, parseController } from './devices/controller.js';
import { insertDisk, parseDisk } from './devices/disk.js';
import { parseGeneric } from './devices/generic.js';
import { parseGraphics } from './devices/graphics.js';
import { parseAudio } from './devices/audio.js';
import { parseSound } from './devices/sound.js';
import { parseInput } from './devices/input.js';
import { parseMemballoon } from './devices/memballoon.js';
import { parseMemoryDevice } from './devices/memory.js';
import { postParseMemory } from './memory.js';
import { canonicalizeFeatures } from './features.js';
import { postParseIOThreads } from './cpu.js';
import { parseNet } from './devices/net.js';
import { parseRng } from './devices/rng.js';
import { parseVideo } from './devices/video.js';
import { serializeMetadata } from './metadata.js';
import { QEMU_NS_URI, parseQemuNamespace } from './qemu-ns.js';
import { emptySource, parseSourceElement, STORAGE_TYPES, type StorageType } from './storage.js';
import { genericPostParse } from './postparse.js';
import { validateDomainDef } from './validate.js';
import {
  type ClockDef,
  type CpuDef,
  type DomainDef,
  type LifecycleAction,
  type NumaCell,
  type OsDef,
  emptyDevices,
} from './types.js';

export interface ParseDomainOptions {
  /** Parse live/status XML (keeps aliases, runtime ids); default false (inactive config). */
  live?: boolean;
  /** Hypervisor-specific post-parse hook (defaults), run before validation. */
  postParse?: (def: DomainDef) => void;
  /** Hypervisor-specific validation, run after the generic validation. */
  validate?: (def: DomainDef) => void;
  /** Skip validation (status XML read back from disk). */
  skipValidate?: boolean;
  /** Skip the generic post-parse step too (raw model as written). */
  skipPostParse?: boolean;
}

const DOMAIN_TYPES = ['none', 'qemu', 'kqemu', 'kvm', 'xen', 'lxc', 'uml', 'openvz', 'test', 'vmware', 'hyperv', 'vbox', 'phyp', 'parallels', 'bhyve', 'vz', 'hvf'];
const LIFECYCLE: LifecycleAction[] = ['destroy', 'restart', 'rename-restart', 'preserve', 'coredump-destroy', 'coredump-restart'];
const UUID_RE = /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i;

export function normalizeUuid(s: string): string | undefined {
  const t = s.trim();
  const hexOnly = t.replace(/[-\s]/g, '');
  if (!/^[0-9a-fA-F]{32}$/.test(hexOnly) || !(UUID_RE.test(t) || /^[0-9a-f\s-]+$/i.test(t))) return undefined;
  const h = hexOnly.toLowerCase();
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

export function parseDomainXML(xml: string, opts: ParseDomainOptions = {}): DomainDef {
  const root = parseXml(xml, '(domain_definition)');
  return parseDomainElement(root, opts);
}

export function parseDomainElement(root: XmlElement, opts: ParseDomainOptions = {}): DomainDef {
  if (root.local !== 'domain') {
    throw virError(ErrorCode.XML_ERROR, ErrorDomain.DOMAIN, `unexpected root element <${root.local}>, expecting <domain>`);
  }
  const ctx: ParseCtx = { live: !!opts.live };
  const type = attr(root, 'type');
  if (!type) throw virError(ErrorCode.INTERNAL_ERROR, ErrorDomain.DOMAIN, 'missing domain type attribute');
  if (!DOMAIN_TYPES.includes(type)) throw virError(ErrorCode.INTERNAL_ERROR, ErrorDomain.DOMAIN, `invalid domain type ${type}`);
  const def: DomainDef = {
    type,
    id: -1,
    name: '',
    uuid: '',
    memory: 0,
    currentMemory: 0,
    vcpu: { max: 1 },
    os: { type: 'hvm', bootDevs: [], firmwareFeatures: [], acpiTables: [], extra: [] },
    features: [],
    clock: { offset: 'utc', timers: [] },
    onPoweroff: 'destroy',
    onReboot: 'restart',
    onCrash: 'destroy',
    devices: emptyDevices(),
    raw: {},
    taints: [],
  };
  if (ctx.live) {
    const id = intAttr(root, 'id');
    if (id !== undefined) def.id = id;
  }
  const name = textContent(child(root, 'name'))?.trim();
  if (name === undefined) throw virError(ErrorCode.NO_NAME, ErrorDomain.DOMAIN);
  def.name = name;
  const uuid = textContent(child(root, 'uuid'));
  if (uuid === undefined) {
    def.uuid = randomUUID();
    def.uuidGenerated = true;
  } else {
    const u = normalizeUuid(uuid);
    if (!u) throw virError(ErrorCode.INTERNAL_ERROR, ErrorDomain.DOMAIN, 'malformed uuid element');
    def.uuid = u;
  }
  const genid = child(root, 'genid');
  if (genid) {
    const g = textContent(genid)?.trim();
    def.genidRequested = true;
    if (g) {
      const u = normalizeUuid(g);
      if (!u) throw virError(ErrorCode.INTERNAL_ERROR, ErrorDomain.DOMAIN, 'malformed genid element');
      def.genid = u;
    } else def.genidGenerated = true;
  }
  const title = child(root, 'title');
  if (title) {
    def.title = textContent(title) ?? '';
    if (def.title.includes('\n')) throw xmlErr('Domain title can\'t contain newlines');
  }
  const desc = child(root, 'description');
  if (desc) def.description = textContent(desc) ?? '';
  const md = child(root, 'metadata');
  if (md) def.metadata = serializeMetadata(md);

  // memory
  const memEl = child(root, 'memory');
  if (memEl) {
    def.memory = memoryElement(root, 'memory') ?? 0;
    const dc = attr(memEl, 'dumpCore');
    if (dc !== undefined) {
      if (dc !== 'on' && dc !== 'off') throw xmlErr(`Invalid memory core dump attribute value '${dc}'`);
      def.memoryDumpCore = dc;
    }
  }
  def.currentMemory = memoryElement(root, 'currentMemory') ?? def.memory;
  const maxMem = child(root, 'maxMemory');
  if (maxMem) {
    def.maxMemory = {
      size: scaledToKiB(textContent(maxMem) ?? '', attr(maxMem, 'unit'), 'maxMemory'),
      slots: uintAttr(maxMem, 'slots') ?? 0,
    };
  }
  // vcpu
  const vcpu = child(root, 'vcpu');
  if (vcpu) {
    const t = textContent(vcpu)?.trim() ?? '';
    const n = parseUInt(t);
    if (n === undefined) throw xmlErr('maximum vcpus count must be an integer');
    def.vcpu = { max: n, current: uintAttr(vcpu, 'current'), placement: attr(vcpu, 'placement'), cpuset: attr(vcpu, 'cpuset') };
    if (def.vcpu.current !== undefined && def.vcpu.current > n) throw xmlErr('maxvcpus must not be less than current vcpus');
  }
  const iothreads = child(root, 'iothreads');
  if (iothreads) def.iothreads = parseUInt(textContent(iothreads)?.trim());

  def.os = parseOs(root, ctx);
  // features
  const features = child(root, 'features');
  if (features) {
    for (const f of features.children) {
      if (f.kind !== 'element') continue;
      def.features.push({
        name: f.local,
        attrs: f.attrs.map((a) => [a.name, a.value] as [string, string]),
        body: f.children.filter((c): c is XmlElement => c.kind === 'element'),
      });
    }
    canonicalizeFeatures(def);
  }
  const cpuEl = child(root, 'cpu');
  if (cpuEl) def.cpu = parseCpu(cpuEl);
  def.clock = parseClock(child(root, 'clock'));
  for (const [el, key] of [['on_poweroff', 'onPoweroff'], ['on_reboot', 'onReboot'], ['on_crash', 'onCrash']] as const) {
    const v = textContent(child(root, el))?.trim();
    if (v === undefined) continue;
    if (!LIFECYCLE.includes(v as LifecycleAction)) throw xmlErr(`Invalid ${el} value: '${v}'`);
    def[key] = v as LifecycleAction;
  }
  const olf = textContent(child(root, 'on_lockfailure'))?.trim();
  if (olf) def.onLockfailure = olf;

  // verbatim top-level elements
  for (const c of root.children) {
    if (c.kind !== 'element' || c.uri !== '') continue;
    if (RAW_TOP.includes(c.local)) (def.raw[c.local] ??= []).push(c);
  }

  parseDevices(def, child(root, 'devices'), ctx);
  assignPciControllerIndexes(def.devices.controllers, true);
  // virDomainDefBootOrderPostParse: per-device boot orders are unique and exclusive with <os><boot>;
  // HVM guests without any boot configuration boot from disk.
  const bootOrders = collectBootOrders(def);
  if (def.os.bootDevs.length > 0 && bootOrders > 0) {
    throw unsupported('per-device boot elements cannot be used together with os/boot elements');
  }
  if (def.os.type === 'hvm' && def.os.bootDevs.length === 0 && bootOrders === 0) def.os.bootDevs.push('hd');
  def.qemu = parseQemuNamespace(root);
  if (def.qemu && (def.qemu.args.length || def.qemu.env.length)) def.taints.push('custom-argv');
  if (def.qemu?.overrides.length) def.taints.push('custom-device');

  // Memory sizes: NUMA cells and memory devices (virDomainDefPostParseMemory).
  postParseMemory(def, !!memEl && def.memory > 0);
  postParseIOThreads(def);

  if (!opts.skipPostParse) {
    opts.postParse?.(def);
    genericPostParse(def);
  }
  if (!opts.skipValidate) {
    validateDomainDef(def);
    opts.validate?.(def);
  }
  return def;
}

const RAW_TOP = [
  'blkiotune', 'memtune', 'memoryBacking', 'iothreadids', 'defaultiothread', 'cputune', 'numatune', 'resource', 'sysinfo',
  'bootloader', 'bootloader_args', 'idmap', 'pm', 'perf', 'seclabel', 'keywrap', 'launchSecurity', 'throttlegroups', 'vcpus',
];

function parseOs(root: XmlElement, ctx: ParseCtx): OsDef {
  const os: OsDef = { type: 'hvm', bootDevs: [], firmwareFeatures: [], acpiTables: [], extra: [] };
  const o = child(root, 'os');
  if (!o) throw virError(ErrorCode.OS_TYPE, ErrorDomain.DOMAIN, '(null)');
  const t = child(o, 'type');
  const ostype = textContent(t)?.trim();
  if (!ostype) throw virError(ErrorCode.OS_TYPE, ErrorDomain.DOMAIN, '(null)');
  if (!['hvm', 'xen', 'linux', 'exe', 'uml', 'xenpvh'].includes(ostype)) throw virError(ErrorCode.OS_TYPE, ErrorDomain.DOMAIN, ostype);
  os.type = ostype;
  os.arch = attr(t, 'arch');
  os.machine = attr(t, 'machine');
  os.firmware = attr(o, 'firmware');
  if (os.firmware !== undefined && !['bios', 'efi'].includes(os.firmware)) throw xmlErr(`unknown firmware value ${os.firmware}`);
  const fw = child(o, 'firmware');
  if (fw) {
    for (const f of children(fw, 'feature')) {
      const en = attr(f, 'enabled');
      os.firmwareFeatures.push({ name: attr(f, 'name') ?? '', enabled: en === 'yes' ? 'yes' : 'no' });
    }
  }
  const loader = child(o, 'loader');
  if (loader) {
    const p = textContent(loader)?.trim();
    os.loader = {
      path: p ? p : undefined,
      readonly: enumAttr(loader, 'readonly', ['yes', 'no'] as const),
      secure: enumAttr(loader, 'secure', ['yes', 'no'] as const),
      stateless: enumAttr(loader, 'stateless', ['yes', 'no'] as const),
      type: enumAttr(loader, 'type', ['rom', 'pflash'] as const),
      format: attr(loader, 'format'),
    };
  }
  const nv = child(o, 'nvram');
  if (nv) {
    os.nvram = { template: attr(nv, 'template'), format: attr(nv, 'format') };
    const nvType = attr(nv, 'type');
    if (nvType) {
      if (!(STORAGE_TYPES as readonly string[]).includes(nvType)) throw xmlErr(`unknown disk type '${nvType}'`);
      const src = emptySource(nvType as StorageType);
      parseSourceElement(src, child(nv, 'source'), ctx);
      os.nvram.src = src;
    } else {
      const p = textContent(nv)?.trim();
      if (p) os.nvram.path = p;
    }
  }
  for (const b of children(o, 'boot')) {
    const dev = attr(b, 'dev');
    if (!dev || !['fd', 'hd', 'cdrom', 'network'].includes(dev)) throw xmlErr(`unknown boot device '${dev ?? ''}'`);
    os.bootDevs.push(dev);
  }
  const bm = child(o, 'bootmenu');
  if (bm) {
    os.bootmenu = { enable: enumAttr(bm, 'enable', ['yes', 'no'] as const) };
    const to = attr(bm, 'timeout');
    if (to !== undefined) {
      const n = /^\d+$/.test(to) ? Number(to) : Number.NaN;
      if (!(n >= 0 && n <= 65535)) throw unsupported('invalid value for boot menu timeout, must be in range [0,65535]');
      os.bootmenu.timeout = n;
    }
  }
  os.kernel = textContent(child(o, 'kernel'))?.trim();
  os.initrd = textContent(child(o, 'initrd'))?.trim();
  os.cmdline = textContent(child(o, 'cmdline'));
  os.dtb = textContent(child(o, 'dtb'))?.trim();
  os.init = textContent(child(o, 'init'))?.trim();
  os.smbiosMode = attr(child(o, 'smbios'), 'mode');
  const bios = child(o, 'bios');
  if (bios) {
    os.biosUseserial = attr(bios, 'useserial');
    const rt = attr(bios, 'rebootTimeout');
    if (rt !== undefined) {
      const n = /^[-+]?\d+$/.test(rt.trim()) ? Number(rt) : Number.NaN;
      if (!(n >= -1 && n <= 65535)) throw xmlErr('invalid value for rebootTimeout, must be in range [-1,65535]');
      os.rebootTimeout = n;
    }
  }
  const acpi = child(o, 'acpi');
  if (acpi) for (const t2 of children(acpi, 'table')) os.acpiTables.push({ type: attr(t2, 'type') ?? '', path: textContent(t2)?.trim() ?? '' });
  for (const c of o.children) {
    if (c.kind === 'element' && ['initarg', 'initenv', 'initdir', 'inituser', 'initgroup'].includes(c.local)) os.extra.push(c);
  }
  return os;
}

function parseCpu(e: XmlElement): CpuDef {
  const cpu: CpuDef = {
    mode: attr(e, 'mode'),
    match: attr(e, 'match'),
    check: attr(e, 'check'),
    migratable: attr(e, 'migratable'),
    features: [],
  };
  if (cpu.mode && !['custom', 'host-model', 'host-passthrough', 'maximum'].includes(cpu.mode)) throw xmlErr(`Invalid mode attribute '${cpu.mode}'`);
  const m = child(e, 'model');
  if (m) {
    cpu.model = textContent(m)?.trim();
    cpu.fallback = attr(m, 'fallback');
    cpu.vendorId = attr(m, 'vendor_id');
  }
  cpu.vendor = textContent(child(e, 'vendor'))?.trim();
  const topo = child(e, 'topology');
  if (topo) {
    const dies = uintAttr(topo, 'dies');
    cpu.topology = {
      sockets: uintAttr(topo, 'sockets') ?? 0,
      dies: dies ?? 1,
      cores: uintAttr(topo, 'cores') ?? 0,
      threads: uintAttr(topo, 'threads') ?? 0,
      diesSet: dies !== undefined,
    };
    if (!cpu.topology.sockets) throw xmlErr("Missing 'sockets' attribute in CPU topology");
    if (!cpu.topology.cores) throw xmlErr("Missing 'cores' attribute in CPU topology");
    if (!cpu.topology.threads) throw xmlErr("Missing 'threads' attribute in CPU topology");
  }
  for (const f of children(e, 'feature')) {
    const name = attr(f, 'name');
    if (!name) throw xmlErr('Invalid CPU feature name');
    cpu.features.push({ name, policy: attr(f, 'policy') });
  }
  const numa = child(e, 'numa');
  if (numa) {
    const cells: NumaCell[] = [];
    for (const c of children(numa, 'cell')) {
      const idStr = attr(c, 'id');
      const mem = attr(c, 'memory');
      if (mem === undefined) throw xmlErr("Missing 'memory' attribute in NUMA cell");
      cells.push({
        id: idStr !== undefined ? Number(idStr) : cells.length,
        cpus: attr(c, 'cpus'),
        memory: scaledToKiB(mem, attr(c, 'unit'), 'memory'),
        memAccess: attr(c, 'memAccess'),
        discard: attr(c, 'discard'),
        body: c.children.filter((x): x is XmlElement => x.kind === 'element'),
      });
    }
    cpu.numa = { cells, interconnects: child(numa, 'interconnects') };
  }
  cpu.cache = child(e, 'cache');
  cpu.maxphysaddr = child(e, 'maxphysaddr');
  return cpu;
}

function parseClock(e: XmlElement | undefined): ClockDef {
  const clock: ClockDef = { offset: 'utc', timers: [] };
  if (!e) return clock;
  const off = attr(e, 'offset') ?? 'utc';
  if (!['utc', 'localtime', 'variable', 'timezone', 'absolute'].includes(off)) throw xmlErr(`unknown clock offset '${off}'`);
  clock.offset = off;
  clock.adjustment = attr(e, 'adjustment');
  clock.basis = attr(e, 'basis');
  clock.timezone = attr(e, 'timezone');
  const st = attr(e, 'start');
  if (st !== undefined) clock.start = Number(st);
  for (const t of children(e, 'timer')) {
    const name = attr(t, 'name');
    if (!name) throw xmlErr('missing timer name');
    const catchup = child(t, 'catchup');
    clock.timers.push({
      name,
      present: enumAttr(t, 'present', ['yes', 'no'] as const),
      tickpolicy: attr(t, 'tickpolicy'),
      track: attr(t, 'track'),
      mode: attr(t, 'mode'),
      frequency: uintAttr(t, 'frequency'),
      catchup: catchup ? Object.fromEntries(catchup.attrs.map((a) => [a.name, a.value])) : undefined,
    });
  }
  return clock;
}

function parseDevices(def: DomainDef, devs: XmlElement | undefined, ctx: ParseCtx): void {
  if (!devs) return;
  const d = def.devices;
  for (const c of devs.children) {
    if (c.kind !== 'element' || c.uri !== '') continue;
    switch (c.local) {
      case 'emulator':
        d.emulator = textContent(c)?.trim();
        break;
      case 'disk':
        insertDisk(d.disks, parseDisk(c, ctx));
        break;
      case 'controller':
        d.controllers.push(parseController(c, ctx));
        break;
      case 'interface':
        d.nets.push(parseNet(c, ctx));
        break;
      case 'serial':
        d.serials.push(parseChr(c, 'serial', ctx));
        break;
      case 'parallel':
        d.parallels.push(parseChr(c, 'parallel', ctx));
        break;
      case 'console':
        d.consoles.push(parseChr(c, 'console', ctx));
        break;
      case 'channel':
        d.channels.push(parseChr(c, 'channel', ctx));
        break;
      case 'graphics':
        d.graphics.push(parseGraphics(c, ctx));
        break;
      case 'video':
        d.videos.push(parseVideo(c, ctx));
        break;
      case 'input':
        d.inputs.push(parseInput(c, ctx));
        break;
      case 'memballoon':
        if (d.memballoon) throw xmlErr('only a single memory balloon device is supported');
        d.memballoon = parseMemballoon(c, ctx);
        break;
      case 'rng':
        d.rngs.push(parseRng(c, ctx));
        break;
      case 'lease':
        d.leases.push(parseGeneric(c, ctx));
        break;
      case 'filesystem':
        d.filesystems.push(parseGeneric(c, ctx));
        break;
      case 'smartcard':
        d.smartcards.push(parseGeneric(c, ctx));
        break;
      case 'tpm':
        d.tpms.push(parseGeneric(c, ctx));
        break;
      case 'sound':
        d.sounds.push(parseSound(c, ctx));
        break;
      case 'audio':
        d.audios.push(parseAudio(c, ctx));
        break;
      case 'hostdev':
        d.hostdevs.push(parseGeneric(c, ctx));
        break;
      case 'redirdev':
        d.redirdevs.push(parseGeneric(c, ctx));
        break;
      case 'redirfilter':
        d.redirfilter = parseGeneric(c, ctx);
        break;
      case 'hub':
        d.hubs.push(parseGeneric(c, ctx));
        break;
      case 'watchdog':
        d.watchdogs.push(parseGeneric(c, ctx));
        break;
      case 'nvram':
        d.nvram = parseGeneric(c, ctx);
        break;
      case 'panic':
        d.panics.push(parseGeneric(c, ctx));
        break;
      case 'shmem':
        d.shmems.push(parseGeneric(c, ctx));
        break;
      case 'memory':
        d.memories.push(parseMemoryDevice(c, ctx));
        break;
      case 'iommu':
        d.iommu = parseGeneric(c, ctx);
        break;
      case 'vsock':
        d.vsock = parseGeneric(c, ctx);
        break;
      case 'crypto':
        d.cryptos.push(parseGeneric(c, ctx));
        break;
      default:
        break;
    }
  }
}

export { QEMU_NS_URI };

/** Counts the per-device boot orders, refusing duplicates (virDomainDefCollectBootOrder). */
function collectBootOrders(def: DomainDef): number {
  const seen = new Set<number>();
  for (const v of Object.values(def.devices)) {
    for (const dev of Array.isArray(v) ? v : [v]) {
      const idx = (dev as { info?: { bootIndex?: number } } | undefined)?.info?.bootIndex;
      if (!idx) continue;
      if (seen.has(idx)) throw unsupported(`boot order '${idx}' used for more than one device`);
      seen.add(idx);
    }
  }
  return seen.size;
}
