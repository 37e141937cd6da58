// USB port assignment (qemuDomainAssignUSBAddresses / virDomainUSBAddressSet): every USB
// controller index is a root hub with a model-dependent number of ports, <hub>s add 8-port
// sub-hubs; explicit addresses are reserved first, then devices in libvirt's order take the first
// free port (depth first through hubs), giving addresses like port='1' or port='1.2'.
import type { DeviceInfo } from '../../conf/domain/common.js';
import type { ControllerDef } from '../../conf/domain/devices/controller.js';
import type { GenericDevice } from '../../conf/domain/devices/generic.js';
import type { DomainDef } from '../../conf/domain/types.js';
import type { XmlElement } from '../../util/xml.js';

interface Hub {
  used: boolean[];
  sub: Array<Hub | undefined>;
}

const HUB_PORTS = 8;

function newHub(n: number): Hub {
  return { used: new Array(n).fill(false), sub: new Array(n).fill(undefined) };
}

/** virDomainUSBAddressControllerModelToPorts */
export function usbControllerPorts(c: ControllerDef): number {
  switch (c.model) {
    case 'piix3-uhci':
    case 'piix4-uhci':
    case 'ich9-uhci1':
    case 'ich9-uhci2':
    case 'ich9-uhci3':
    case 'vt82c686b-uhci':
      return 2;
    case 'ehci':
    case 'ich9-ehci1':
      return 6;
    case 'pci-ohci':
      return 3;
    case 'nec-xhci':
    case 'qemu-xhci':
      return c.ports ?? 4;
    case 'qusb1':
    case 'qusb2':
      return 4;
    default:
      return 0;
  }
}

/** The infos of USB devices in virDomainUSBDeviceDefForeach order. */
function usbDeviceInfos(def: DomainDef, withHubs: boolean): DeviceInfo[] {
  const d = def.devices;
  const attrOf = (g: { xml: { attrs: Array<{ name: string; value: string }> } }, n: string) => g.xml.attrs.find((a) => a.name === n)?.value;
  const out: DeviceInfo[] = [];
  if (withHubs) for (const h of d.hubs) if (attrOf(h, 'type') === 'usb') out.push(h.info);
  for (const h of d.hostdevs) if (attrOf(h, 'type') === 'usb') out.push(h.info);
  for (const x of d.disks) if (x.bus === 'usb') out.push(x.info);
  for (const c of d.controllers) if (c.type === 'ccid') out.push(c.info);
  for (const i of d.inputs) if (i.bus === 'usb') out.push(i.info);
  for (const s of d.serials) if (s.targetType === 'usb-serial') out.push(s.info);
  for (const s of d.sounds) if (s.model === 'usb') out.push(s.info);
  for (const r of d.redirdevs) if ((attrOf(r, 'bus') ?? 'usb') === 'usb') out.push(r.info);
  return out;
}

class UsbAddressSet {
  buses: Array<Hub | undefined> = [];

  hubAt(bus: number, port: string, create: boolean): { hub: Hub; idx: number } | undefined {
    let hub = this.buses[bus];
    if (!hub) return undefined;
    const path = port.split('.').map(Number);
    for (let i = 0; i < path.length - 1; i++) {
      const next: Hub | undefined = hub.sub[path[i] - 1];
      if (!next) return undefined;
      hub = next;
    }
    const idx = path[path.length - 1] - 1;
    if (idx < 0 || idx >= hub.used.length) return undefined;
    void create;
    return { hub, idx };
  }

  reserve(info: DeviceInfo): void {
    const a = info.address;
    if (a?.type !== 'usb' || !a.port) return;
    const t = this.hubAt(a.bus, a.port, false);
    if (t) t.hub.used[t.idx] = true;
  }

  /** virDomainUSBAddressFindFreePort: first free port of a hub, else depth first in its sub-hubs. */
  findFree(hub: Hub): number[] | undefined {
    const i = hub.used.indexOf(false);
    if (i >= 0) return [i + 1];
    for (let p = 0; p < hub.sub.length; p++) {
      const s = hub.sub[p];
      if (!s) continue;
      const r = this.findFree(s);
      if (r) return [p + 1, ...r];
    }
    return undefined;
  }

  assign(info: DeviceInfo): void {
    const a = info.address;
    if (a && !(a.type === 'usb' && !a.port)) return;
    const buses = a?.type === 'usb' ? [a.bus] : this.buses.map((_, i) => i);
    for (const b of buses) {
      const hub = this.buses[b];
      if (!hub) continue;
      const path = this.findFree(hub);
      if (!path) continue;
      const port = path.join('.');
      info.address = { type: 'usb', bus: b, port };
      this.reserve(info);
      return;
    }
  }

  addHub(info: DeviceInfo): void {
    const a = info.address;
    if (a?.type !== 'usb' || !a.port) return;
    const t = this.hubAt(a.bus, a.port, true);
    if (t && !t.hub.sub[t.idx]) t.hub.sub[t.idx] = newHub(HUB_PORTS);
  }
}

/**
 * qemuDomainUSBAddressAddHubs: when the USB devices (hubs included) outnumber the ports of the
 * controllers and hubs, 8-port hubs are appended (each one uses a port itself).
 */
function addNeededHubs(def: DomainDef): void {
  const isUsbHub = (h: GenericDevice) => h.attrs.some(([k, v]) => k === 'type' && v === 'usb');
  let available = 0;
  const seen = new Set<number>();
  for (const c of def.devices.controllers) {
    if (c.type !== 'usb' || c.model === 'none' || seen.has(c.index)) continue;
    seen.add(c.index);
    available += usbControllerPorts(c);
  }
  if (available === 0) return;
  available += def.devices.hubs.filter(isUsbHub).length * HUB_PORTS;
  const count = usbDeviceInfos(def, true).length;
  if (count <= available) return;
  const needed = Math.ceil((count - available + 1) / (HUB_PORTS - 1));
  for (let i = 0; i < needed; i++) {
    const xml: XmlElement = {
      kind: 'element', name: 'hub', local: 'hub', prefix: '', uri: '', children: [], line: 0, column: 0,
      attrs: [{ name: 'type', local: 'type', prefix: '', uri: '', value: 'usb' }],
    };
    def.devices.hubs.push({ kind: 'hub', attrs: [['type', 'usb']], body: [], info: {}, xml });
  }
}

/** qemuDomainAssignUSBAddresses */
export function assignUsbAddresses(def: DomainDef): void {
  addNeededHubs(def);
  const set = new UsbAddressSet();
  for (const c of def.devices.controllers) {
    if (c.type !== 'usb' || c.model === 'none') continue;
    if (set.buses[c.index]) continue; // companion controllers share their master's bus
    const n = usbControllerPorts(c);
    if (n > 0) set.buses[c.index] = newHub(n);
  }
  if (!set.buses.some(Boolean)) return;
  const hubs = def.devices.hubs.filter((h) => h.xml.attrs.find((x) => x.name === 'type')?.value === 'usb');
  for (const h of hubs) {
    set.reserve(h.info);
    set.addHub(h.info);
  }
  for (const info of usbDeviceInfos(def, false)) set.reserve(info);
  for (const h of hubs) {
    if (h.info.address?.type === 'usb' && h.info.address.port) continue;
    set.assign(h.info);
    set.addHub(h.info);
  }
  for (const info of usbDeviceInfos(def, false)) set.assign(info);
}
