// Memory tuning of a domain (virDomainMemtune's backing part, virDomainNumatune): typed views over
// <memoryBacking> and <numatune> (kept verbatim for formatting), the memory-size post-parse rules
// (virDomainDefPostParseMemory) and their validation (virDomainDefMemtuneValidate).
import { ErrorCode, ErrorDomain, virError } from '../../util/errors.js';
import { attr, child, children, type XmlElement } from '../../util/xml.js';
import { scaledToKiB, unsupported, xmlDetail, xmlErr } from './common.js';
import { formatBitmap, numaCells, parseBitmap } from './numa.js';
import type { DomainDef } from './types.js';

export interface HugePage {
  /** KiB; 0 means the default huge page size. */
  size: number;
  /** Guest NUMA nodes this page size applies to (undefined: the default for all). */
  nodes?: number[];
}

export interface MemoryBacking {
  hugepages: HugePage[];
  nosharepages: boolean;
  locked: boolean;
  source?: 'file' | 'anonymous' | 'memfd';
  access?: 'shared' | 'private';
  allocation?: 'immediate' | 'ondemand';
  allocationThreads?: number;
  discard: boolean;
}

export type NumatuneMode = 'strict' | 'preferred' | 'interleave' | 'restrictive';

export interface Numatune {
  memory?: { mode: NumatuneMode; placement: 'static' | 'auto'; nodes?: number[] };
  memnodes: Map<number, { mode: NumatuneMode; nodes: number[] }>;
}

function el(def: DomainDef, name: string): XmlElement | undefined {
  return def.raw[name]?.[0];
}

/** The <memoryBacking> settings of a definition. */
export function memoryBackingOf(def: DomainDef): MemoryBacking {
  const mb = el(def, 'memoryBacking');
  const out: MemoryBacking = { hugepages: [], nosharepages: false, locked: false, discard: false };
  if (!mb) return out;
  const hp = child(mb, 'hugepages');
  if (hp) {
    const pages = children(hp, 'page');
    if (pages.length === 0) out.hugepages.push({ size: 0 });
    for (const p of pages) {
      const size = attr(p, 'size');
      if (size === undefined) throw xmlErr('hugepage size can\'t be zero');
      const kib = scaledToKiB(size, attr(p, 'unit'), 'size');
      const ns = attr(p, 'nodeset');
      out.hugepages.push({ size: kib, ...(ns !== undefined ? { nodes: parseBitmap(ns) } : {}) });
    }
  }
  out.nosharepages = !!child(mb, 'nosharepages');
  out.locked = !!child(mb, 'locked');
  const src = attr(child(mb, 'source'), 'type');
  if (src === 'file' || src === 'anonymous' || src === 'memfd') out.source = src;
  const acc = attr(child(mb, 'access'), 'mode');
  if (acc === 'shared' || acc === 'private') out.access = acc;
  const alloc = child(mb, 'allocation');
  const am = attr(alloc, 'mode');
  if (am === 'immediate' || am === 'ondemand') out.allocation = am;
  const thr = attr(alloc, 'threads');
  if (thr !== undefined) out.allocationThreads = Number(thr);
  out.discard = !!child(mb, 'discard');
  return out;
}

const MODES: readonly NumatuneMode[] = ['strict', 'preferred', 'interleave', 'restrictive'];

/** The <numatune> settings of a definition. */
export function numatuneOf(def: DomainDef): Numatune {
  const nt = el(def, 'numatune');
  const out: Numatune = { memnodes: new Map() };
  if (!nt) return out;
  const mem = child(nt, 'memory');
  if (mem) {
    const mode = (attr(mem, 'mode') ?? 'strict') as NumatuneMode;
    const ns = attr(mem, 'nodeset');
    const placement = (attr(mem, 'placement') ?? (ns !== undefined ? 'static' : 'auto')) as 'static' | 'auto';
    out.memory = { mode: MODES.includes(mode) ? mode : 'strict', placement, ...(ns !== undefined ? { nodes: parseBitmap(ns) } : {}) };
  }
  for (const m of children(nt, 'memnode')) {
    const cellid = Number(attr(m, 'cellid'));
    const mode = (attr(m, 'mode') ?? 'strict') as NumatuneMode;
    out.memnodes.set(cellid, { mode, nodes: parseBitmap(attr(m, 'nodeset') ?? '') });
  }
  return out;
}

/** virDomainNumatuneGetMode: the cell's memnode mode, else the global mode; undefined when unset. */
export function numatuneMode(nt: Numatune, cellid: number): NumatuneMode | undefined {
  if (cellid >= 0) {
    const m = nt.memnodes.get(cellid);
    if (m) return m.mode;
  }
  return nt.memory?.mode;
}

