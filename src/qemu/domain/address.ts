// PCI address assignment (qemu_domain_address.c). Every device gets connect flags (conventional PCI
// or PCIe endpoint, hotpluggable, integrated; PCI controllers by model) and every PCI controller a
// bus with the connections it accepts. A dry run over the devices in libvirt's class order finds how
// many buses must be added (q35: a pcie-root-port per PCIe endpoint, a pcie-root-port plus a
// pcie-to-pci-bridge for conventional PCI devices, then pci-bridges; one spare root port when any
// were added); the controllers are added to the definition and the real pass assigns the addresses:
// PCI controllers first (root ports aggregate as functions of one slot), then devices. Function 0
// of a slot with other functions in use becomes multifunction, and root/downstream ports get their
// default chassis/port numbers.
import type { DeviceAddress, DeviceInfo, PciAddress } from '../../conf/domain/common.js';
import { type ControllerDef, insertController } from '../../conf/domain/devices/controller.js';
import { fsView } from '../../conf/domain/devices/filesystem.js';
import type { GenericDevice } from '../../conf/domain/devices/generic.js';
import type { DomainDef } from '../../conf/domain/types.js';
import { ErrorCode, ErrorDomain, virError } from '../../util/errors.js';
import type { QemuCaps } from '../caps/types.js';
import { isI440fx, isQ35, isX86 } from './machine.js';

/** What plugs into a bus (VIR_PCI_CONNECT_TYPE_*). */
type Conn =
  | 'pci' | 'pcie' | 'pci-bridge' | 'dmi-to-pci-bridge' | 'pcie-to-pci-bridge' | 'root-port' | 'upstream' | 'downstream'
  | 'pci-expander' | 'pcie-expander';

interface Flags {
  conn: Conn;
  hotplug: boolean;
  /** Must sit on the root bus (virtio-iommu). */
  integrated?: boolean;
  /** Several devices share one slot as its functions (pcie-root-port). */
  aggregate?: boolean;
  /** PCI controllers plug only into buses with a lower index than their own. */
  belowBus?: number;
}

interface Bus {
  index: number;
  model: string;
  accepts: ReadonlySet<Conn>;
  hotplug: boolean;
  minSlot: number;
  maxSlot: number;
  used: Map<number, Set<number>>;
  aggregate: Set<number>;
}

const BUS_MODELS: Record<string, { accepts: Conn[]; hotplug: boolean; minSlot: number; maxSlot: number }> = {
  'pci-root': { accepts: ['pci', 'pci-bridge', 'pci-expander'], hotplug: true, minSlot: 1, maxSlot: 31 },
  'pci-bridge': { accepts: ['pci', 'pci-bridge'], hotplug: true, minSlot: 1, maxSlot: 31 },
  'pci-expander-bus': { accepts: ['pci', 'pci-bridge'], hotplug: true, minSlot: 0, maxSlot: 31 },
  'pcie-root': { accepts: ['pcie', 'root-port', 'dmi-to-pci-bridge', 'pcie-expander'], hotplug: false, minSlot: 1, maxSlot: 31 },
  'dmi-to-pci-bridge': { accepts: ['pci', 'pci-bridge'], hotplug: false, minSlot: 0, maxSlot: 31 },
  'pcie-to-pci-bridge': { accepts: ['pci', 'pci-bridge'], hotplug: true, minSlot: 1, maxSlot: 31 },
  'pcie-root-port': { accepts: ['pcie', 'upstream', 'pcie-to-pci-bridge'], hotplug: true, minSlot: 0, maxSlot: 0 },
  'pcie-switch-downstream-port': { accepts: ['pcie', 'upstream', 'pcie-to-pci-bridge'], hotplug: true, minSlot: 0, maxSlot: 0 },
  'pcie-switch-upstream-port': { accepts: ['downstream'], hotplug: false, minSlot: 0, maxSlot: 31 },
  'pcie-expander-bus': { accepts: ['root-port', 'dmi-to-pci-bridge'], hotplug: false, minSlot: 0, maxSlot: 31 },
};

