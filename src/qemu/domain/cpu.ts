// Guest CPU at start (qemuProcessUpdateGuestCPU): a host-model CPU becomes the host CPU model QEMU
// reported (the migratable expansion decoded through libvirt's cpu_map) plus the domain's own
// feature overrides.
import type { DomainDef } from '../../conf/domain/types.js';
import { configUnsupported, ErrorDomain } from '../../util/errors.js';
import { attr } from '../../util/xml.js';
import { accelFor, getMachine } from '../caps/cache.js';
import { decodeHostCpu, loadCpuMapX86 } from '../caps/cpumap.js';
import type { QemuCaps } from '../caps/types.js';

export function updateGuestCpu(def: DomainDef, caps: QemuCaps, cpuMapDir?: string): void {
  const cpu = def.cpu;
  if ((cpu?.mode ?? 'custom') === 'custom' && cpu?.model) {
    disableRemovedFeatures(def, cpuMapDir);
    return;
  }
  if (cpu?.mode !== 'host-model') return;
  if (def.os.arch !== 'x86_64' && def.os.arch !== 'i686') return;
  const map = loadCpuMapX86(cpuMapDir);
  let accel: ReturnType<typeof accelFor>;
  try {
    accel = accelFor(def.type);
  } catch {
    return;
  }
  const data = caps.accel[accel];
  if (!map || !data?.hostCpu) return;
  const decoded = decodeHostCpu(map, data.hostCpu, data.cpuModels, true);
  if (!decoded) return;
  const own = cpu.features;
  const features = decoded.features.map((f) => ({ name: f.name, policy: f.policy as string }));
  for (const f of own) {
    const i = features.findIndex((x) => x.name === f.name);
    if (i >= 0) features[i] = { name: f.name, policy: f.policy ?? 'require' };
    else features.push({ name: f.name, policy: f.policy ?? 'require' });
  }
  cpu.mode = 'custom';
  cpu.match = 'exact';
  cpu.check ??= 'partial';
  cpu.model = decoded.model;
  if (decoded.vendor) cpu.vendor = decoded.vendor;
  cpu.features = features;
}

/**
 * Features libvirt's cpu_map marks removed='yes' in a model are still part of QEMU's model of the same
 * name; a custom CPU disables them explicitly unless the definition mentions them.
 */
function disableRemovedFeatures(def: DomainDef, cpuMapDir?: string): void {
  const cpu = def.cpu;
  if (!cpu?.model || (def.os.arch !== 'x86_64' && def.os.arch !== 'i686')) return;
  const model = loadCpuMapX86(cpuMapDir)?.models.find((m) => m.name === cpu.model);
  for (const name of model?.removed ?? []) {
    if (!cpu.features.some((f) => f.name === name)) cpu.features.push({ name, policy: 'disable' });
  }
}

const cpuUnsupported = (m: string) => configUnsupported(m, ErrorDomain.QEMU);

/** qemuValidateDomainDefCpu and the machine's vCPU limit (qemuValidateDomainDef). */
export function validateCpu(def: DomainDef, caps: QemuCaps): void {
  let accel: ReturnType<typeof accelFor> | undefined;
  try {
    accel = accelFor(def.type);
  } catch {
    accel = undefined;
  }
  const m = accel && def.os.machine ? getMachine(caps, accel, def.os.machine) : undefined;
  if (m?.maxCpus && def.vcpu.max > m.maxCpus) {
    throw cpuUnsupported(`Maximum CPUs greater than specified machine type limit ${m.maxCpus}`);
  }
  const cpu = def.cpu;
  if (!cpu || ((cpu.mode ?? 'custom') === 'custom' && !cpu.model)) return;
  if (cpu.mode === 'host-passthrough' && cpu.migratable && cpu.migratable !== 'off' && !caps.flags.has('cpu.migratable')) {
    throw cpuUnsupported('Migratable attribute for host-passthrough CPU is not supported by QEMU binary');
  }
  if (cpu.mode === 'maximum' && !caps.flags.has('cpu-max')) throw cpuUnsupported('maximum CPU is not supported by QEMU binary');
  const cache = cpu.cache;
  if (cache) {
    if (def.os.arch !== 'x86_64' && def.os.arch !== 'i686') {
      throw cpuUnsupported(`CPU cache specification is not supported for '${def.os.arch}' architecture`);
    }
    const mode = attr(cache, 'mode');
    const level = attr(cache, 'level');
    if (mode === 'emulate' && level !== '3') throw cpuUnsupported(`CPU cache mode '${mode}' can only be used with level='3'`);
    if (mode === 'passthrough' && cpu.mode !== 'host-passthrough' && cpu.mode !== 'maximum') {
      throw cpuUnsupported(`CPU cache mode '${mode}' can only be used with 'host-passthrough' / 'maximum' CPUs`);
    }
    if ((mode === 'passthrough' || mode === 'disable') && level !== undefined) {
      throw cpuUnsupported(`unsupported CPU cache level for mode '${mode}'`);
    }
  }
}
