// Shared pieces of the domain model: device addresses, device info (alias, boot order, ACPI index),
// parse/format contexts and small value helpers used by every device family.
import { type AttrList, type OutElement, type XmlElement, attr, child, el, RAW, serializeNode } from '../../util/xml.js';
import { ErrorCode, ErrorDomain, VirError, virError } from '../../util/errors.js';

export interface ParseCtx {
  /** Parsing live/status XML: keep aliases and runtime data. */
  live: boolean;
}

export interface FormatCtx {
  inactive: boolean;
  secure: boolean;
  status: boolean;
}

// ---- errors --------------------------------------------------------------------------------------

export function xmlErr(detail: string): VirError {
  return virError(ErrorCode.XML_ERROR, ErrorDomain.DOMAIN, detail);
}
export function unsupported(detail: string): VirError {
  return virError(ErrorCode.CONFIG_UNSUPPORTED, ErrorDomain.DOMAIN, detail);
}
export function internal(detail: string): VirError {
  return virError(ErrorCode.INTERNAL_ERROR, ErrorDomain.DOMAIN, detail);
}
export function xmlDetail(detail: string): VirError {
  return new VirError({ code: ErrorCode.XML_DETAIL, domain: ErrorDomain.DOMAIN, message: detail });
}

// ---- value helpers -------------------------------------------------------------------------------

/** Parses an enum attribute; unknown values raise libvirt's "Invalid value for attribute" style error. */
export function enumAttr<T extends string>(
  e: XmlElement | undefined,
  name: string,
  values: readonly T[],
  errText?: (v: string) => string,
): T | undefined {
  const v = attr(e, name);
  if (v === undefined) return undefined;
  if ((values as readonly string[]).includes(v)) return v as T;
  throw xmlErr(errText ? errText(v) : `Invalid value for attribute '${name}' in element '${e?.name}': '${v}'.`);
}

export type TriState = 'on' | 'off';
export type YesNo = 'yes' | 'no';

export function onOffAttr(e: XmlElement | undefined, name: string): TriState | undefined {
  return enumAttr(e, name, ['on', 'off'] as const);
}
export function yesNoAttr(e: XmlElement | undefined, name: string): YesNo | undefined {
  return enumAttr(e, name, ['yes', 'no'] as const);
}

export function parseUInt(s: string | undefined): number | undefined {
  if (s === undefined) return undefined;
  const t = s.trim();
  if (/^0x[0-9a-f]+$/i.test(t)) return Number.parseInt(t, 16);
  if (/^0[0-7]+$/.test(t)) return Number.parseInt(t, 8);
  if (/^\d+$/.test(t)) return Number(t);
  return undefined;
}

export function uintAttr(e: XmlElement | undefined, name: string, errText?: string): number | undefined {
  const v = attr(e, name);
  if (v === undefined) return undefined;
  const n = parseUInt(v);
  if (n === undefined) {
    throw xmlErr(errText ?? `Invalid value for attribute '${name}' in element '${e?.name}': '${v}'. Expected non-negative integer value`);
  }
  return n;
}

export function intAttr(e: XmlElement | undefined, name: string): number | undefined {
  const v = attr(e, name);
  if (v === undefined) return undefined;
  if (!/^[-+]?\d+$/.test(v.trim())) throw xmlErr(`Invalid value for attribute '${name}' in element '${e?.name}': '${v}'. Expected integer value`);
  return Number(v);
}

const UNIT_SCALE: Record<string, number> = {
  b: 1, bytes: 1, k: 1024, kib: 1024, kb: 1000, m: 1024 ** 2, mib: 1024 ** 2, mb: 1e6,
  g: 1024 ** 3, gib: 1024 ** 3, gb: 1e9, t: 1024 ** 4, tib: 1024 ** 4, tb: 1e12,
  p: 1024 ** 5, pib: 1024 ** 5, pb: 1e15, e: 1024 ** 6, eib: 1024 ** 6, eb: 1e18,
};

/** Scales a value with a unit to KiB (rounding up), as virDomainParseMemory does. */
export function scaledToKiB(value: string, unit: string | undefined, what: string): number {
  const v = value.trim();
  if (!/^\d+$/.test(v)) throw xmlErr(`Invalid value '${v}' for element or attribute '${what}'`);
  const scale = UNIT_SCALE[(unit ?? 'KiB').toLowerCase()];
  if (scale === undefined) throw unsupported(`unknown suffix '${unit}'`);
  const bytes = BigInt(v) * BigInt(scale);
  return Number((bytes + 1023n) / 1024n);
}