const CONTROLLER_CONN: Record<string, Flags> = {
  'pci-bridge': { conn: 'pci-bridge', hotplug: false },
  'pci-expander-bus': { conn: 'pci-expander', hotplug: false },
  'pcie-expander-bus': { conn: 'pcie-expander', hotplug: false },
  'dmi-to-pci-bridge': { conn: 'dmi-to-pci-bridge', hotplug: false },
  'pcie-root-port': { conn: 'root-port', hotplug: false, aggregate: true },
  'pcie-switch-upstream-port': { conn: 'upstream', hotplug: false },
  'pcie-switch-downstream-port': { conn: 'downstream', hotplug: false },
  'pcie-to-pci-bridge': { conn: 'pcie-to-pci-bridge', hotplug: false },
};

/** The PCI controller model that plugs in with a connect type. */
const CONN_MODEL: Partial<Record<Conn, string>> = {
  'root-port': 'pcie-root-port',
  upstream: 'pcie-switch-upstream-port',
  downstream: 'pcie-switch-downstream-port',
  'pci-bridge': 'pci-bridge',
  'dmi-to-pci-bridge': 'dmi-to-pci-bridge',
  'pcie-to-pci-bridge': 'pcie-to-pci-bridge',
  'pci-expander': 'pci-expander-bus',
  'pcie-expander': 'pcie-expander-bus',
};

function pci(bus: number, slot: number, fn = 0): PciAddress {
  return { type: 'pci', domain: 0, bus, slot, function: fn };
}

function isPci(a: DeviceAddress | undefined): a is PciAddress {
  return a?.type === 'pci';
}

const xmlError = (m: string) => virError(ErrorCode.XML_ERROR, ErrorDomain.DOMAIN, m);
const internalError = (m: string) => virError(ErrorCode.INTERNAL_ERROR, ErrorDomain.QEMU, m);

function addrString(a: PciAddress): string {
  const h = (n: number, w: number) => n.toString(16).padStart(w, '0');
  return `${h(a.domain, 4)}:${h(a.bus, 2)}:${h(a.slot, 2)}.${a.function}`;
}

