// PCI address assignment (qemu_domain_address.c): fixed slots of the machine type, explicit
// addresses reserved first, then devices in libvirt's class order get the next free slot
// (i440fx: on pci.0; q35: each PCIe endpoint on its own auto-added pcie-root-port).
import type { DeviceAddress, DeviceInfo, PciAddress } from '../../conf/domain/common.js';
import type { ControllerDef } from '../../conf/domain/devices/controller.js';
import type { DomainDef } from '../../conf/domain/types.js';
import { ErrorCode, ErrorDomain, virError } from '../../util/errors.js';
import type { QemuCaps } from '../caps/types.js';
import { isI440fx, isQ35, isX86 } from './machine.js';

interface Bus {
  index: number;
  model: string;
  minSlot: number;
  maxSlot: number;
  used: Map<number, Set<number>>;
  /** Only one device (slot 0) — root ports and downstream ports. */
  single: boolean;
}

class PciSet {
  buses = new Map<number, Bus>();
  constructor(def: DomainDef) {
    for (const c of def.devices.controllers) if (c.type === 'pci') this.addBus(c);
  }
  addBus(c: ControllerDef): Bus {
    const model = c.model ?? 'pci-root';
    const single = model === 'pcie-root-port' || model === 'pcie-switch-downstream-port' || model === 'dmi-to-pci-bridge' ? model !== 'dmi-to-pci-bridge' : false;
    const root = model === 'pci-root' || model === 'pcie-root';
    const b: Bus = { index: c.index, model, minSlot: root ? 1 : single ? 0 : 1, maxSlot: single ? 0 : 31, used: new Map(), single };
    this.buses.set(c.index, b);
    return b;
  }
  isUsed(a: PciAddress): boolean {
    return this.buses.get(a.bus)?.used.get(a.slot)?.has(a.function) ?? false;
  }
  slotUsed(bus: number, slot: number): boolean {
    return (this.buses.get(bus)?.used.get(slot)?.size ?? 0) > 0;
  }
  reserve(a: PciAddress): void {
    const b = this.buses.get(a.bus);
    if (!b) return;
    let s = b.used.get(a.slot);
    if (!s) b.used.set(a.slot, (s = new Set()));
    s.add(a.function);
  }
  /** Next free whole slot on a bus. */
  nextSlot(bus: number): number | undefined {
    const b = this.buses.get(bus);
    if (!b) return undefined;
    for (let s = b.minSlot; s <= b.maxSlot; s++) if (!this.slotUsed(bus, s)) return s;
    return undefined;
  }
}

function pci(bus: number, slot: number, fn = 0): PciAddress {
  return { type: 'pci', domain: 0, bus, slot, function: fn };
}

function isPci(a: DeviceAddress | undefined): a is PciAddress {
  return a?.type === 'pci';
}

/** A device that wants a PCI address and whether it is a PCIe endpoint on q35. */
interface Want {
  info: DeviceInfo;
  pcie: boolean;
}

function virtioModelIsPci(model: string | undefined): boolean {
  return model === undefined || model.startsWith('virtio');
}

