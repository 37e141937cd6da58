// Memory tuning of a domain (virDomainMemtune's backing part, virDomainNumatune): typed views over
// <memoryBacking> and <numatune> (kept verbatim for formatting), the memory-size post-parse rules
// (virDomainDefPostParseMemory) and their validation (virDomainDefMemtuneValidate).
import { ErrorCode, ErrorDomain, virError } from '../../util/errors.js';
import { type XmlElement, attr, child, children } from '../../util/xml.js';
import { scaledToKiB, unsupported, xmlDetail, xmlErr } from './common.js';
import { numaCells, parseBitmap } from './numa.js';
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
  if (mm && mm.size && mm.size < def.memory) throw xmlErr('maximum memory size must be equal or greater than the actual memory size');
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
  const nt = numatuneOf(def);
  for (const cellid of nt.memnodes.keys()) {
    if (cellid >= numaCells(def).length) {
      throw unsupported(`Argument 'cellid' in memnode element must correspond to existing guest's NUMA cell`);
    }
  }
}