class AddressSet {
  buses: Bus[] = [];
  /** Buses appended by a dry run (models of the controllers to add). */
  added: string[] = [];
  constructor(
    def: DomainDef,
    readonly dryRun: boolean,
    readonly pcieToPciBridge: boolean,
  ) {
    for (const c of def.devices.controllers) if (c.type === 'pci') this.setBus(c.index, c.model ?? 'pci-root');
    // indexes between the root and the highest PCI controller without a controller of their own
    // become default buses (pci-bridge under pci-root, pcie-root-port under pcie-root) to be added
    const dflt = this.buses[0]?.model === 'pcie-root' ? 'pcie-root-port' : 'pci-bridge';
    for (let i = 1; i < this.buses.length; i++) {
      if (this.buses[i]) continue;
      this.setBus(i, dflt);
      this.missing.push(i);
    }
  }
  /** Indexes without a controller in the definition (filled with default buses). */
  missing: number[] = [];
  setBus(index: number, model: string): Bus {
    const m = BUS_MODELS[model] ?? { accepts: [], hotplug: false, minSlot: 0, maxSlot: -1 };
    const b: Bus = { index, model, accepts: new Set(m.accepts), hotplug: m.hotplug, minSlot: m.minSlot, maxSlot: m.maxSlot, used: new Map(), aggregate: new Set() };
    this.buses[index] = b;
    return b;
  }
  isUsed(a: PciAddress): boolean {
    return this.buses[a.bus]?.used.get(a.slot)?.has(a.function) ?? false;
  }
  slotUsed(bus: number, slot: number): boolean {
    return (this.buses[bus]?.used.get(slot)?.size ?? 0) > 0;
  }
  reserve(a: PciAddress, f?: Flags): void {
    const b = this.buses[a.bus];
    if (!b) return;
    let s = b.used.get(a.slot);
    if (!s) b.used.set(a.slot, (s = new Set()));
    s.add(a.function);
    if (f?.aggregate && a.function === 0) b.aggregate.add(a.slot);
  }
  compatible(b: Bus | undefined, f: Flags): boolean {
    if (!b || !b.accepts.has(f.conn)) return false;
    if (f.hotplug && !b.hotplug) return false;
    if (f.integrated && b.index !== 0) return false;
    return true;
  }
  /** virDomainPCIAddressGetNextAddr: first compatible bus from bus 0, first free slot (or function of an aggregate slot). */
  next(f: Flags): PciAddress | undefined {
    for (const b of this.buses) {
      if (!this.compatible(b, f)) continue;
      if (f.belowBus !== undefined && b.index >= f.belowBus) continue;
      for (let s = b.minSlot; s <= b.maxSlot; s++) {
        const used = b.used.get(s);
        if (!used || used.size === 0) return pci(b.index, s);
        if (f.aggregate && b.aggregate.has(s)) {
          for (let fn = 0; fn < 8; fn++) if (!used.has(fn)) return pci(b.index, s, fn);
        }
      }
    }
    return undefined;
  }
  /** virDomainPCIAddressSetGrow (dry run only): append buses able to take a device with these flags. */
  grow(f: Flags): PciAddress {
    let models: string[];
    if (f.conn === 'pci' || f.conn === 'pci-bridge') {
      const hasBridgeBus = this.buses.some((b) => b?.accepts.has('pci-bridge'));
      if (hasBridgeBus) models = ['pci-bridge'];
      else if (this.pcieToPciBridge) models = ['pcie-root-port', 'pcie-to-pci-bridge'];
      else models = ['dmi-to-pci-bridge', 'pci-bridge'];
    } else if (f.conn === 'pcie' && this.buses[0]?.model === 'pcie-root') {
      models = ['pcie-root-port'];
    } else if (CONN_MODEL[f.conn]) {
      throw internalError(
        `a PCI slot is needed to connect a PCI controller model='${CONN_MODEL[f.conn]}', but none is available, and it cannot be automatically added`,
      );
    } else {
      throw internalError(`Cannot automatically add a new PCI bus for a device with connect flags ${f.conn}`);
    }
    let last: Bus | undefined;
    for (const m of models) {
      last = this.setBus(this.buses.length, m);
      this.added.push(m);
    }
    const b = last as Bus;
    return pci(b.index, b.minSlot);
  }
  /** Reserves the next free address for a device; grows the set in a dry run. */
  reserveNext(f: Flags): PciAddress {
    let a = this.next(f);
    if (!a) {
      if (!this.dryRun) {
        const model = CONN_MODEL[f.conn];
        if (!model) throw internalError('No more available PCI slots');
        throw internalError(`a PCI slot is needed to connect a PCI controller model='${model}', but none is available, and it cannot be automatically added`);
      }
      a = this.grow(f);
    }
    this.reserve(a, f);
    return a;
  }
}

/** A device that wants a PCI address, with its connect flags. */
interface Want {
  info: DeviceInfo;
  flags: Flags;
  /** USB2 EHCI/UHCI companion controller: all of one index share a slot. */
  usb2?: ControllerDef;
}

const USB2_FUNCTION: Record<string, number> = { 'ich9-ehci1': 7, 'ich9-uhci1': 0, 'ich9-uhci2': 1, 'ich9-uhci3': 2 };

/** Connect flags of virtio devices by model: transitional ones are conventional PCI. */
function virtioFlags(model: string | undefined, pciF: Flags, pcieF: Flags): Flags {
  if (model?.endsWith('-non-transitional')) return pcieF;
  if (model?.endsWith('-transitional')) return pciF;
  return pcieF;
}