/** Devices in libvirt's assignment order (qemuDomainAssignDevicePCISlots). */
function wanted(def: DomainDef, q35: boolean): Want[] {
  const d = def.devices;
  const out: Want[] = [];
  const push = (info: DeviceInfo, pcie = true) => {
    if (!info.address || info.address.type === 'pci') out.push({ info, pcie });
  };
  // PCI controllers (non-root) first
  for (const c of d.controllers) {
    if (c.type === 'pci' && c.model !== 'pci-root' && c.model !== 'pcie-root') push(c.info, false);
  }
  for (const f of d.filesystems) {
    const drv = f.xml.children.find((c) => c.kind === 'element' && c.local === 'driver');
    const t = drv && drv.kind === 'element' ? drv.attrs.find((a) => a.name === 'type')?.value : undefined;
    if (t !== 'mtp') push(f.info);
  }
  for (const n of d.nets) {
    if (n.type === 'hostdev') continue;
    if (n.model === 'usb-net' || n.model === 'spapr-vlan') continue;
    push(n.info, !['rtl8139', 'e1000', 'ne2k_pci', 'pcnet'].includes(n.model ?? '') || !q35);
  }
  for (const s of d.sounds) {
    const m = s.model;
    if (['ich6', 'ich9', 'ac97', 'es1370', 'ich7'].includes(m)) push(s.info, m !== 'ac97' && m !== 'es1370');
  }
  for (const c of d.controllers) {
    if (c.type === 'pci') continue;
    if (c.type === 'ide' && c.index === 0 && !q35) continue; // PIIX3
    if (c.type === 'sata' && c.index === 0 && q35) continue; // ICH9
    if (c.type === 'usb' && (c.model === 'none' || (c.index === 0 && c.model === 'piix3-uhci' && !q35))) continue;
    if (c.type === 'fdc' || c.type === 'ccid' || c.type === 'xenbus' || c.type === 'isa') continue;
    if (c.type === 'ide' && q35) continue;
    if (c.type === 'usb' && c.model?.startsWith('ich9-') && c.info.address === undefined) {
      push(c.info, false);
      continue;
    }
    push(c.info, c.type !== 'scsi' || c.model !== 'lsilogic');
  }
  for (const disk of d.disks) if (disk.bus === 'virtio') push(disk.info);
  for (const h of d.hostdevs) {
    const t = h.attrs.find(([k]) => k === 'type')?.[1];
    if (t === 'pci' || t === 'mdev' || t === 'scsi_host') {
      const model = h.attrs.find(([k]) => k === 'model')?.[1];
      if (t === 'mdev' && model && model !== 'vfio-pci') continue;
      push(h.info);
    }
  }
  if (d.memballoon && d.memballoon.model !== 'none') push(d.memballoon.info);
  for (const r of d.rngs) push(r.info);
  for (const w of d.watchdogs) {
    if (w.attrs.find(([k]) => k === 'model')?.[1] === 'i6300esb') push(w.info, false);
  }
  d.videos.forEach((v, i) => {
    if (i === 0 || v.model === 'none' || v.model === 'ramfb') return;
    push(v.info, v.model === 'virtio');
  });
  for (const s of d.shmems) push(s.info, false);
  for (const inp of d.inputs) if (inp.bus === 'virtio') push(inp.info);
  for (const s of d.serials) if (s.targetType === 'pci-serial') push(s.info, false);
  if (d.vsock) push(d.vsock.info);
  for (const m of d.memories) {
    if (m.model === 'virtio-mem' || m.model === 'virtio-pmem') push(m.info);
  }
  void virtioModelIsPci;
  return out;
}