/** Scaled integer in bytes (for sizes like <size unit='KiB'>) with a default unit. */
export function scaledToBytes(value: string, unit: string | undefined, defUnit: string): number {
  const scale = UNIT_SCALE[(unit ?? defUnit).toLowerCase()];
  if (scale === undefined) throw unsupported(`unknown suffix '${unit}'`);
  return Number(value.trim()) * scale;
}

/** Reads <name unit='…'>N</name> as KiB. */
export function memoryElement(parent: XmlElement | undefined, name: string): number | undefined {
  const e = child(parent, name);
  if (!e) return undefined;
  const txt = e.children.map((c) => (c.kind === 'text' ? c.text : '')).join('');
  return scaledToKiB(txt, attr(e, 'unit'), name);
}

export function hex(n: number, width = 0): string {
  return `0x${n.toString(16).padStart(width, '0')}`;
}

// ---- addresses -----------------------------------------------------------------------------------

export interface PciAddress {
  type: 'pci';
  domain: number;
  bus: number;
  slot: number;
  function: number;
  multifunction?: TriState;
  zpci?: { uid?: number; fid?: number };
}
export interface DriveAddress {
  type: 'drive';
  controller: number;
  bus: number;
  target: number;
  unit: number;
}
export interface VirtioSerialAddress {
  type: 'virtio-serial';
  controller: number;
  bus: number;
  port: number;
}
export interface CcidAddress {
  type: 'ccid';
  controller: number;
  slot: number;
}
export interface UsbAddress {
  type: 'usb';
  bus: number;
  /** Dotted port path, e.g. '1' or '1.2'. */
  port?: string;
}
export interface IsaAddress {
  type: 'isa';
  iobase?: number;
  irq?: number;
}
export interface DimmAddress {
  type: 'dimm';
  slot?: number;
  base?: number;
}
export interface OtherAddress {
  type: 'spapr-vio' | 'ccw' | 'virtio-mmio' | 'virtio-s390' | 'unassigned';
  attrs: Record<string, string>;
}
export type DeviceAddress =
  | PciAddress
  | DriveAddress
  | VirtioSerialAddress
  | CcidAddress
  | UsbAddress
  | IsaAddress
  | DimmAddress
  | OtherAddress;

function addrNum(e: XmlElement, name: string, what: string): number {
  const v = attr(e, name);
  if (v === undefined) return 0;
  const n = parseUInt(v);
  if (n === undefined) throw xmlErr(`Cannot parse <address> '${name}' attribute`);
  void what;
  return n;
}

export function parseAddress(e: XmlElement): DeviceAddress {
  const type = attr(e, 'type');
  if (!type) throw xmlErr('No type specified for device address');
  switch (type) {
    case 'pci': {
      const a: PciAddress = {
        type: 'pci',
        domain: addrNum(e, 'domain', 'domain'),
        bus: addrNum(e, 'bus', 'bus'),
        slot: addrNum(e, 'slot', 'slot'),
        function: addrNum(e, 'function', 'function'),
      };
      const mf = attr(e, 'multifunction');
      if (mf !== undefined) {
        if (mf !== 'on' && mf !== 'off') throw xmlErr(`Unknown value '${mf}' for <address> 'multifunction' attribute`);
        a.multifunction = mf;
      }
      if (a.domain > 0xffff) throw xmlErr(`Invalid PCI address domain='0x${a.domain.toString(16)}', must be <= 0xFFFF`);
      if (a.bus > 0xff) throw xmlErr(`Invalid PCI address bus='0x${a.bus.toString(16)}', must be <= 0xFF`);
      if (a.slot > 0x1f) throw xmlErr(`Invalid PCI address slot='0x${a.slot.toString(16)}', must be <= 0x1F`);
      if (a.function > 7) throw xmlErr(`Invalid PCI address function=0x${a.function.toString(16)}, must be <= 7`);
      const z = child(e, 'zpci');
      if (z) a.zpci = { uid: parseUInt(attr(z, 'uid')), fid: parseUInt(attr(z, 'fid')) };
      return a;
    }
    case 'drive':
      return {
        type: 'drive',
        controller: addrNum(e, 'controller', ''),
        bus: addrNum(e, 'bus', ''),
        target: addrNum(e, 'target', ''),
        unit: addrNum(e, 'unit', ''),
      };
    case 'virtio-serial':
      return { type: 'virtio-serial', controller: addrNum(e, 'controller', ''), bus: addrNum(e, 'bus', ''), port: addrNum(e, 'port', '') };
    case 'ccid':
      return { type: 'ccid', controller: addrNum(e, 'controller', ''), slot: addrNum(e, 'slot', '') };
    case 'usb': {
      const port = attr(e, 'port');
      return { type: 'usb', bus: addrNum(e, 'bus', ''), ...(port !== undefined ? { port } : {}) };
    }
    case 'isa':
      return { type: 'isa', iobase: parseUInt(attr(e, 'iobase')), irq: parseUInt(attr(e, 'irq')) };
    case 'dimm':
      return { type: 'dimm', slot: parseUInt(attr(e, 'slot')), base: parseUInt(attr(e, 'base')) };
    case 'spapr-vio':
    case 'ccw':
    case 'virtio-mmio':
    case 'virtio-s390':
    case 'unassigned': {
      const attrs: Record<string, string> = {};
      for (const a of e.attrs) if (a.name !== 'type') attrs[a.name] = a.value;
      return { type, attrs };
    }
    default:
      throw xmlErr(`unknown address type '${type}'`);
  }
}

