// Device address properties for -device (qemuBuildDeviceAddressProps).
import type { DeviceInfo } from '../../conf/domain/common.js';
import { controllerAlias } from '../domain/alias.js';
import type { BuildCtx, JsonProps } from './util.js';

export function busAliasForPci(ctx: BuildCtx, bus: number): string {
  const c = ctx.def.devices.controllers.find((x) => x.type === 'pci' && x.index === bus);
  if (!c) return `pci.${bus}`;
  const alias = c.info.alias ?? controllerAlias(ctx.def, c);
  // a user alias on the built-in root bus never reaches QEMU: the bus keeps QEMU's own name
  if (alias.startsWith('ua-') && c.model === 'pci-root') return 'pci.0';
  if (alias.startsWith('ua-') && c.model === 'pcie-root') return 'pcie.0';
  return alias;
}

export function addressProps(ctx: BuildCtx, info: DeviceInfo): JsonProps {
  const a = info.address;
  if (!a) return {};
  switch (a.type) {
    case 'pci': {
      const out: JsonProps = { bus: busAliasForPci(ctx, a.bus) };
      if (a.multifunction === 'on') out.multifunction = true;
      else if (a.multifunction === 'off') out.multifunction = false;
      out.addr = a.function ? `0x${a.slot.toString(16)}.0x${a.function.toString(16)}` : `0x${a.slot.toString(16)}`;
      if (info.acpiIndex) out['acpi-index'] = info.acpiIndex;
      return out;
    }
    case 'usb': {
      const c = ctx.def.devices.controllers.find((x) => x.type === 'usb' && x.index === a.bus);
      const out: JsonProps = { bus: `${c?.info.alias ?? 'usb'}.0` };
      if (a.port) out.port = a.port;
      return out;
    }
    case 'virtio-serial': {
      const c = ctx.def.devices.controllers.find((x) => x.type === 'virtio-serial' && x.index === a.controller);
      return { bus: `${c?.info.alias ?? `virtio-serial${a.controller}`}.${a.bus}`, nr: a.port };
    }
    case 'isa': {
      const out: JsonProps = {};
      if (a.iobase !== undefined) out.iobase = a.iobase;
      if (a.irq) out.irq = a.irq;
      return out;
    }
    case 'spapr-vio':
      return a.attrs.reg !== undefined ? { reg: Number(a.attrs.reg) } : {};
    default:
      return {};
  }
}

export function acpiIndexProps(info: DeviceInfo): JsonProps {
  return info.acpiIndex ? { 'acpi-index': info.acpiIndex } : {};
}
