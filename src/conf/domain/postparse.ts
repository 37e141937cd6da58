// Hypervisor-independent post-parse (virDomainDefPostParse's generic part): console/serial
// compatibility, drive addresses of disks, implicit controllers.
import { type DriveAddress, unsupported as unsupportedConfig } from './common.js';
import type { DomainDef } from './types.js';
import { type ControllerDef, assignPciControllerIndexes } from './devices/controller.js';
import { diskNameToIndex, diskPostParse } from './devices/disk.js';
import type { ChrDef } from './devices/chardev.js';
import { filesystemPostParse } from './devices/filesystem.js';
import { firmwarePostParse } from './firmware.js';
import { hostdevPostParse } from './devices/hostdev.js';

function findController(def: DomainDef, type: string, index: number): ControllerDef | undefined {
  return def.devices.controllers.find((c) => c.type === type && c.index === index);
}

/** virDomainDiskDefAssignAddress */
export function assignDiskDriveAddress(def: DomainDef): void {
  for (const d of def.devices.disks) {
    if (d.info.address) continue;
    const idx = diskNameToIndex(d.dst);
    if (idx < 0) continue;
    let a: DriveAddress | undefined;
    switch (d.bus) {
      case 'scsi': {
        const ctrlIdx = Math.floor(idx / 7);
        const ctrl = findController(def, 'scsi', ctrlIdx);
        if (ctrl?.model === 'vmpvscsi') {
          a = { type: 'drive', controller: Math.floor(idx / 64), bus: 0, target: idx % 64, unit: 0 };
        } else {
          a = { type: 'drive', controller: Math.floor(idx / 7), bus: 0, target: 0, unit: idx % 7 };
        }
        break;
      }
      case 'ide':
        a = { type: 'drive', controller: Math.floor(idx / 4), bus: Math.floor((idx % 4) / 2), target: 0, unit: idx % 2 };
        break;
      case 'sata':
        a = { type: 'drive', controller: Math.floor(idx / 6), bus: 0, target: 0, unit: idx % 6 };
        break;
      case 'fdc':
        a = { type: 'drive', controller: 0, bus: 0, target: 0, unit: idx };
        break;
      default:
        break;
    }
    if (a && d.bus === 'scsi') {
      // a SCSI host device may already sit at the address the target name maps to
      const taken = def.devices.hostdevs.some((h) => {
        const ha = h.info.address;
        const scsi = h.xml.attrs.some((x) => x.name === 'type' && x.value === 'scsi');
        return scsi && ha?.type === 'drive' && a && ha.controller === a.controller && ha.bus === a.bus && ha.target === a.target && ha.unit === a.unit;
      });
      if (taken) {
        throw unsupportedConfig(
          `using disk target name '${d.dst}' conflicts with SCSI host device address controller='${a.controller}' bus='${a.bus}' target='${a.target}' unit='${a.unit}`,
        );
      }
    }
    if (a) d.info.address = a;
  }
}

function addController(def: DomainDef, type: ControllerDef['type'], index: number, model?: string): ControllerDef {
  const c: ControllerDef = { type, index, info: {}, ...(model !== undefined ? { model } : {}) };
  // libvirt appends implicit controllers (virDomainDefMaybeAddController)
  def.devices.controllers.push(c);
  return c;
}

/** virDomainDefAddImplicitControllers: one controller per drive-address controller index used. */
export function addImplicitControllers(def: DomainDef): void {
  const need = (type: ControllerDef['type'], bus: string) => {
    let max = -1;
    for (const d of def.devices.disks) {
      if (d.bus !== bus || d.info.address?.type !== 'drive') continue;
      max = Math.max(max, d.info.address.controller);
    }
    for (let i = 0; i <= max; i++) if (!findController(def, type, i)) addController(def, type, i);
  };
  need('fdc', 'fdc');
  need('scsi', 'scsi');
  need('sata', 'sata');
  need('ide', 'ide');
  // hostdev SCSI
  for (const h of def.devices.hostdevs) {
    const a = h.info.address;
    if (h.xml.attrs.some((x) => x.name === 'type' && x.value === 'scsi') && a?.type === 'drive') {
      for (let i = 0; i <= a.controller; i++) if (!findController(def, 'scsi', i)) addController(def, 'scsi', i);
    }
  }
  // virtio-serial for virtio consoles/channels (virDomainDefMaybeAddVirtioSerialController: only
  // the controller index each device refers to)
  const chrs: ChrDef[] = [...def.devices.channels, ...def.devices.consoles];
  for (const c of chrs) {
    if ((c.deviceType === 'channel' && c.targetType === 'virtio') || (c.deviceType === 'console' && c.targetType === 'virtio')) {
      const a = c.info.address;
      const idx = a?.type === 'virtio-serial' ? a.controller : 0;
      if (!findController(def, 'virtio-serial', idx)) addController(def, 'virtio-serial', idx);
    }
  }
  // ccid for smartcards
  if (def.devices.smartcards.length && !findController(def, 'ccid', 0)) addController(def, 'ccid', 0);
}

/** virDomainDefAddConsoleCompat: console[0] of type serial mirrors serial[0]. */
export function consoleCompat(def: DomainDef): void {
  const d = def.devices;
  if (d.consoles.length === 0) return;
  const c0 = d.consoles[0];
  if (def.os.type === 'hvm' && c0.targetType === undefined) c0.targetType = 'serial';
  if (c0.targetType !== 'serial') return;
  if (d.serials.length === 0) {
    const s: ChrDef = {
      deviceType: 'serial',
      source: structuredClone(c0.source),
      targetPort: c0.targetPort ?? 0,
      info: structuredClone(c0.info),
    };
    d.serials.push(s);
    c0.targetPort = s.targetPort;
  } else {
    c0.targetPort = d.serials[0].targetPort ?? 0;
    // The console mirrors serial0's source.
    c0.source = structuredClone(d.serials[0].source);
    c0.info = {};
  }
}

/** Serials without a target port take the lowest port no other serial uses (explicit ports first). */
function assignSerialPorts(def: DomainDef): void {
  const used = new Set<number>();
  for (const s of def.devices.serials) if (s.targetPort !== undefined) used.add(s.targetPort);
  for (const s of def.devices.serials) {
    if (s.targetPort !== undefined) continue;
    let p = 0;
    while (used.has(p)) p++;
    s.targetPort = p;
    used.add(p);
  }
}

export function genericPostParse(def: DomainDef): void {
  assignPciControllerIndexes(def.devices.controllers);
  assignSerialPorts(def);
  consoleCompat(def);
  firmwarePostParse(def);
  for (const h of def.devices.hostdevs) hostdevPostParse(h);
  for (const f of def.devices.filesystems) filesystemPostParse(f);
  // ports for serial/parallel/channels without explicit port
  let port = 0;
  for (const s of def.devices.serials) {
    if (s.targetPort === undefined) s.targetPort = port;
    port = Math.max(port, s.targetPort + 1);
  }
  port = 0;
  for (const p of def.devices.parallels) {
    if (p.targetPort === undefined) p.targetPort = port;
    port = Math.max(port, p.targetPort + 1);
  }
  for (const c of def.devices.consoles) if (c.targetPort === undefined) c.targetPort = 0;
  for (const d of def.devices.disks) diskPostParse(d);
  assignDiskDriveAddress(def);
  addImplicitControllers(def);
}