export function formatAddress(a: DeviceAddress): OutElement {
  switch (a.type) {
    case 'pci':
      return el(
        'address',
        [
          ['type', 'pci'],
          ['domain', hex(a.domain, 4)],
          ['bus', hex(a.bus, 2)],
          ['slot', hex(a.slot, 2)],
          ['function', hex(a.function)],
          ['multifunction', a.multifunction],
        ],
        a.zpci ? el('zpci', [['uid', a.zpci.uid !== undefined ? hex(a.zpci.uid, 4) : undefined], ['fid', a.zpci.fid !== undefined ? hex(a.zpci.fid, 8) : undefined]]) : undefined,
      );
    case 'drive':
      return el('address', [['type', 'drive'], ['controller', a.controller], ['bus', a.bus], ['target', a.target], ['unit', a.unit]]);
    case 'virtio-serial':
      return el('address', [['type', 'virtio-serial'], ['controller', a.controller], ['bus', a.bus], ['port', a.port]]);
    case 'ccid':
      return el('address', [['type', 'ccid'], ['controller', a.controller], ['slot', a.slot]]);
    case 'usb':
      return el('address', [['type', 'usb'], ['bus', a.bus], ['port', a.port]]);
    case 'isa':
      return el('address', [['type', 'isa'], ['iobase', a.iobase !== undefined ? hex(a.iobase) : undefined], ['irq', a.irq !== undefined ? hex(a.irq) : undefined]]);
    case 'dimm':
      return el('address', [['type', 'dimm'], ['slot', a.slot], ['base', a.base !== undefined ? hex(a.base) : undefined]]);
    default:
      return el('address', [['type', a.type], ...Object.entries(a.attrs)]);
  }
}

export function pciAddrEqual(a: PciAddress, b: PciAddress): boolean {
  return a.domain === b.domain && a.bus === b.bus && a.slot === b.slot && a.function === b.function;
}

export function fmtPciAddr(a: PciAddress): string {
  return `${a.domain.toString(16).padStart(4, '0')}:${a.bus.toString(16).padStart(2, '0')}:${a.slot.toString(16).padStart(2, '0')}.${a.function.toString(16)}`;
}

// ---- device info ---------------------------------------------------------------------------------

export interface RomInfo {
  bar?: TriState;
  file?: string;
  enabled?: YesNo;
}

export interface DeviceInfo {
  alias?: string;
  address?: DeviceAddress;
  bootIndex?: number;
  /** Boot index derived from <os><boot dev=…> at start (not formatted). */
  effectiveBootIndex?: number;
  loadparm?: string;
  acpiIndex?: number;
  rom?: RomInfo;
  /** USB companion controller master. */
  masterStartport?: number;
}

export const USER_ALIAS_PREFIX = 'ua-';