export function assignAddresses(def: DomainDef, _caps: QemuCaps): void {
  if (!isX86(def)) return;
  const q35 = isQ35(def);
  const i440fx = isI440fx(def);
  if (!q35 && !i440fx) return;
  const set = new PciSet(def);
  if (!set.buses.has(0)) return;
  const d = def.devices;
  // explicit addresses
  const all: DeviceInfo[] = [
    ...d.disks.map((x) => x.info), ...d.controllers.map((x) => x.info), ...d.nets.map((x) => x.info), ...d.filesystems.map((x) => x.info),
    ...d.sounds.map((x) => x.info), ...d.hostdevs.map((x) => x.info), ...d.videos.map((x) => x.info), ...d.rngs.map((x) => x.info),
    ...d.watchdogs.map((x) => x.info), ...d.shmems.map((x) => x.info), ...d.inputs.map((x) => x.info), ...d.serials.map((x) => x.info),
    ...d.memories.map((x) => x.info), ...(d.memballoon ? [d.memballoon.info] : []), ...(d.vsock ? [d.vsock.info] : []), ...(d.iommu ? [d.iommu.info] : []),
  ];
  for (const info of all) if (isPci(info.address)) set.reserve(info.address);

  const primaryVideo = d.videos[0] && d.videos[0].model !== 'none' && d.videos[0].model !== 'ramfb' ? d.videos[0] : undefined;
  if (i440fx) {
    // PIIX3 functions on slot 1
    for (let f = 0; f < 4; f++) set.reserve(pci(0, 1, f));
    for (const c of d.controllers) {
      if (c.type === 'ide' && c.index === 0 && !c.info.address) c.info.address = pci(0, 1, 1);
      if (c.type === 'usb' && c.index === 0 && c.model === 'piix3-uhci' && !c.info.address) c.info.address = pci(0, 1, 2);
    }
    if (primaryVideo && !primaryVideo.info.address) {
      if (!set.slotUsed(0, 2)) {
        primaryVideo.info.address = pci(0, 2);
        set.reserve(primaryVideo.info.address);
      } else {
        const s = set.nextSlot(0);
        if (s !== undefined) {
          primaryVideo.info.address = pci(0, s);
          set.reserve(primaryVideo.info.address);
        }
      }
    }
    for (const w of wanted(def, false)) {
      if (w.info.address) continue;
      const s = set.nextSlot(0);
      if (s === undefined) throw virError(ErrorCode.INTERNAL_ERROR, ErrorDomain.QEMU, 'No more available PCI slots');
      w.info.address = pci(0, s);
      set.reserve(w.info.address);
    }
    return;
  }
  // q35
  set.reserve(pci(0, 0x1f, 0));
  set.reserve(pci(0, 0x1f, 3));
  for (const c of d.controllers) {
    if (c.type === 'sata' && c.index === 0 && !c.info.address) {
      c.info.address = pci(0, 0x1f, 2);
      set.reserve(c.info.address);
    }
  }
  if (primaryVideo && !primaryVideo.info.address) {
    const slot = set.slotUsed(0, 1) ? set.nextSlot(0) : 1;
    if (slot !== undefined) {
      primaryVideo.info.address = pci(0, slot);
      set.reserve(primaryVideo.info.address);
    }
  }
  // the first ICH9 HDA sound card sits where it is on real Q35 hardware: 00:1b.0
  const ich9 = d.sounds.find((s) => s.model === 'ich9' && !s.info.address);
  if (ich9 && !set.slotUsed(0, 0x1b)) {
    ich9.info.address = pci(0, 0x1b);
    set.reserve(ich9.info.address);
  }
  const wants = wanted(def, true);
  // existing controllers (explicit root ports etc.) need addresses first
  const rootPortSlot = { slot: -1, fn: 8 };
  const placeRootPort = (c: ControllerDef) => {
    if (c.info.address) return;
    if (rootPortSlot.fn >= 8 || set.isUsed(pci(0, rootPortSlot.slot, rootPortSlot.fn))) {
      const s = set.nextSlot(0);
      if (s === undefined) throw virError(ErrorCode.INTERNAL_ERROR, ErrorDomain.QEMU, 'No more available PCI slots');
      rootPortSlot.slot = s;
      rootPortSlot.fn = 0;
    }
    c.info.address = pci(0, rootPortSlot.slot, rootPortSlot.fn);
    if (rootPortSlot.fn === 0) c.info.address.multifunction = 'on';
    set.reserve(c.info.address);
    rootPortSlot.fn++;
  };
  const rootPortDefaults = (c: ControllerDef) => {
    if (c.model !== 'pcie-root-port') return;
    c.modelName ??= 'pcie-root-port';
    c.target ??= {};
    c.target.chassis ??= c.index;
    const a = c.info.address;
    if (c.target.port === undefined && isPci(a)) c.target.port = (a.slot << 3) | a.function;
  };
  // explicit pci controllers without address
  for (const c of d.controllers) {
    if (c.type !== 'pci' || c.model === 'pcie-root') continue;
    if (c.model === 'pcie-root-port' || c.model === 'pcie-switch-upstream-port' || c.model === 'dmi-to-pci-bridge' || c.model === 'pcie-to-pci-bridge' || c.model === 'pcie-expander-bus') {
      if (!c.info.address) {
        if (c.model === 'pcie-root-port') placeRootPort(c);
        else {
          const s = set.nextSlot(0);
          if (s !== undefined) {
            c.info.address = pci(0, s);
            set.reserve(c.info.address);
          }
        }
      }
    }
    rootPortDefaults(c);
  }
  // free root ports (explicit, nothing plugged)
  const freePorts = (): Bus | undefined => {
    for (const b of set.buses.values()) {
      if (b.model === 'pcie-root-port' && b.used.size === 0) return b;
    }
    return undefined;
  };
  let added = 0;
  let nextIndex = Math.max(...d.controllers.filter((c) => c.type === 'pci').map((c) => c.index)) + 1;
  const addRootPort = (): Bus => {
    const c: ControllerDef = { type: 'pci', index: nextIndex++, model: 'pcie-root-port', info: {} };
    placeRootPort(c);
    rootPortDefaults(c);
    d.controllers.push(c);
    added++;
    return set.addBus(c);
  };
  for (const w of wants) {
    if (w.info.address) continue;
    if (w.pcie) {
      const b = freePorts() ?? addRootPort();
      w.info.address = pci(b.index, 0);
      set.reserve(w.info.address);
    } else {
      // conventional PCI device on q35: goes to pcie.0 directly when allowed as integrated, else root port
      const b = freePorts() ?? addRootPort();
      w.info.address = pci(b.index, 0);
      set.reserve(w.info.address);
    }
  }
  if (added > 0) addRootPort();
}
