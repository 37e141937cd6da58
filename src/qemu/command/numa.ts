// Guest NUMA: per-cell memory backends and -numa node/dist/hmat-lb/hmat-cache (qemuBuildNumaCommandLine).
import { numatuneOf } from '../../conf/domain/memory.js';
import {
  cellCaches, formatBitmap, numaCells, numaDistance, numaDistancesSet, numaHasHMAT, numaInterconnects, numaNodeInitiator, parseBitmap,
} from '../../conf/domain/numa.js';
import { configUnsupported, ErrorDomain } from '../../util/errors.js';
import { getMachine } from '../caps/cache.js';
import { addObject, type BackendResult, checkNodesetAvailable, memoryBackendProps, threadContextProps } from './memory.js';
import { add, type BuildCtx } from './util.js';

const HIERARCHY = ['memory', 'first-level', 'second-level', 'third-level'];
const ASSOC: Record<string, string> = { none: 'none', direct: 'direct', full: 'complex' };
const CACHE_POLICY: Record<string, string> = { none: 'none', writeback: 'write-back', writethrough: 'write-through' };

export function buildNuma(ctx: BuildCtx): void {
  const def = ctx.def;
  const cells = numaCells(def);
  if (!cells.length) return;
  // virDomainNumatuneNodesetIsAvailable
  const nt = numatuneOf(def);
  if (nt.memory?.nodes) checkNodesetAvailable(ctx, nt.memory.nodes);
  for (const m of nt.memnodes.values()) checkNodesetAvailable(ctx, m.nodes);
  const m = getMachine(ctx.caps, def.type === 'kvm' ? 'kvm' : 'tcg', def.os.machine ?? '');
  let needBackend = !m?.numaMemSupported;
  const hmat = numaHasHMAT(def);
  if (hmat) needBackend = true;
  const backends: BackendResult[] = cells.map((c, i) => {
    const b = memoryBackendProps(ctx, `ram-node${i}`, { size: c.memory, targetNode: i, alias: `ram-node${i}` }, false, false);
    if (!b.notNeeded) needBackend = true;
    return b;
  });
  let master = -1;
  if (hmat) {
    for (let i = 0; i < cells.length && master < 0; i++) master = numaNodeInitiator(def, i);
    if (master < 0) throw configUnsupported('At least one NUMA node has to have CPUs', ErrorDomain.QEMU);
  }
  cells.forEach((c, i) => {
    if (needBackend) {
      const tc = threadContextProps(ctx, backends[i]);
      if (tc) addObject(ctx, tc);
      addObject(ctx, backends[i].props);
    }
    let s = `node,nodeid=${i}`;
    if (c.cpus) {
      const f = formatBitmap(parseBitmap(c.cpus));
      if (f) for (const r of f.split(',')) s += `,cpus=${r}`;
    }
    if (hmat) {
      let ini = numaNodeInitiator(def, i);
      if (ini < 0) ini = master;
      s += `,initiator=${ini}`;
    }
    s += needBackend ? `,memdev=ram-node${i}` : `,mem=${Math.floor(c.memory / 1024)}`;
    add(ctx, '-numa', s);
  });
  if (numaDistancesSet(def)) {
    for (let i = 0; i < cells.length; i++) {
      for (let j = 0; j < cells.length; j++) add(ctx, '-numa', `dist,src=${i},dst=${j},val=${numaDistance(def, i, j)}`);
    }
  }
  if (hmat) {
    for (const l of numaInterconnects(def)) {
      let s = `hmat-lb,initiator=${l.initiator},target=${l.target},hierarchy=${HIERARCHY[l.cache] ?? 'memory'},data-type=${l.type}-${l.kind}`;
      s += l.kind === 'latency' ? `,latency=${l.value}` : `,bandwidth=${l.value}K`;
      add(ctx, '-numa', s);
    }
    cells.forEach((c, i) => {
      for (const cache of cellCaches(c)) {
        add(
          ctx,
          '-numa',
          `hmat-cache,node-id=${i},size=${cache.size}K,level=${cache.level},associativity=${ASSOC[cache.associativity] ?? cache.associativity},policy=${CACHE_POLICY[cache.policy] ?? cache.policy},line=${cache.line}`,
        );
      }
    });
  }
}
