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