function gattr(d: GenericDevice, name: string): string | undefined {
  return d.attrs.find(([k]) => k === name)?.[1] ?? d.addAttrs?.find(([k]) => k === name)?.[1];
}

/** Devices in libvirt's assignment order (qemuDomainAssignDevicePCISlots) with their connect flags. */
function wanted(def: DomainDef, q35: boolean): Want[] {
  const d = def.devices;
  const out: Want[] = [];
  const pciF: Flags = { conn: 'pci', hotplug: true };
  const pcieF: Flags = q35 ? { conn: 'pcie', hotplug: true } : pciF;
  const vio = (model: string | undefined) => virtioFlags(model, pciF, pcieF);
  const push = (info: DeviceInfo, flags: Flags) => {
    if (!info.address || info.address.type === 'pci') out.push({ info, flags });
  };
  // PCI controllers (non-root) first, in index order
  for (const c of [...d.controllers].filter((x) => x.type === 'pci').sort((a, b) => a.index - b.index)) {
    const f = CONTROLLER_CONN[c.model ?? ''];
    if (f) push(c.info, { ...f, belowBus: c.index });
  }
  for (const f of d.filesystems) {
    const v = fsView(f);
    if (v.driver === 'mtp') continue;
    push(f.info, v.driver === 'virtiofs' ? pcieF : vio(v.model));
  }
  for (const n of d.nets) {
    if (n.type === 'hostdev') continue;
    if (n.model === 'usb-net' || n.model === 'spapr-vlan') continue;
    const m = n.model ?? '';
    if (m.startsWith('virtio')) push(n.info, vio(m));
    else if (m === 'e1000e') push(n.info, pcieF);
    else push(n.info, pciF);
  }
  for (const s of d.sounds) {
    const m = s.model;
    if (['ich6', 'ich9', 'ac97', 'es1370', 'ich7'].includes(m)) push(s.info, m !== 'ac97' && m !== 'es1370' ? pcieF : pciF);
  }
  for (const c of d.controllers) {
    if (c.type === 'pci') continue;
    if (c.type === 'ide' && c.index === 0 && !q35) continue; // PIIX3
    if (c.type === 'sata' && c.index === 0 && q35) continue; // ICH9
    if (c.type === 'usb' && (c.model === 'none' || (c.index === 0 && c.model === 'piix3-uhci' && !q35))) continue;
    if (c.type === 'fdc' || c.type === 'ccid' || c.type === 'xenbus' || c.type === 'isa') continue;
    if (c.type === 'ide' && q35) continue;
    switch (c.type) {
      case 'usb':
        if (c.model && c.model in USB2_FUNCTION) {
          if (!c.info.address || c.info.address.type === 'pci') out.push({ info: c.info, flags: pciF, usb2: c });
        } else push(c.info, c.model === 'qemu-xhci' || c.model === 'nec-xhci' ? pcieF : pciF);
        break;
      case 'scsi':
        push(c.info, c.model?.startsWith('virtio') ? vio(c.model) : pciF);
        break;
      case 'virtio-serial':
        push(c.info, vio(c.model));
        break;
      case 'sata':
        push(c.info, pcieF);
        break;
      default:
        push(c.info, pciF);
    }
  }
  for (const disk of d.disks) if (disk.bus === 'virtio') push(disk.info, vio(disk.model));
  // interface type='hostdev' devices sit ahead of the <hostdev> elements
  for (const n of d.nets) if (n.type === 'hostdev' && n.body.some((e) => e.local === 'source')) push(n.info, pcieF);
  for (const h of d.hostdevs) {
    const t = gattr(h, 'type');
    if (t === 'pci' || t === 'mdev' || t === 'scsi_host') {
      const model = gattr(h, 'model');
      if (t === 'mdev' && model && model !== 'vfio-pci') continue;
      push(h.info, t === 'scsi_host' ? vio(model) : pcieF);
    }
  }
  if (d.memballoon && d.memballoon.model !== 'none') push(d.memballoon.info, vio(d.memballoon.model));
  for (const r of d.rngs) push(r.info, vio(r.model));
  for (const w of d.watchdogs) {
    if (gattr(w, 'model') === 'i6300esb') push(w.info, pciF);
  }
  d.videos.forEach((v, i) => {
    if (i === 0 || v.model === 'none' || v.model === 'ramfb') return;
    push(v.info, v.model === 'virtio' ? pcieF : pciF);
  });
  for (const s of d.shmems) push(s.info, pciF);
  for (const inp of d.inputs) if (inp.bus === 'virtio') push(inp.info, vio(inp.model));
  for (const s of d.serials) if (s.targetType === 'pci-serial') push(s.info, pciF);
  if (d.iommu && gattr(d.iommu, 'model') === 'virtio') push(d.iommu.info, { ...pcieF, hotplug: false, integrated: true });
  if (d.vsock) push(d.vsock.info, vio(gattr(d.vsock, 'model')));
  for (const m of d.memories) {
    if (m.model === 'virtio-mem' || m.model === 'virtio-pmem') push(m.info, pcieF);
  }
  for (const p of d.panics) if (gattr(p, 'model') === 'pvpanic') push(p.info, pciF);
  return out;
}

