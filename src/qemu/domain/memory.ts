// Memory parts of the QEMU domain preparation: memory device aliases (qemuAssignDeviceMemoryAlias),
// DIMM slots (qemuDomainAssignMemorySlots), size alignment at start (qemuDomainAlignMemorySizes) and
// the memory hotplug validation (qemuDomainDefValidateMemoryHotplug).
import type { MemoryDef } from '../../conf/domain/devices/memory.js';
import { hasMemoryHotplug, hotplugMemory } from '../../conf/domain/memory.js';
import { formatBitmap, numaCells, parseBitmap } from '../../conf/domain/numa.js';
import type { DomainDef } from '../../conf/domain/types.js';
import { configUnsupported, ErrorCode, ErrorDomain, virError } from '../../util/errors.js';

const MEM_PREFIX: Record<MemoryDef['model'], string> = {
  dimm: 'dimm',
  nvdimm: 'nvdimm',
  'virtio-pmem': 'virtiopmem',
  'virtio-mem': 'virtiomem',
  'sgx-epc': 'epc',
};

/** Models plugged into DIMM slots (the others sit on PCI or have no address). */
export function usesDimmSlot(m: MemoryDef): boolean {
  return m.model === 'dimm' || m.model === 'nvdimm';
}

function aliasIndex(alias: string | undefined, prefix: string): number {
  if (!alias?.startsWith(prefix)) return -1;
  const rest = alias.slice(prefix.length);
  return /^\d+$/.test(rest) ? Number(rest) : -1;
}

/** qemuAssignDeviceMemoryAlias: DIMM-slot models take their slot number, the rest the next free index. */
export function assignMemoryAlias(def: DomainDef, m: MemoryDef): void {
  if (m.info.alias) return;
  const prefix = MEM_PREFIX[m.model];
  let idx = 0;
  if (usesDimmSlot(m)) {
    idx = m.info.address?.type === 'dimm' ? (m.info.address.slot ?? 0) : 0;
  } else {
    for (const o of def.devices.memories) {
      const i = aliasIndex(o.info.alias, prefix);
      if (i >= idx) idx = i + 1;
    }
  }
  m.info.alias = `${prefix}${idx}`;
}

/** qemuDomainAssignMemorySlots: DIMM-slot devices without an address take the lowest free slot. */
export function assignMemorySlots(def: DomainDef): void {
  if (!hasMemoryHotplug(def)) return;
  const slots = def.maxMemory?.slots ?? 0;
  const used = new Set<number>();
  for (const m of def.devices.memories) {
    const a = m.info.address;
    if (usesDimmSlot(m) && a?.type === 'dimm' && a.slot !== undefined) used.add(a.slot);
  }
  for (const m of def.devices.memories) {
    if (!usesDimmSlot(m) || m.info.address?.type === 'dimm') continue;
    let s = 0;
    while (used.has(s) && s < slots) s++;
    if (s >= slots) throw virError(ErrorCode.INTERNAL_ERROR, ErrorDomain.QEMU, 'Unable to find a free memory slot');
    used.add(s);
    m.info.address = { type: 'dimm', slot: s };
  }
}

const roundUp = (v: number, a: number) => Math.ceil(v / a) * a;

/**
 * qemuDomainAlignMemorySizes: NUMA cells and the initial memory round up to 1 MiB, memory modules to
 * 2 MiB (x86); the total becomes initial plus modules.
 */
export function alignMemorySizes(def: DomainDef): void {
  const align = 1024;
  const cells = numaCells(def);
  let initial = 0;
  for (const c of cells) {
    c.memory = roundUp(c.memory, align);
    initial += c.memory;
  }
  if (initial === 0) initial = roundUp(def.memory - hotplugMemory(def), align);
  if (def.maxMemory) def.maxMemory.size = roundUp(def.maxMemory.size, align);
  for (const m of def.devices.memories) m.size = roundUp(m.size, 2048);
  def.memory = initial + hotplugMemory(def);
  if (def.currentMemory > def.memory) def.currentMemory = def.memory;
}

const unsupported = (m: string) => configUnsupported(m, ErrorDomain.QEMU);

/** qemuDomainDefValidateMemoryHotplug (the define-time part). */
export function validateMemoryHotplug(def: DomainDef): void {
  const mems = def.devices.memories;
  if (!hasMemoryHotplug(def)) {
    if (mems.some((m) => m.model !== 'sgx-epc')) {
      throw unsupported("cannot use/hotplug a memory device when domain 'maxMemory' is not defined");
    }
    return;
  }
  if (numaCells(def).length === 0) throw unsupported('At least one numa node has to be configured when enabling memory hotplug');
  const slots = def.maxMemory?.slots ?? 0;
  const dimms = mems.filter(usesDimmSlot).length;
  if (dimms > slots) {
    throw unsupported(`memory device count '${dimms}' exceeds slots count '${slots}'`);
  }
  const ncells = numaCells(def).length;
  let hotplug = 0;
  mems.forEach((m, i) => {
    hotplug += m.size;
    if (m.model === 'sgx-epc') return;
    const a = m.info.address;
    if (usesDimmSlot(m)) {
      if (a && a.type !== 'dimm') throw unsupported(`only 'dimm' addresses are supported for the ${m.model === 'dimm' ? 'pc-dimm' : 'nvdimm'} device`);
    } else if (a && a.type !== 'pci') {
      throw unsupported(`only 'pci' addresses are supported for the ${m.model === 'virtio-mem' ? 'virtio-mem-pci' : 'virtio-pmem-pci'} device`);
    }
    if (ncells && m.targetNode < 0 && m.model !== 'virtio-pmem') throw unsupported('target NUMA node needs to be specified for memory device');
    if (a?.type === 'dimm') {
      const slot = a.slot ?? 0;
      if (slot >= slots) throw unsupported(`memory device slot '${slot}' exceeds slots count '${slots}'`);
      for (let j = i + 1; j < mems.length; j++) {
        const b = mems[j].info.address;
        if (b?.type !== 'dimm') continue;
        if ((b.slot ?? 0) === slot) throw unsupported(`memory device slot '${slot}' is already being used by another memory device`);
        if (a.base && b.base && a.base === b.base) {
          throw unsupported(`memory device base '0x${a.base.toString(16)}' is already being used by another memory device`);
        }
      }
    }
  });
  const space = (def.maxMemory?.size ?? 0) - (def.memory - hotplugMemory(def));
  if (hotplug > space) throw unsupported('memory device total size exceeds hotplug space');
}

/**
 * qemuDomainDefNumaCPUsRectify: vCPUs no NUMA cell claims go to cell 0 (QEMU would otherwise put them
 * there implicitly).
 */
export function rectifyNumaCpus(def: DomainDef): void {
  const cells = numaCells(def);
  if (!cells.length) return;
  const max = def.vcpu.max;
  const claimed = cells.map((c) => (c.cpus ? parseBitmap(c.cpus) : []));
  const total = claimed.reduce((s, m) => s + m.length, 0);
  if (total >= max) return;
  const others = new Set(claimed.slice(1).flat());
  const node0: number[] = [];
  for (let i = 0; i < max; i++) if (!others.has(i)) node0.push(i);
  cells[0].cpus = formatBitmap(node0);
}
