// Machine-type predicates (qemuDomainIsQ35, qemuDomainIsI440FX, …).
import type { DomainDef } from '../../conf/domain/types.js';

export function isQ35(def: DomainDef): boolean {
  const m = def.os.machine ?? '';
  return m === 'q35' || m.startsWith('pc-q35');
}

export function isI440fx(def: DomainDef): boolean {
  const m = def.os.machine ?? '';
  return m === 'pc' || m.startsWith('pc-i440fx') || m.startsWith('pc-0.') || m.startsWith('pc-1.') || m === 'rhel' || m.startsWith('pc-') && !isQ35(def) && !m.startsWith('pc-q35');
}

export function isX86(def: DomainDef): boolean {
  return def.os.arch === 'x86_64' || def.os.arch === 'i686';
}

/** The machine's PCI root bus alias: pci.0 (i440fx) or pcie.0 (q35). */
export function rootBusAlias(def: DomainDef): string {
  return isQ35(def) ? 'pcie.0' : 'pci.0';
}
