// <controller>: virDomainControllerDef — IDE/SATA/SCSI/USB/virtio-serial/PCI/… controllers.
import { type AttrList, attr, child, el, type OutElement, type XmlElement } from '../../../util/xml.js';
import {
  type DeviceInfo,
  enumAttr,
  type FormatCtx,
  formatDeviceInfo,
  type ParseCtx,
  parseDeviceInfo,
  parseVirtioOptions,
  scaledToKiB,
  textContent,
  uintAttr,
  type VirtioOptions,
  virtioOptionAttrs,
  xmlErr,
} from '../common.js';

export const CONTROLLER_TYPES = ['ide', 'fdc', 'scsi', 'sata', 'virtio-serial', 'ccid', 'usb', 'pci', 'xenbus', 'isa'] as const;
export type ControllerType = (typeof CONTROLLER_TYPES)[number];

export const PCI_MODELS = [
  'pci-root', 'pcie-root', 'pci-bridge', 'dmi-to-pci-bridge', 'pcie-root-port', 'pcie-switch-upstream-port',
  'pcie-switch-downstream-port', 'pci-expander-bus', 'pcie-expander-bus', 'pcie-to-pci-bridge',
] as const;

export interface ControllerDef {
  type: ControllerType;
  index: number;
  model?: string;
  /** usb/virtio-serial ports, virtio-serial vectors */
  ports?: number;
  vectors?: number;
  driver?: { queues?: number; cmdPerLun?: number; maxSectors?: number; ioeventfd?: string; iothread?: number; virtio: VirtioOptions };
  /** PCI <model name=> and <target …> */
  modelName?: string;
  target?: {
    chassisNr?: number;
    chassis?: number;
    port?: number;
    busNr?: number;
    index?: number;
    hotplug?: string;
    memReserve?: number;
    node?: number;
  };
  pcihole64?: number;
  info: DeviceInfo;
}

export function parseController(e: XmlElement, ctx: ParseCtx): ControllerDef {
  const type = enumAttr(e, 'type', CONTROLLER_TYPES, (v) => `Unknown controller type '${v}'`) ?? 'ide';
  const idxStr = attr(e, 'index');
  let index = 0;
  if (idxStr !== undefined) {
    if (!/^\d+$/.test(idxStr)) throw xmlErr(`Cannot parse controller index ${idxStr}`);
    index = Number(idxStr);
  } else if (type === 'pci') {
    // assigned once all controllers are known (assignPciControllerIndexes)
    index = -1;
  }
  const c: ControllerDef = { type, index, model: attr(e, 'model'), info: parseDeviceInfo(e, ctx) };
  if (type === 'pci' && c.model !== undefined && !(PCI_MODELS as readonly string[]).includes(c.model)) {
    throw xmlErr(`Unknown model type '${c.model}'`);
  }
  c.ports = uintAttr(e, 'ports');
  c.vectors = uintAttr(e, 'vectors');
  const drv = child(e, 'driver');
  if (drv) {
    c.driver = {
      queues: uintAttr(drv, 'queues'),
      cmdPerLun: uintAttr(drv, 'cmd_per_lun'),
      maxSectors: uintAttr(drv, 'max_sectors'),
      ioeventfd: attr(drv, 'ioeventfd'),
      iothread: uintAttr(drv, 'iothread'),
      virtio: parseVirtioOptions(drv),
    };
  }
  const m = child(e, 'model');
  if (m) c.modelName = attr(m, 'name');
  const t = child(e, 'target');
  if (t) {
    const node = child(t, 'node');
    c.target = {
      chassisNr: uintAttr(t, 'chassisNr'),
      chassis: uintAttr(t, 'chassis'),
      port: uintAttr(t, 'port'),
      busNr: uintAttr(t, 'busNr'),
      index: uintAttr(t, 'index'),
      hotplug: attr(t, 'hotplug'),
      memReserve: uintAttr(t, 'memReserve'),
      node: node ? Number(textContent(node)?.trim()) : undefined,
    };
  }
  const hole = child(e, 'pcihole64');
  if (hole) c.pcihole64 = scaledToKiB(textContent(hole) ?? '', attr(hole, 'unit'), 'pcihole64');
  return c;
}

/**
 * virDomainDefMaybeAddController's insertion: before the first controller of the same type with a
 * higher index, else at the end.
 */
export function insertController(list: ControllerDef[], c: ControllerDef): void {
  const at = list.findIndex((x) => x.type === c.type && x.index > c.index);
  if (at < 0) list.push(c);
  else list.splice(at, 0, c);
}

/**
 * PCI controllers without an index: a root bus takes 0 at parse time (rootsOnly); the others take the
 * lowest unused index in document order once the driver's default controllers exist.
 */
export function assignPciControllerIndexes(list: ControllerDef[], rootsOnly = false): void {
  for (const c of list) {
    if (c.type === 'pci' && c.index < 0 && (c.model === 'pci-root' || c.model === 'pcie-root') && !list.some((x) => x.type === 'pci' && x.index === 0)) c.index = 0;
  }
  if (rootsOnly) return;
  const used = new Set(list.filter((c) => c.type === 'pci' && c.index >= 0).map((c) => c.index));
  for (const c of list) {
    if (c.type !== 'pci' || c.index >= 0) continue;
    let i = 0;
    while (used.has(i)) i++;
    c.index = i;
    used.add(i);
  }
}

export function formatController(c: ControllerDef, ctx: FormatCtx): OutElement {
  const attrs: Array<[string, string | number | undefined]> = [['type', c.type], ['index', c.index], ['model', c.model]];
  if (c.type === 'virtio-serial') attrs.push(['ports', c.ports], ['vectors', c.vectors]);
  else if (c.type === 'usb') attrs.push(['ports', c.ports]);
  const kids: Array<OutElement | undefined> = [];
  if (c.driver) {
    const d = c.driver;
    const a: AttrList = [
      ['queues', d.queues], ['cmd_per_lun', d.cmdPerLun], ['max_sectors', d.maxSectors], ['ioeventfd', d.ioeventfd], ['iothread', d.iothread],
      ...virtioOptionAttrs(d.virtio),
    ];
    if (a.some(([, v]) => v !== undefined)) kids.push(el('driver', a));
  }
  if (c.type === 'pci') {
    if (c.modelName) kids.push(el('model', [['name', c.modelName]]));
    const t = c.target;
    if (t && Object.values(t).some((v) => v !== undefined)) {
      kids.push(
        el(
          'target',
          [
            ['chassisNr', t.chassisNr], ['chassis', t.chassis], ['port', t.port !== undefined ? `0x${t.port.toString(16)}` : undefined],
            ['busNr', t.busNr], ['index', t.index], ['hotplug', t.hotplug], ['memReserve', t.memReserve],
          ],
          t.node !== undefined ? el('node', [], String(t.node)) : undefined,
        ),
      );
    }
  }
  kids.push(...formatDeviceInfo(c.info, ctx));
  if (c.pcihole64 !== undefined) kids.push(el('pcihole64', [['unit', 'KiB']], String(c.pcihole64)));
  return el('controller', attrs, kids.filter((k): k is OutElement => !!k));
}
