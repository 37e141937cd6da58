// IOThread objects (qemuBuildIOThreadCommandLine): one iothread object per <iothreadids> entry (or
// ids 1..N for a bare <iothreads>N</iothreads>), then the main loop's thread pool from <defaultiothread>.
import type { DomainDef } from '../../conf/domain/types.js';
import { attr, children } from '../../util/xml.js';
import { add, type BuildCtx, type JsonProps, json } from './util.js';

export interface IOThreadDef {
  id: number;
  poolMin?: number;
  poolMax?: number;
}

function num(v: string | undefined): number | undefined {
  return v === undefined ? undefined : Number(v);
}

/** virDomainIOThreadIDDefArrayInit: the explicit ids, then the lowest unused ids up to the count. */
export function iothreadIds(def: DomainDef): IOThreadDef[] {
  const out: IOThreadDef[] = [];
  const el = def.raw.iothreadids?.[0];
  for (const t of el ? children(el, 'iothread') : []) {
    out.push({ id: Number(attr(t, 'id')), poolMin: num(attr(t, 'thread_pool_min')), poolMax: num(attr(t, 'thread_pool_max')) });
  }
  const count = def.iothreads ?? 0;
  let next = 1;
  while (out.length < count) {
    while (out.some((t) => t.id === next)) next++;
    out.push({ id: next++ });
  }
  return out;
}

export function buildIOThreads(ctx: BuildCtx): void {
  for (const t of iothreadIds(ctx.def)) {
    const props: JsonProps = { 'qom-type': 'iothread', id: `iothread${t.id}`, 'thread-pool-min': t.poolMin, 'thread-pool-max': t.poolMax };
    add(ctx, '-object', json(props));
  }
  const main = ctx.def.raw.defaultiothread?.[0];
  if (main) {
    const props: JsonProps = {
      'qom-type': 'main-loop',
      id: 'main-loop',
      'thread-pool-min': num(attr(main, 'thread_pool_min')),
      'thread-pool-max': num(attr(main, 'thread_pool_max')),
    };
    add(ctx, '-object', json(props));
  }
}