/** virDomainNumatuneMaybeGetNodeset: the cell's memnode nodeset, else the global static nodeset. */
export function numatuneNodeset(nt: Numatune, cellid: number, autoNodeset?: number[]): number[] | undefined {
  if (cellid >= 0) {
    const m = nt.memnodes.get(cellid);
    if (m) return m.nodes;
  }
  if (!nt.memory) return undefined;
  if (nt.memory.placement === 'auto') return autoNodeset;
  return nt.memory.nodes;
}

/** virDomainNumatuneNodeSpecified */
export function numatuneNodeSpecified(nt: Numatune, cellid: number): boolean {
  return cellid >= 0 && nt.memnodes.has(cellid);
}

/** Sum of the memory devices' sizes (KiB). */
export function hotplugMemory(def: DomainDef): number {
  return def.devices.memories.reduce((s, m) => s + m.size, 0);
}

/** virDomainDefGetMemoryInitial: total memory minus the memory devices. */
export function initialMemory(def: DomainDef): number {
  return def.memory - hotplugMemory(def);
}

/** virDomainDefHasMemoryHotplug */
export function hasMemoryHotplug(def: DomainDef): boolean {
  return (def.maxMemory?.slots ?? 0) > 0;
}

/**
 * virDomainDefPostParseMemory: without <memory>, the total is the NUMA cells plus the memory devices;
 * checks of the hotplug settings.
 */
export function postParseMemory(def: DomainDef, memorySpecified: boolean): void {
  // cells are kept in id order (libvirt stores them indexed by id)
  def.cpu?.numa?.cells.sort((a, b) => a.id - b.id);
  fillNumaDistances(def);
  for (const c of numaCells(def)) if (c.cpus) c.cpus = formatBitmap(parseBitmap(c.cpus));
  // <numatune> and <memoryBacking> are parsed into values and written back canonically
  validateNumatune(def);
  canonicalizeNumatune(def);
  canonicalizeMemoryBacking(def);
  const numaMem = numaCells(def).reduce((s, c) => s + c.memory, 0);
  const hot = hotplugMemory(def);
  if (!memorySpecified && numaMem) def.memory = numaMem + hot;
  else if (hot > def.memory) throw xmlErr('Total size of memory devices exceeds the total memory size');
  if (initialMemory(def) === 0) {
    throw virError(ErrorCode.XML_ERROR, ErrorDomain.DOMAIN, 'Memory size must be specified via <memory> or in the <numa> configuration');
  }
  if (def.currentMemory > def.memory || def.currentMemory === 0) def.currentMemory = def.memory;
  const mm = def.maxMemory;
  if (mm && (mm.size > 0) !== (mm.slots > 0)) throw xmlErr('both maximum memory size and memory slot count must be specified');
  if (mm?.size && mm.size < def.memory) throw xmlErr('maximum memory size must be equal or greater than the actual memory size');
}

/** virDomainDefMemtuneValidate: huge page node sets must name existing guest NUMA nodes. */
export function validateMemtune(def: DomainDef): void {
  const mb = memoryBackingOf(def);
  const last = numaCells(def).length - 1;
  mb.hugepages.forEach((hp, i) => {
    for (let j = 0; j < i; j++) {
      const o = mb.hugepages[j];
      if (hp.nodes && o.nodes && hp.nodes.some((n) => o.nodes?.includes(n))) {
        throw xmlDetail(`nodeset attribute of hugepages of sizes ${hp.size} and ${o.size} intersect`);
      }
      if (!hp.nodes && !o.nodes) throw xmlDetail(`two master hugepages detected: ${hp.size} and ${o.size}`);
    }
    if (!hp.nodes) return;
    const beyond = hp.nodes.find((n) => n > last);
    if (beyond !== undefined) throw xmlDetail(`hugepages: node ${beyond} not found`);
  });
  validateNumaCells(def);
  for (const m of def.devices.memories) validateMemoryDevice(m);
}

