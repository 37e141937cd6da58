// Device aliases (qemu_alias.c): the ids devices get on the QEMU command line. User aliases
// (ua-*) are kept.
import type { DomainDef } from '../../conf/domain/types.js';
import { assignMemoryAlias } from './memory.js';
import type { ControllerDef } from '../../conf/domain/devices/controller.js';
import { diskNameToIndex } from '../../conf/domain/devices/disk.js';
import { isQ35 } from './machine.js';

export function controllerAlias(def: DomainDef, c: ControllerDef): string {
  if (c.type === 'pci') {
    if (c.model === 'pci-root') return 'pci.0';
    if (c.model === 'pcie-root') return 'pcie.0';
    return `pci.${c.index}`;
  }
  if (c.type === 'ide' && c.index === 0 && !isQ35(def)) return 'ide';
  if (c.type === 'sata' && c.index === 0 && isQ35(def)) return 'ide';
  if (c.type === 'usb' && c.index === 0) return 'usb';
  if (c.type === 'scsi') return `scsi${c.index}`;
  return `${c.type}${c.index}`;
}

function scsiControllerModel(def: DomainDef, idx: number): string | undefined {
  return def.devices.controllers.find((c) => c.type === 'scsi' && c.index === idx)?.model;
}

export function assignAliases(def: DomainDef): void {
  const d = def.devices;
  for (const disk of d.disks) {
    if (disk.info.alias) continue;
    const a = disk.info.address;
    switch (disk.bus) {
      case 'ide':
      case 'sata':
        if (a?.type === 'drive') disk.info.alias = `${disk.bus}${a.controller}-${a.bus}-${a.unit}`;
        break;
      case 'scsi':
        if (a?.type === 'drive') {
          const model = scsiControllerModel(def, a.controller);
          disk.info.alias = model === 'lsilogic' ? `scsi${a.controller}-${a.bus}-${a.unit}` : `scsi${a.controller}-${a.bus}-${a.target}-${a.unit}`;
        }
        break;
      case 'fdc':
        if (a?.type === 'drive') disk.info.alias = `fdc${a.controller}-${a.bus}-${a.unit}`;
        break;
      case 'virtio':
        disk.info.alias = `virtio-disk${diskNameToIndex(disk.dst)}`;
        break;
      case 'usb':
        disk.info.alias = `usb-disk${diskNameToIndex(disk.dst)}`;
        break;
      default:
        disk.info.alias = `${disk.bus}-disk${diskNameToIndex(disk.dst)}`;
    }
  }
  for (const c of d.controllers) c.info.alias ??= controllerAlias(def, c);
  const seq = <T extends { info: { alias?: string } }>(list: T[], prefix: string) => {
    let next = 0;
    for (const x of list) {
      const m = x.info.alias ? new RegExp(`^${prefix}(\\d+)$`).exec(x.info.alias) : null;
      if (m) next = Math.max(next, Number(m[1]) + 1);
    }
    for (const x of list) if (!x.info.alias) x.info.alias = `${prefix}${next++}`;
  };
  seq(d.nets.filter((n) => n.type !== 'hostdev'), 'net');
  seq(d.leases, 'lease');
  seq(d.filesystems, 'fs');
  seq(d.sounds, 'sound');
  seq(d.hostdevs, 'hostdev');
  seq(d.nets.filter((n) => n.type === 'hostdev'), 'hostdev');
  seq(d.redirdevs, 'redir');
  seq(d.videos, 'video');
  seq(d.hubs, 'hub');
  seq(d.watchdogs, 'watchdog');
  seq(d.smartcards, 'smartcard');
  seq(d.inputs, 'input');
  seq(d.rngs, 'rng');
  seq(d.tpms, 'tpm');
  seq(d.shmems, 'shmem');
  seq(d.cryptos, 'crypto');
  seq(d.panics, 'panic');
  d.serials.forEach((s, i) => {
    s.info.alias ??= `serial${i}`;
  });
  d.parallels.forEach((p, i) => {
    p.info.alias ??= `parallel${i}`;
  });
  d.channels.forEach((c, i) => {
    c.info.alias ??= `channel${i}`;
  });
  d.consoles.forEach((c, i) => {
    if (i === 0 && c.targetType === 'serial' && d.serials[0]) c.info.alias ??= d.serials[0].info.alias;
    c.info.alias ??= `console${i}`;
  });
  if (d.memballoon) d.memballoon.info.alias ??= 'balloon0';
  if (d.vsock) d.vsock.info.alias ??= 'vsock0';
  if (d.iommu) d.iommu.info.alias ??= 'iommu0';
  for (const m of d.memories) assignMemoryAlias(def, m);
}