export function parseDeviceInfo(e: XmlElement, ctx: ParseCtx, allowBoot = true): DeviceInfo {
  const info: DeviceInfo = {};
  const a = child(e, 'alias');
  if (a) {
    const name = attr(a, 'name');
    if (name && (ctx.live || name.startsWith(USER_ALIAS_PREFIX))) {
      if (name.startsWith(USER_ALIAS_PREFIX) && !/^[a-zA-Z0-9_-]+$/.test(name)) throw xmlErr(`malformed alias name '${name}'`);
      info.alias = name;
    }
  }
  const b = child(e, 'boot');
  if (b && allowBoot) {
    const order = attr(b, 'order');
    if (order === undefined) throw xmlErr("missing boot order attribute");
    const n = parseUInt(order);
    if (n === undefined || n <= 0) throw xmlErr(`incorrect boot order '${order}', expecting positive integer`);
    info.bootIndex = n;
    const lp = attr(b, 'loadparm');
    if (lp !== undefined) info.loadparm = lp;
  }
  const acpi = child(e, 'acpi');
  if (acpi) {
    const idx = uintAttr(acpi, 'index');
    if (idx !== undefined) info.acpiIndex = idx;
  }
  const rom = child(e, 'rom');
  if (rom) {
    info.rom = { bar: onOffAttr(rom, 'bar'), file: attr(rom, 'file'), enabled: yesNoAttr(rom, 'enabled') };
  }
  const master = child(e, 'master');
  if (master) info.masterStartport = uintAttr(master, 'startport');
  const addr = child(e, 'address');
  if (addr) info.address = parseAddress(addr);
  return info;
}

/** <boot>, <alias>, <master>, <rom>, <acpi>, <address> in libvirt's order. */
export function formatDeviceInfo(info: DeviceInfo, ctx: FormatCtx, opts: { boot?: boolean; rom?: boolean } = {}): OutElement[] {
  const out: OutElement[] = [];
  if (opts.boot !== false && info.bootIndex) out.push(el('boot', [['order', info.bootIndex], ['loadparm', info.loadparm]]));
  if (info.alias && (!ctx.inactive || info.alias.startsWith(USER_ALIAS_PREFIX))) out.push(el('alias', [['name', info.alias]]));
  if (info.masterStartport !== undefined) out.push(el('master', [['startport', info.masterStartport]]));
  if (info.rom && (info.rom.bar || info.rom.file !== undefined || info.rom.enabled)) {
    out.push(el('rom', [['enabled', info.rom.enabled], ['bar', info.rom.bar], ['file', info.rom.file]]));
  }
  if (info.acpiIndex) out.push(el('acpi', [['index', info.acpiIndex]]));
  if (info.address) out.push(formatAddress(info.address));
  return out;
}

// ---- virtio driver options -----------------------------------------------------------------------

export interface VirtioOptions {
  iommu?: TriState;
  ats?: TriState;
  packed?: TriState;
  page_per_vq?: TriState;
}

export function parseVirtioOptions(driver: XmlElement | undefined): VirtioOptions {
  return {
    iommu: onOffAttr(driver, 'iommu'),
    ats: onOffAttr(driver, 'ats'),
    packed: onOffAttr(driver, 'packed'),
    page_per_vq: onOffAttr(driver, 'page_per_vq'),
  };
}

export function virtioOptionAttrs(v: VirtioOptions | undefined): AttrList {
  if (!v) return [];
  return [['iommu', v.iommu], ['ats', v.ats], ['packed', v.packed], ['page_per_vq', v.page_per_vq]];
}

/** Re-emits an unmodelled element verbatim, re-indented for formatXml. */
export function verbatim(e: XmlElement): OutElement {
  return { name: RAW, attrs: [], children: [], raw: serializeNode(e) };
}

export function textContent(e: XmlElement | undefined): string | undefined {
  if (!e) return undefined;
  return e.children.map((c) => (c.kind === 'text' ? c.text : '')).join('');
}

// ---- verbatim bodies -----------------------------------------------------------------------------

/** Children regenerated from DeviceInfo (never kept verbatim). */
const INFO_CHILDREN = new Set(['alias', 'address', 'boot', 'acpi', 'rom', 'master']);

/** Child elements of a device kept verbatim, minus the ones DeviceInfo formats (and `skip`). */
export function bodyChildren(e: XmlElement, skip: string[] = []): XmlElement[] {
  const out: XmlElement[] = [];
  for (const c of e.children) {
    if (c.kind !== 'element') continue;
    if (c.uri === '' && (INFO_CHILDREN.has(c.local) || skip.includes(c.local))) continue;
    out.push(c);
  }
  return out;
}

/** Original attributes of an element, in document order. */
export function attrsOf(e: XmlElement): AttrList {
  return e.attrs.filter((a) => !a.name.startsWith('xmlns')).map((a) => [a.name, a.value] as [string, string]);
}