/** virDomainNumatuneParseXML / virDomainNumatuneNodeParseXML checks. */
function validateNumatune(def: DomainDef): void {
  const nt = def.raw.numatune?.[0];
  if (!nt) return;
  const ncells = numaCells(def).length;
  const mem = child(nt, 'memory');
  if (mem) {
    const mode = attr(mem, 'mode');
    if (mode !== undefined && !(MODES as readonly string[]).includes(mode)) throw xmlErr(`Unsupported NUMA memory tuning mode '${mode}'`);
    const placement = attr(mem, 'placement');
    if (placement !== undefined && placement !== 'static' && placement !== 'auto') throw xmlErr(`Unsupported numatune placement '${placement}'`);
    const ns = attr(mem, 'nodeset');
    if (placement === 'static' && ns === undefined) throw xmlErr("nodeset for NUMA memory tuning must be set if 'placement' is 'static'");
    if (ns !== undefined && parseBitmap(ns).length === 0) throw xmlErr(`Invalid value of 'nodeset': ${ns}`);
  }
  const memnodes = children(nt, 'memnode');
  if (memnodes.length && !ncells) throw xmlErr("Element 'memnode' is invalid without any guest NUMA cells");
  const seen = new Set<number>();
  for (const m of memnodes) {
    const c = attr(m, 'cellid');
    if (c === undefined || !/^\d+$/.test(c)) throw xmlErr("Invalid or missing 'cellid' attribute in memnode element");
    const cellid = Number(c);
    if (cellid >= ncells) throw xmlErr("Argument 'cellid' in memnode element must correspond to existing guest's NUMA cell");
    if (seen.has(cellid)) throw xmlErr(`Multiple memnode elements with cellid ${cellid}`);
    seen.add(cellid);
    const mode = attr(m, 'mode');
    if (mode !== undefined && !(MODES as readonly string[]).includes(mode)) throw xmlErr(`Invalid mode attribute in memnode element`);
    const ns = attr(m, 'nodeset');
    if (ns === undefined) throw xmlErr('Missing required nodeset attribute in memnode element');
    if (parseBitmap(ns).length === 0) throw xmlErr(`Invalid value of 'nodeset': ${ns}`);
  }
}

/** virDomainNumaDefParseXML / virDomainDefPostParseCPU checks on guest NUMA cells. */
function validateNumaCells(def: DomainDef): void {
  const cells = numaCells(def);
  if (!cells.length) return;
  const ids = new Set<number>();
  for (const c of cells) {
    if (c.id >= cells.length) {
      throw xmlErr("Exactly one 'cell' element per guest NUMA cell allowed, non-contiguous ranges or ranges not in order is not supported");
    }
    if (ids.has(c.id)) throw xmlErr(`Duplicate NUMA cell info for cell id '${c.id}'`);
    ids.add(c.id);
  }
  const masks = cells.map((c) => (c.cpus ? parseBitmap(c.cpus) : []));
  for (let i = 0; i < masks.length; i++) {
    for (let j = i + 1; j < masks.length; j++) {
      if (masks[i].some((x) => masks[j].includes(x))) throw xmlErr(`NUMA cells ${cells[i].id} and ${cells[j].id} have overlapping vCPU ids`);
    }
  }
  const total = masks.reduce((s, m) => s + m.length, 0);
  if (total > def.vcpu.max) throw virError(ErrorCode.INTERNAL_ERROR, ErrorDomain.DOMAIN, 'Number of CPUs in <numa> exceeds the <vcpu> count');
  if (masks.some((m) => m.some((x) => x >= def.vcpu.max))) {
    throw virError(ErrorCode.INTERNAL_ERROR, ErrorDomain.DOMAIN, 'CPU IDs in <numa> exceed the <vcpu> count');
  }
}

/** Transparent huge page size assumed for virtio-mem block sizes (x86: 2 MiB). */
const THP_KIB = 2048;

/** virDomainMemoryDefValidate */
function validateMemoryDevice(m: DomainDef['devices']['memories'][number]): void {
  if (m.model === 'nvdimm') {
    if (!m.path) throw unsupported("path is required for model 'nvdimm'");
    if (m.discard === 'yes') throw unsupported('discard is not supported for nvdimms');
  } else if (m.uuid) throw unsupported('UUID is not supported for ' + m.model);
  if (m.model === 'virtio-pmem') {
    if (!m.path) throw unsupported(`path is required for model '${m.model}'`);
    if (m.discard === 'yes') throw unsupported(`discard is not supported for model '${m.model}'`);
  }
  if (m.model === 'virtio-mem') {
    const block = m.blocksize ?? 0;
    const req = m.requestedsize ?? 0;
    if (req > m.size) throw unsupported('requested size must be smaller than or equal to @size');
    if (!block || (block & (block - 1)) !== 0) throw unsupported('block size must be a power of two');
    if (block < THP_KIB) throw unsupported(`block size too small, must be at least ${THP_KIB}KiB`);
    if (req % block !== 0) throw unsupported('requested size must be an integer multiple of block size');
    if (m.size % block !== 0) throw unsupported('memory device size must be an integer multiple of block size');
  }
}

function mkEl(name: string, attrs: Array<[string, string | undefined]>, kids: XmlElement[] = []): XmlElement {
  return {
    kind: 'element',
    name,
    local: name,
    prefix: '',
    uri: '',
    attrs: attrs.filter((a): a is [string, string] => a[1] !== undefined).map(([k, v]) => ({ name: k, local: k, prefix: '', uri: '', value: v })),
    children: kids,
    line: 0,
    column: 0,
  };
}