/** Every device info that may carry a PCI address. */
function allInfos(def: DomainDef): DeviceInfo[] {
  const d = def.devices;
  return [
    ...d.disks.map((x) => x.info), ...d.controllers.map((x) => x.info), ...d.nets.map((x) => x.info), ...d.filesystems.map((x) => x.info),
    ...d.sounds.map((x) => x.info), ...d.hostdevs.map((x) => x.info), ...d.videos.map((x) => x.info), ...d.rngs.map((x) => x.info),
    ...d.watchdogs.map((x) => x.info), ...d.shmems.map((x) => x.info), ...d.inputs.map((x) => x.info), ...d.serials.map((x) => x.info),
    ...d.memories.map((x) => x.info), ...d.panics.map((x) => x.info), ...(d.memballoon ? [d.memballoon.info] : []),
    ...(d.vsock ? [d.vsock.info] : []), ...(d.iommu ? [d.iommu.info] : []),
  ];
}

/**
 * One pass of the assignment. In a dry run nothing is written to the definition; the returned set
 * lists the buses that had to be added.
 */
function assignPass(def: DomainDef, q35: boolean, dryRun: boolean): AddressSet {
  const set = new AddressSet(def, dryRun, true);
  const d = def.devices;
  const assigned = new Map<DeviceInfo, PciAddress>();
  const addrOf = (info: DeviceInfo): PciAddress | undefined => (isPci(info.address) ? info.address : assigned.get(info));
  const place = (info: DeviceInfo, a: PciAddress) => {
    if (dryRun) assigned.set(info, a);
    else info.address = a;
  };
  const wants = wanted(def, q35);
  const flagsOf = new Map(wants.map((w) => [w.info, w.flags]));
  // explicit addresses
  for (const info of allInfos(def)) {
    const a = info.address;
    if (!isPci(a)) continue;
    const f = flagsOf.get(info);
    if (f?.integrated && a.bus !== 0) throw xmlError(`The device at PCI address ${addrString(a)} needs to be an integrated device (bus=0)`);
    set.reserve(a, f);
  }
  const primaryVideo = d.videos[0] && d.videos[0].model !== 'none' && d.videos[0].model !== 'ramfb' ? d.videos[0] : undefined;
  if (!q35) {
    // qemuDomainValidateDevicePCISlotsPIIX3: the PIIX3 functions on slot 1, the primary video on slot 2
    for (let f = 0; f < 4; f++) set.reserve(pci(0, 1, f));
    for (const c of d.controllers) {
      if (c.type === 'ide' && c.index === 0 && !addrOf(c.info)) place(c.info, pci(0, 1, 1));
      if (c.type === 'usb' && c.index === 0 && c.model === 'piix3-uhci' && !addrOf(c.info)) place(c.info, pci(0, 1, 2));
    }
    if (primaryVideo && !addrOf(primaryVideo.info)) {
      const a = !set.slotUsed(0, 2) ? pci(0, 2) : set.next({ conn: 'pci', hotplug: true });
      if (a) {
        place(primaryVideo.info, a);
        set.reserve(a);
      }
    }
  } else {
    // qemuDomainValidateDevicePCISlotsQ35: ICH9 functions on slot 0x1f, primary video on 0x1, HDA on 0x1b
    set.reserve(pci(0, 0x1f, 0));
    set.reserve(pci(0, 0x1f, 3));
    for (const c of d.controllers) {
      if (c.type === 'sata' && c.index === 0 && !addrOf(c.info)) {
        place(c.info, pci(0, 0x1f, 2));
        set.reserve(pci(0, 0x1f, 2));
      }
    }
    if (primaryVideo && !addrOf(primaryVideo.info)) {
      const a = !set.slotUsed(0, 1) ? pci(0, 1) : undefined;
      if (a) {
        place(primaryVideo.info, a);
        set.reserve(a);
      }
    }
    // a dmi-to-pci-bridge sits where it is on real Q35 hardware: 00:1e.0
    for (const c of d.controllers) {
      if (c.type !== 'pci' || c.model !== 'dmi-to-pci-bridge' || addrOf(c.info) || set.slotUsed(0, 0x1e)) continue;
      place(c.info, pci(0, 0x1e));
      set.reserve(pci(0, 0x1e));
    }
    // the first USB2 controller set at 00:1d (EHCI function 7, UHCI1 function 0)
    for (const c of d.controllers) {
      if (c.type !== 'usb' || c.index !== 0 || (c.model !== 'ich9-ehci1' && c.model !== 'ich9-uhci1') || addrOf(c.info)) continue;
      const a = pci(0, 0x1d, USB2_FUNCTION[c.model]);
      if (set.isUsed(a)) continue;
      if (c.model === 'ich9-uhci1') a.multifunction = 'on';
      place(c.info, a);
      set.reserve(a);
    }
    const ich9 = d.sounds.find((s) => s.model === 'ich9' && !addrOf(s.info));
    if (ich9 && !set.slotUsed(0, 0x1b)) {
      place(ich9.info, pci(0, 0x1b));
      set.reserve(pci(0, 0x1b));
    }
  }
  for (const w of wants) {
    if (addrOf(w.info)) continue;
    if (w.usb2) {
      const c = w.usb2;
      const fn = USB2_FUNCTION[c.model ?? ''] ?? 0;
      const sib = d.controllers.find((x) => x !== c && x.type === 'usb' && x.index === c.index && (x.model ?? '') in USB2_FUNCTION && addrOf(x.info));
      let a: PciAddress;
      if (sib) {
        const s0 = addrOf(sib.info) as PciAddress;
        a = pci(s0.bus, s0.slot, fn);
      } else {
        const n = set.next(w.flags) ?? (dryRun ? set.grow(w.flags) : undefined);
        if (!n) throw internalError('No more available PCI slots');
        a = pci(n.bus, n.slot, fn);
      }
      if (c.model === 'ich9-uhci1') a.multifunction = 'on';
      set.reserve(a);
      place(c.info, a);
      continue;
    }
    place(w.info, set.reserveNext(w.flags));
  }
  return set;
}

