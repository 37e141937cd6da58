// Generic guest CPU checks (virDomainDefValidateInternal's vCPU/topology part).
import { attr } from '../../util/xml.js';
import { xmlErr } from './common.js';
import type { DomainDef } from './types.js';

export function validateCpuTopology(def: DomainDef): void {
  const t = def.cpu?.topology;
  if (t && t.sockets * (t.dies || 1) * t.cores * t.threads !== def.vcpu.max) {
    throw xmlErr("CPU topology doesn't match maximum vcpu count");
  }
  const cache = def.cpu?.cache;
  if (cache) {
    const mode = attr(cache, 'mode');
    if (mode !== undefined && !['emulate', 'passthrough', 'disable'].includes(mode)) throw xmlErr(`Invalid CPU cache mode '${mode}'`);
  }
}

/** virDomainDefParseIOThreads: <iothreadids> entries are checked and counted into <iothreads>. */
export function postParseIOThreads(def: DomainDef): void {
  const el = def.raw.iothreadids?.[0];
  if (!el) return;
  const seen = new Set<number>();
  for (const t of el.children) {
    if (t.kind !== 'element' || t.local !== 'iothread') continue;
    const idStr = attr(t, 'id');
    if (idStr === undefined) throw xmlErr("Missing required attribute 'id' in element 'iothread'");
    const id = /^\d+$/.test(idStr) ? Number(idStr) : Number.NaN;
    if (!(id > 0)) throw xmlErr(`Invalid value for attribute 'id' in element 'iothread': '${idStr}'. Expected non-negative value`);
    if (seen.has(id)) throw xmlErr(`Duplicate iothread id '${id}' found`);
    seen.add(id);
    const min = attr(t, 'thread_pool_min');
    const max = attr(t, 'thread_pool_max');
    if (min !== undefined && max !== undefined && Number(min) > Number(max)) {
      throw xmlErr(`thread_pool_min (${min}) must be smaller or equal to thread_pool_max (${max})`);
    }
  }
  if ((def.iothreads ?? 0) < seen.size) def.iothreads = seen.size;
}