/** virDomainNumatuneFormatXML: <memory> first, then memnodes by cell id, node sets as ranges. */
function canonicalizeNumatune(def: DomainDef): void {
  if (!def.raw.numatune?.length) return;
  const nt = numatuneOf(def);
  const kids: XmlElement[] = [];
  if (nt.memory) {
    const m = nt.memory;
    kids.push(mkEl('memory', [['mode', m.mode], m.placement === 'static' ? ['nodeset', formatBitmap(m.nodes ?? [])] : ['placement', m.placement]]));
  }
  for (const id of [...nt.memnodes.keys()].sort((a, b) => a - b)) {
    const n = nt.memnodes.get(id);
    if (n) kids.push(mkEl('memnode', [['cellid', String(id)], ['mode', n.mode], ['nodeset', formatBitmap(n.nodes)]]));
  }
  if (kids.length) def.raw.numatune = [mkEl('numatune', [], kids)];
  else delete def.raw.numatune;
}

/** virDomainMemorybackingFormat */
function canonicalizeMemoryBacking(def: DomainDef): void {
  if (!def.raw.memoryBacking?.length) return;
  const mb = memoryBackingOf(def);
  const kids: XmlElement[] = [];
  if (mb.hugepages.length === 1 && mb.hugepages[0].size === 0 && !mb.hugepages[0].nodes) kids.push(mkEl('hugepages', []));
  else if (mb.hugepages.length) {
    kids.push(
      mkEl(
        'hugepages',
        [],
        mb.hugepages.map((h) =>
          mkEl('page', [
            ['size', h.size ? String(h.size) : undefined],
            ['unit', h.size ? 'KiB' : undefined],
            ['nodeset', h.nodes ? formatBitmap(h.nodes) : undefined],
          ]),
        ),
      ),
    );
  }
  if (mb.nosharepages) kids.push(mkEl('nosharepages', []));
  if (mb.locked) kids.push(mkEl('locked', []));
  if (mb.source) kids.push(mkEl('source', [['type', mb.source]]));
  if (mb.access) kids.push(mkEl('access', [['mode', mb.access]]));
  if (mb.allocation || mb.allocationThreads) {
    kids.push(mkEl('allocation', [['mode', mb.allocation], ['threads', mb.allocationThreads ? String(mb.allocationThreads) : undefined]]));
  }
  if (mb.discard) kids.push(mkEl('discard', []));
  if (kids.length) def.raw.memoryBacking = [mkEl('memoryBacking', [], kids)];
  else delete def.raw.memoryBacking;
}

/**
 * virDomainNumaDefNodeDistanceParseXML: each <sibling> sets the distance both ways (the reverse
 * one only when not given), and every cell touched gets its local distance 10; cells are written
 * back with the full list (unset pairs omitted), distances before caches.
 */
function fillNumaDistances(def: DomainDef): void {
  const cells = numaCells(def);
  const n = cells.length;
  if (!cells.some((c) => c.body.some((e) => e.local === 'distances'))) return;
  const matrix: Array<number[] | undefined> = new Array(n).fill(undefined);
  const row = (i: number) => {
    let r = matrix[i];
    if (!r) {
      r = new Array(n).fill(0);
      r[i] = 10;
      matrix[i] = r;
    }
    return r;
  };
  cells.forEach((c, cur) => {
    const d = c.body.find((e) => e.local === 'distances');
    if (!d) return;
    for (const s of children(d, 'sibling')) {
      const idStr = attr(s, 'id');
      if (idStr === undefined || !/^\d+$/.test(idStr)) throw xmlErr(`Invalid value for attribute 'id' in element 'sibling': '${idStr ?? ''}'.`);
      const sib = Number(idStr);
      if (sib >= n) throw xmlErr(`'sibling_id ${sib}' does not refer to a valid cell within NUMA 'cell id ${cur}'`);
      const vStr = attr(s, 'value');
      if (vStr === undefined) throw xmlErr("Missing required attribute 'value' in element 'sibling'");
      const v = Number(vStr);
      if (v < 10 || v > 255 || (sib === cur && v !== 10) || (sib !== cur && v === 10)) {
        throw xmlErr(`'value ${v}' is invalid for 'sibling id ${sib}' under NUMA 'cell id ${cur}'`);
      }
      row(cur)[sib] = v;
      const r = row(sib);
      if (!r[cur]) r[cur] = v;
    }
  });
  cells.forEach((c, i) => {
    const r = matrix[i];
    const rest = c.body.filter((e) => e.local !== 'distances');
    if (!r) {
      c.body = rest;
      return;
    }
    const sibs = r.flatMap((v, j) => (v ? [mkEl('sibling', [['id', String(j)], ['value', String(v)]])] : []));
    c.body = [mkEl('distances', [], sibs), ...rest];
  });
}
