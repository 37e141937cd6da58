// Guest NUMA topology helpers (virDomainNuma): bitmap lists (virBitmapParse/virBitmapFormat), cell
// distances, caches and HMAT interconnects read from the <cpu><numa> model.
import { attr, child, children, type XmlElement } from '../../util/xml.js';
import { textContent, xmlErr } from './common.js';
import type { DomainDef, NumaCell } from './types.js';

/** virBitmapParse: "0-3,^2,7" → sorted unique members. Throws libvirt's error on bad syntax. */
export function parseBitmap(s: string, what = 'nodeset'): number[] {
  const set = new Set<number>();
  const t = s.trim();
  if (t === '') return [];
  for (const raw of t.split(',')) {
    const part = raw.trim();
    const neg = part.startsWith('^');
    const body = neg ? part.slice(1) : part;
    const m = /^(\d+)(?:-(\d+))?$/.exec(body);
    if (!m) throw xmlErr(`Failed to parse bitmap '${s}'`);
    const lo = Number(m[1]);
    const hi = m[2] !== undefined ? Number(m[2]) : lo;
    if (hi < lo || (neg && m[2] !== undefined)) throw xmlErr(`Failed to parse bitmap '${s}'`);
    void what;
    for (let i = lo; i <= hi; i++) {
      if (neg) set.delete(i);
      else set.add(i);
    }
  }
  return [...set].sort((a, b) => a - b);
}

/** virBitmapFormat: ranges joined by commas ("0-3,5"). */
export function formatBitmap(bits: readonly number[]): string {
  const sorted = [...new Set(bits)].sort((a, b) => a - b);
  const out: string[] = [];
  for (let i = 0; i < sorted.length; ) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j] + 1) j++;
    out.push(i === j ? String(sorted[i]) : `${sorted[i]}-${sorted[j]}`);
    i = j + 1;
  }
  return out.join(',');
}

export function numaCells(def: DomainDef): NumaCell[] {
  return def.cpu?.numa?.cells ?? [];
}

/** virDomainNumaGetNodeCount */
export function numaNodeCount(def: DomainDef): number {
  return numaCells(def).length;
}

export interface NumaDistance {
  cellid: number;
  value: number;
}

/** <distances><sibling id= value=/></distances> of a cell. */
export function cellDistances(cell: NumaCell): NumaDistance[] {
  const d = cell.body.find((e) => e.local === 'distances');
  if (!d) return [];
  return children(d, 'sibling').map((s) => ({ cellid: Number(attr(s, 'id')), value: Number(attr(s, 'value')) }));
}

/** virDomainNumaNodesDistancesAreBeingSet */
export function numaDistancesSet(def: DomainDef): boolean {
  return numaCells(def).some((c) => cellDistances(c).length > 0);
}

/** virDomainNumaGetNodeDistance: explicit value, else 10 for self and 20 for others (local/remote). */
export function numaDistance(def: DomainDef, i: number, j: number): number {
  const cells = numaCells(def);
  const v = cellDistances(cells[i]).find((d) => d.cellid === j)?.value;
  if (v) return v;
  return i === j ? 10 : 20;
}

export interface NumaCache {
  level: number;
  associativity: string;
  policy: string;
  /** KiB */
  size: number;
  /** bytes */
  line: number;
}

function scaled(e: XmlElement | undefined, defUnit: string): number {
  const v = Number(attr(e, 'value') ?? textContent(e) ?? 0);
  const u = (attr(e, 'unit') ?? defUnit).toLowerCase();
  const f: Record<string, number> = { b: 1, bytes: 1, k: 1024, kib: 1024, kb: 1000, m: 1024 ** 2, mib: 1024 ** 2, mb: 1e6, g: 1024 ** 3, gib: 1024 ** 3, gb: 1e9 };
  return v * (f[u] ?? 1);
}

/** <cache> elements of a cell (HMAT). */
export function cellCaches(cell: NumaCell): NumaCache[] {
  return cell.body
    .filter((e) => e.local === 'cache')
    .map((c) => ({
      level: Number(attr(c, 'level')),
      associativity: attr(c, 'associativity') ?? 'none',
      policy: attr(c, 'policy') ?? 'none',
      size: scaled(child(c, 'size'), 'KiB') / 1024,
      line: scaled(child(c, 'line'), 'B'),
    }));
}

export interface NumaInterconnect {
  kind: 'latency' | 'bandwidth';
  initiator: number;
  target: number;
  cache: number;
  type: string;
  /** latency in ns, bandwidth in KiB/s */
  value: number;
}

export function numaInterconnects(def: DomainDef): NumaInterconnect[] {
  const ic = def.cpu?.numa?.interconnects;
  if (!ic) return [];
  const out: NumaInterconnect[] = [];
  for (const e of ic.children) {
    if (e.kind !== 'element' || (e.local !== 'latency' && e.local !== 'bandwidth')) continue;
    const value = e.local === 'bandwidth' ? scaled(e, 'KiB') / 1024 : Number(attr(e, 'value'));
    out.push({
      kind: e.local,
      initiator: Number(attr(e, 'initiator')),
      target: Number(attr(e, 'target')),
      cache: Number(attr(e, 'cache') ?? 0),
      type: attr(e, 'type') ?? 'access',
      value,
    });
  }
  return out;
}

/** virDomainNumaHasHMAT: any cell cache or interconnect. */
export function numaHasHMAT(def: DomainDef): boolean {
  return numaInterconnects(def).length > 0 || numaCells(def).some((c) => cellCaches(c).length > 0);
}

/**
 * virDomainNumaGetNodeInitiator: the cell itself when it has CPUs, else the initiator with the lowest
 * latency to it, else the one with the highest bandwidth; -1 when none.
 */
export function numaNodeInitiator(def: DomainDef, node: number): number {
  const cells = numaCells(def);
  if (cells[node]?.cpus && parseBitmap(cells[node].cpus ?? '').length) return node;
  let minLat = Number.POSITIVE_INFINITY;
  let lat = -1;
  let maxBw = 0;
  let bw = -1;
  for (const l of numaInterconnects(def)) {
    if (l.target !== node) continue;
    if (l.kind === 'latency' && l.value < minLat) {
      minLat = l.value;
      lat = l.initiator;
    } else if (l.kind === 'bandwidth' && l.value > maxBw) {
      maxBw = l.value;
      bw = l.initiator;
    }
  }
  return lat >= 0 ? lat : bw;
}