/** virDomainPCIAddressSetAllMulti: function 0 of a slot with other functions in use is multifunction. */
function setAllMulti(def: DomainDef): void {
  const infos = allInfos(def).filter((i) => isPci(i.address));
  const key = (a: PciAddress) => `${a.domain}:${a.bus}:${a.slot}`;
  const multi = new Set<string>();
  for (const i of infos) {
    const a = i.address as PciAddress;
    if (a.function !== 0) multi.add(key(a));
  }
  for (const i of infos) {
    const a = i.address as PciAddress;
    if (a.function === 0 && a.multifunction === undefined && multi.has(key(a))) a.multifunction = 'on';
  }
}

const MODEL_NAMES: Record<string, string> = {
  'pci-bridge': 'pci-bridge',
  'dmi-to-pci-bridge': 'i82801b11-bridge',
  'pcie-root-port': 'pcie-root-port',
  'pcie-switch-upstream-port': 'x3130-upstream',
  'pcie-switch-downstream-port': 'xio3130-downstream',
  'pci-expander-bus': 'pxb',
  'pcie-expander-bus': 'pxb-pcie',
  'pcie-to-pci-bridge': 'pcie-pci-bridge',
};

/** qemuDomainAddressFindNewBusNr: two below the lowest busNr of any PCI controller (256 when none). */
function newBusNr(def: DomainDef, index: number): number {
  let lowest = 256;
  for (const c of def.devices.controllers) {
    const nr = c.type === 'pci' ? c.target?.busNr : undefined;
    if (nr !== undefined && nr < lowest) lowest = nr;
  }
  if (lowest <= 2) {
    throw internalError(`No free busNr lower than current lowest busNr is available to auto-assign to bus ${index}. Must be manually assigned`);
  }
  return lowest - 2;
}

