// Controllers (qemuBuildControllersCommandLine): PCI (by index), USB, SCSI, IDE, SATA, FDC,
// virtio-serial, CCID — builtin controllers of the machine type get no -device.
import type { ControllerDef } from '../../conf/domain/devices/controller.js';
import { configUnsupported, ErrorDomain } from '../../util/errors.js';
import { isQ35 } from '../domain/machine.js';
import { acpiIndexProps, addressProps } from './address.js';
import { add, addDevice, type BuildCtx, type JsonProps } from './util.js';
import { virtioDriver, virtioOptionProps } from './virtio.js';

const ORDER = ['pci', 'usb', 'scsi', 'ide', 'sata', 'fdc', 'virtio-serial', 'ccid', 'isa'];

const USB_DRIVERS: Record<string, string> = {
  'piix3-uhci': 'piix3-usb-uhci',
  'piix4-uhci': 'piix4-usb-uhci',
  ehci: 'usb-ehci',
  'ich9-ehci1': 'ich9-usb-ehci1',
  'ich9-uhci1': 'ich9-usb-uhci1',
  'ich9-uhci2': 'ich9-usb-uhci2',
  'ich9-uhci3': 'ich9-usb-uhci3',
  'vt82c686b-uhci': 'vt82c686b-usb-uhci',
  'pci-ohci': 'pci-ohci',
  'nec-xhci': 'nec-usb-xhci',
  'qusb1': 'qusb1',
  'qusb2': 'qusb2',
  'qemu-xhci': 'qemu-xhci',
};

const SCSI_DRIVERS: Record<string, string> = {
  lsilogic: 'lsi',
  lsisas1068: 'mptsas1068',
  lsisas1078: 'megasas',
  vmpvscsi: 'pvscsi',
  ibmvscsi: 'spapr-vscsi',
  ncr53c90: 'am53c974',
  dc390: 'dc-390',
  am53c974: 'am53c974',
};

function isBuiltin(ctx: BuildCtx, c: ControllerDef): boolean {
  const q35 = isQ35(ctx.def);
  if (c.type === 'pci' && (c.model === 'pci-root' || c.model === 'pcie-root')) return true;
  if (c.type === 'ide' && c.index === 0 && !q35) return false; // handled below (builtin PIIX3)
  if (c.type === 'sata' && c.index === 0 && q35) return true;
  if (c.type === 'fdc') return true;
  if (c.type === 'usb' && c.model === 'none') return true;
  return false;
}

