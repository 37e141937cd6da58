// -cpu (qemuBuildCpuCommandLine): model and features, then paravirt timers, APIC EOI, PV spinlocks,
// Hyper-V enlightenments (libvirt's enum order), hv-crash, KVM features, PMU and cache settings.

import { featureState } from '../../conf/domain/types.js';
import { attr, child, type XmlElement } from '../../util/xml.js';
import { cpuFeatureToQemu } from '../caps/flags.js';
import { add, type BuildCtx, hasCap } from './util.js';

/** virDomainHyperv order with QEMU's property names. */
const HYPERV: ReadonlyArray<readonly [string, string]> = [
  ['relaxed', 'hv-relaxed'],
  ['vapic', 'hv-vapic'],
  ['spinlocks', 'hv-spinlocks'],
  ['vpindex', 'hv-vpindex'],
  ['runtime', 'hv-runtime'],
  ['synic', 'hv-synic'],
  ['stimer', 'hv-stimer'],
  ['reset', 'hv-reset'],
  ['vendor_id', 'hv-vendor-id'],
  ['frequencies', 'hv-frequencies'],
  ['reenlightenment', 'hv-reenlightenment'],
  ['tlbflush', 'hv-tlbflush'],
  ['ipi', 'hv-ipi'],
  ['evmcs', 'hv-evmcs'],
  ['avic', 'hv-avic'],
];

function stateOn(e: XmlElement | undefined): boolean {
  return attr(e, 'state') === 'on';
}

function featureBody(ctx: BuildCtx, name: string): XmlElement[] | undefined {
  return ctx.def.features.find((f) => f.name === name)?.body;
}

/** qemuBuildCpuModelArgStr */
function modelArgs(ctx: BuildCtx, parts: string[]): void {
  const cpu = ctx.def.cpu;
  if (cpu?.mode === 'host-passthrough' || cpu?.mode === 'maximum') {
    parts.push(cpu.mode === 'host-passthrough' ? 'host' : 'max');
    if (cpu.migratable && hasCap(ctx, 'cpu.migratable')) parts.push(`migratable=${cpu.migratable}`);
  } else parts.push(cpu?.model ?? 'qemu64');
  if (cpu?.vendorId) parts.push(`vendor=${cpu.vendorId}`);
  for (const f of cpu?.features ?? []) {
    const name = cpuFeatureToQemu(f.name);
    if (f.policy === 'disable' || f.policy === 'forbid') parts.push(`${name}=off`);
    else if (f.policy === 'require' || f.policy === 'force' || f.policy === undefined) parts.push(`${name}=on`);
  }
  const addr = cpu?.maxphysaddr;
  if (addr) {
    const mode = attr(addr, 'mode');
    if (mode === 'passthrough') {
      parts.push('host-phys-bits=on');
      const limit = Number(attr(addr, 'limit') ?? 0);
      if (limit > 0) parts.push(`host-phys-bits-limit=${limit}`);
    } else if (mode === 'emulate') {
      const bits = Number(attr(addr, 'bits') ?? 0);
      if (bits > 0) parts.push(`phys-bits=${bits}`);
    }
  }
}

export function buildCpu(ctx: BuildCtx): void {
  const def = ctx.def;
  const parts: string[] = [];
  modelArgs(ctx, parts);
  for (const t of def.clock.timers) {
    if (t.name === 'kvmclock' && t.present) parts.push(`kvmclock=${t.present === 'yes' ? 'on' : 'off'}`);
    else if (t.name === 'hypervclock' && t.present === 'yes') parts.push('hv-time=on');
    else if (t.name === 'tsc' && t.frequency) parts.push(`tsc-frequency=${t.frequency}`);
  }
  const apicEoi = def.features.find((f) => f.name === 'apic')?.attrs.find(([k]) => k === 'eoi')?.[1];
  if (apicEoi) parts.push(`kvm-pv-eoi=${apicEoi}`);
  const pvs = featureState(def, 'pvspinlock');
  if (pvs) parts.push(`kvm-pv-unhalt=${pvs}`);
  const hv = def.features.find((f) => f.name === 'hyperv');
  if (hv) {
    const mode = hv.attrs.find(([k]) => k === 'mode')?.[1];
    if (mode === 'passthrough') parts.push('hv-passthrough=on');
    for (const [name, prop] of HYPERV) {
      const b = hv.body.find((e) => e.local === name);
      if (!b || !stateOn(b)) continue;
      if (name === 'spinlocks') parts.push(`${prop}=0x${Number(attr(b, 'retries') ?? 0).toString(16)}`);
      else if (name === 'vendor_id') parts.push(`${prop}=${attr(b, 'value') ?? ''}`);
      else {
        parts.push(`${prop}=on`);
        if (name === 'stimer' && stateOn(child(b, 'direct'))) parts.push('hv-stimer-direct=on');
      }
    }
  }
  for (const p of def.devices.panics) {
    if (p.attrs.find(([k]) => k === 'model')?.[1] === 'hyperv') parts.push('hv-crash');
  }
  const kvm = featureBody(ctx, 'kvm');
  if (kvm) {
    const st = (n: string) => attr(kvm.find((e) => e.local === n), 'state');
    if (st('hidden') === 'on') parts.push('kvm=off');
    if (st('hint-dedicated') === 'on') parts.push('kvm-hint-dedicated=on');
    if (st('poll-control') === 'on') parts.push('kvm-poll-control=on');
    if (st('pv-ipi') === 'off') parts.push('kvm-pv-ipi=off');
  }
  const pmu = featureState(def, 'pmu');
  if (pmu) parts.push(`pmu=${pmu}`);
  const cache = def.cpu?.cache;
  if (cache) {
    let hostOff = false;
    let l3Off = false;
    switch (attr(cache, 'mode')) {
      case 'emulate':
        parts.push('l3-cache=on');
        hostOff = true;
        break;
      case 'passthrough':
        parts.push('host-cache-info=on');
        l3Off = true;
        break;
      case 'disable':
        hostOff = true;
        l3Off = true;
        break;
    }
    const hostLike = def.cpu?.mode === 'host-passthrough' || def.cpu?.mode === 'maximum';
    if (hostOff && hostLike && hasCap(ctx, 'cpu-cache')) parts.push('host-cache-info=off');
    if (l3Off && hasCap(ctx, 'cpu-cache')) parts.push('l3-cache=off');
  }
  add(ctx, '-cpu', parts.join(','));
}