/** Default model names and target options of PCI controllers once their addresses are known. */
function controllerDefaults(def: DomainDef): void {
  for (const c of def.devices.controllers) {
    if (c.type !== 'pci' || !c.model) continue;
    const ca = c.info.address;
    if (isPci(ca) && c.index <= ca.bus && c.model !== 'pci-root' && c.model !== 'pcie-root') {
      const h2 = (n: number) => `0x${n.toString(16).padStart(2, '0')}`;
      throw xmlError(`PCI controller at index ${c.index} (${h2(c.index)}) has bus='${h2(ca.bus)}', but index must be larger than bus`);
    }
    const name = MODEL_NAMES[c.model];
    if (name) c.modelName ??= name;
    const a = c.info.address;
    switch (c.model) {
      case 'pci-bridge':
        c.target ??= {};
        c.target.chassisNr ??= c.index;
        break;
      case 'pcie-root-port':
        c.target ??= {};
        c.target.chassis ??= c.index;
        if (c.target.port === undefined && isPci(a)) c.target.port = (a.slot << 3) + a.function;
        break;
      case 'pcie-switch-downstream-port':
        c.target ??= {};
        c.target.chassis ??= c.index;
        if (c.target.port === undefined && isPci(a)) c.target.port = a.slot;
        break;
      case 'pci-expander-bus':
      case 'pcie-expander-bus':
        c.target ??= {};
        if (c.target.busNr === undefined) c.target.busNr = newBusNr(def, c.index);
        break;
      default:
        break;
    }
  }
}

export function assignAddresses(def: DomainDef, _caps: QemuCaps): void {
  if (!isX86(def)) return;
  const q35 = isQ35(def);
  const i440fx = isI440fx(def);
  if (!q35 && !i440fx) return;
  const d = def.devices;
  if (!d.controllers.some((c) => c.type === 'pci' && c.index === 0)) return;
  // dry run: which buses are missing
  const dry = assignPass(def, q35, true);
  if (q35 && dry.added.length > 0) {
    // buses were added: one more pcie-root-port, left free for hotplug
    dry.setBus(dry.buses.length, 'pcie-root-port');
    dry.added.push('pcie-root-port');
  }
  for (const i of dry.missing) insertController(d.controllers, { type: 'pci', index: i, model: dry.buses[i].model, info: {} });
  let nextIndex = dry.buses.length - dry.added.length;
  for (const model of dry.added) {
    const c: ControllerDef = { type: 'pci', index: nextIndex++, model, info: {} };
    insertController(d.controllers, c);
  }
  assignPass(def, q35, false);
  setAllMulti(def);
  controllerDefaults(def);
}