export function controllerProps(ctx: BuildCtx, c: ControllerDef): JsonProps | undefined {
  const q35 = isQ35(ctx.def);
  const addr = { ...addressProps(ctx, c.info), ...acpiIndexProps(c.info) };
  switch (c.type) {
    case 'usb': {
      const drv = USB_DRIVERS[c.model ?? ''] ?? c.model ?? 'piix3-usb-uhci';
      const p: JsonProps = { driver: drv };
      if (c.model === 'qemu-xhci' || c.model === 'nec-xhci') {
        if (c.ports !== undefined) {
          p.p2 = c.ports;
          p.p3 = c.ports;
        }
      }
      if (c.info.masterStartport !== undefined) {
        const master = ctx.def.devices.controllers.find((x) => x.type === 'usb' && x.index === c.index && x.info.masterStartport === undefined);
        p.masterbus = `${master?.info.alias ?? 'usb'}.0`;
        p.firstport = c.info.masterStartport;
      } else p.id = c.info.alias;
      return { ...p, ...addr };
    }
    case 'scsi': {
      if (c.model === 'virtio-scsi' || c.model?.startsWith('virtio')) {
        // qemuBuildControllerSCSIDevProps: virtio options, iothread, id, then the queue tunables
        const p: JsonProps = { driver: virtioDriver('virtio-scsi', c.model, c.info.address), ...virtioOptionProps(c.driver?.virtio) };
        if (c.driver?.iothread) p.iothread = `iothread${c.driver.iothread}`;
        p.id = c.info.alias;
        if (c.driver?.queues) p.num_queues = c.driver.queues;
        if (c.driver?.cmdPerLun) p.cmd_per_lun = c.driver.cmdPerLun;
        if (c.driver?.maxSectors) p.max_sectors = c.driver.maxSectors;
        if (c.driver?.ioeventfd) p.ioeventfd = c.driver.ioeventfd === 'on';
        return { ...p, ...addr };
      }
      return { driver: SCSI_DRIVERS[c.model ?? 'lsilogic'] ?? 'lsi', id: c.info.alias, ...addr };
    }
    case 'virtio-serial': {
      const p: JsonProps = { driver: virtioDriver('virtio-serial', c.model, c.info.address), ...virtioOptionProps(c.driver?.virtio), id: c.info.alias };
      if (c.ports !== undefined) p.max_ports = c.ports;
      if (c.vectors !== undefined) p.vectors = c.vectors;
      return { ...p, ...addr };
    }
    case 'sata':
      return { driver: 'ahci', id: c.info.alias, ...addr };
    case 'ide':
      if (c.index === 0 && !q35) return undefined;
      return undefined;
    case 'ccid':
      return { driver: 'usb-ccid', id: c.info.alias, ...addr };
    case 'pci': {
      const t = c.target ?? {};
      switch (c.model) {
        case 'pci-bridge':
          return { driver: 'pci-bridge', chassis_nr: t.chassisNr ?? c.index, id: c.info.alias, ...addr };
        case 'pcie-root-port': {
          const p: JsonProps = { driver: c.modelName ?? 'pcie-root-port', port: t.port, chassis: t.chassis, id: c.info.alias };
          if (t.hotplug) p.hotplug = t.hotplug === 'on';
          return { ...p, ...addr };
        }
        case 'dmi-to-pci-bridge':
          return { driver: 'i82801b11-bridge', id: c.info.alias, ...addr };
        case 'pcie-to-pci-bridge':
          return { driver: 'pcie-pci-bridge', id: c.info.alias, ...addr };
        case 'pcie-switch-upstream-port':
          return { driver: 'x3130-upstream', id: c.info.alias, ...addr };
        case 'pcie-switch-downstream-port':
          return { driver: c.modelName ?? 'xio3130-downstream', port: t.port, chassis: t.chassis, id: c.info.alias, hotplug: t.hotplug === undefined ? undefined : t.hotplug === 'on', ...addr };
        case 'pci-expander-bus':
          return { driver: 'pxb', bus_nr: t.busNr, id: c.info.alias, ...(t.node !== undefined ? { numa_node: t.node } : {}), ...addr };
        case 'pcie-expander-bus':
          return { driver: 'pxb-pcie', bus_nr: t.busNr, id: c.info.alias, ...(t.node !== undefined ? { numa_node: t.node } : {}), ...addr };
        default:
          return undefined;
      }
    }
    default:
      return undefined;
  }
}

/** qemuBuildGlobalControllerCommandLine: root bus ACPI hotplug switches as -global. */
export function buildGlobalControllers(ctx: BuildCtx): void {
  for (const c of ctx.def.devices.controllers) {
    if (c.type !== 'pci') continue;
    if (c.pcihole64) {
      const host = c.model === 'pci-root' ? 'i440FX-pcihost' : c.model === 'pcie-root' ? 'q35-pcihost' : undefined;
      if (!host) throw configUnsupported('64-bit PCI hole setting is only for root PCI controllers', ErrorDomain.QEMU);
      add(ctx, '-global', `${host}.pci-hole64-size=${c.pcihole64}K`);
    }
    const hp = c.target?.hotplug;
    if (hp !== undefined && c.model === 'pci-root') add(ctx, '-global', `PIIX4_PM.acpi-root-pci-hotplug=${hp}`);
  }
}

export function buildControllers(ctx: BuildCtx): void {
  const list = ctx.def.devices.controllers;
  for (const type of ORDER) {
    const ofType = list.filter((c) => c.type === type);
    if (type === 'pci') ofType.sort((a, b) => a.index - b.index);
    for (const c of ofType) {
      if (isBuiltin(ctx, c)) continue;
      const p = controllerProps(ctx, c);
      if (p) addDevice(ctx, p);
    }
  }
}
