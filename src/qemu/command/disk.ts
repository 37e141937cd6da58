// Disks (qemuBuildDisksCommandLine): the floppy controller's boot indexes, then per disk the
// storage objects and -blockdevs of its chain (blockdev.ts) and the -device frontend
// (qemuBuildDiskDeviceProps), or a vhost-user chardev for vhost-user disks.
import type { DiskDef } from '../../conf/domain/devices/disk.js';
import { diskNameToIndex } from '../../conf/domain/devices/disk.js';
import type { DomainDef } from '../../conf/domain/types.js';
import { configUnsupported, internalError, invalidArg } from '../../util/errors.js';
import { isQ35 } from '../domain/machine.js';
import { acpiIndexProps, addressProps } from './address.js';
import { buildDiskSource, cacheModeFlags, copyOnReadNode, detectZeroes } from './blockdev.js';
import { add, addDevice, type BuildCtx, escComma, hasCap, type JsonProps } from './util.js';
import { virtioDriver, virtioOptionProps } from './virtio.js';

export { buildManagedPR } from './blockdev.js';

function isEmptySource(disk: DiskDef): boolean {
  const src = disk.src;
  switch (src.type) {
    case 'network':
      return !src.protocol;
    case 'volume':
      return !src.pool?.volume;
    case 'nvme':
      return !src.nvme;
    case 'vhostuser':
      return false;
    case 'none':
      return true;
    default:
      return !src.path && !src.fdgroup;
  }
}

/** qemuDomainNeedsFDC: q35 machines (2.4 and later) need an explicit isa-fdc. */
function needsFDC(def: DomainDef): boolean {
  if (!isQ35(def)) return false;
  const m = def.os.machine ?? '';
  return !/^pc-q35-(1\.|2\.[0-3]$)/.test(m);
}

/** qemuBuildFloppyCommandLineControllerOptions: floppy boot indexes go to the controller. */
function buildFloppyController(ctx: BuildCtx): void {
  let a = 0;
  let b = 0;
  let has = false;
  for (const d of ctx.def.devices.disks) {
    if (d.bus !== 'fdc') continue;
    has = true;
    const unit = d.info.address?.type === 'drive' ? d.info.address.unit : 0;
    const idx = d.info.bootIndex ?? d.info.effectiveBootIndex ?? 0;
    if (unit) b = idx;
    else a = idx;
  }
  if (!has) return;
  if (needsFDC(ctx.def)) {
    const p: JsonProps = { driver: 'isa-fdc' };
    if (a) p.bootindexA = a;
    if (b) p.bootindexB = b;
    addDevice(ctx, p);
  } else {
    if (a) add(ctx, '-global', `isa-fdc.bootindexA=${a}`);
    if (b) add(ctx, '-global', `isa-fdc.bootindexB=${b}`);
  }
}

/** qemuBuildDeviceAddressProps for drive addresses (IDE/SATA/FDC/SCSI buses). */
function driveAddressProps(ctx: BuildCtx, disk: DiskDef): JsonProps {
  const a = disk.info.address;
  if (a?.type !== 'drive') return addressProps(ctx, disk.info);
  const def = ctx.def;
  const ctrl = (type: string) => def.devices.controllers.find((c) => c.type === type && c.index === a.controller);
  const ctrlAlias = (type: string): string => {
    const c = ctrl(type);
    if (!c?.info.alias) throw internalError(`missing alias for controller type '${type}' index '${a.controller}'`);
    return c.info.alias;
  };
  switch (disk.bus) {
    case 'ide': {
      // the machine's built-in IDE controller is not on the command line: use its default name
      const builtin = !isQ35(def) && a.controller === 0;
      return { bus: `${builtin ? 'ide' : ctrlAlias('ide')}.${a.bus}`, unit: a.unit };
    }
    case 'sata': {
      const builtin = isQ35(def) && a.controller === 0;
      return { bus: `${builtin ? 'ide' : ctrlAlias('sata')}.${a.unit}` };
    }
    case 'fdc':
      return { unit: a.unit };
    case 'scsi': {
      const c = ctrl('scsi');
      if (!c) throw internalError(`unable to find a SCSI controller for idx=${a.controller}`);
      const alias = c.info.alias ?? `scsi${a.controller}`;
      switch (c.model ?? 'lsilogic') {
        case 'ncr53c90':
        case 'dc390':
        case 'am53c974':
          return { bus: `${alias}.${a.bus}`, 'scsi-id': a.unit };
        case 'lsilogic':
          if (a.target !== 0) throw configUnsupported("target must be 0 for controller model 'lsilogic'");
          return { bus: `${alias}.${a.bus}`, 'scsi-id': a.unit };
        default:
          return { bus: `${alias}.0`, channel: a.bus, 'scsi-id': a.target, lun: a.unit };
      }
    }
    default:
      return {};
  }
}

/** qemuBuildDiskGetErrorPolicy */
function errorPolicy(disk: DiskDef): { w?: string; r?: string } {
  const ep = disk.driver.errorPolicy && disk.driver.errorPolicy !== 'default' ? disk.driver.errorPolicy : undefined;
  let r = disk.driver.rerrorPolicy && disk.driver.rerrorPolicy !== 'default' ? disk.driver.rerrorPolicy : undefined;
  let w = ep;
  if (ep === 'enospace') w = 'enospc';
  else if (!r) r = w;
  return { w, r };
}

/** qemuBuildDiskDeviceProps */
export function diskDeviceProps(ctx: BuildCtx, disk: DiskDef): JsonProps {
  let p: JsonProps = {};
  let driver: string | undefined;
  let deviceId: string | undefined;
  let removable: boolean | undefined;
  const vhostUser = disk.src.type === 'vhostuser';
  const onOff = (v: string | undefined) => (v === 'on' ? true : v === 'off' ? false : undefined);
  switch (disk.bus) {
    case 'ide':
    case 'sata':
      driver = disk.device === 'cdrom' ? 'ide-cd' : 'ide-hd';
      break;
    case 'scsi':
      if (disk.device === 'lun') driver = 'scsi-block';
      else {
        if (disk.device === 'cdrom') driver = 'scsi-cd';
        else {
          driver = 'scsi-hd';
          removable = onOff(disk.removable);
        }
        deviceId = disk.serial ?? `drive-${disk.info.alias}`;
      }
      break;
    case 'virtio': {
      let scsi: boolean | undefined;
      if (!vhostUser && hasCap(ctx, 'virtio-blk-pci.scsi')) {
        if (disk.device === 'lun') scsi = true;
        else if (!hasCap(ctx, 'virtio-blk-pci.scsi.default.disabled')) scsi = false;
      }
      p = { driver: virtioDriver(vhostUser ? 'vhost-user-blk' : 'virtio-blk', disk.model, disk.info.address), ...virtioOptionProps(disk.driver.virtio) };
      p.iothread = disk.driver.iothread ? `iothread${disk.driver.iothread}` : undefined;
      p.ioeventfd = onOff(disk.driver.ioeventfd);
      p.event_idx = onOff(disk.driver.eventIdx);
      p.scsi = scsi;
      p['num-queues'] = disk.driver.queues || undefined;
      p['queue-size'] = disk.driver.queueSize || undefined;
      break;
    }
    case 'usb':
      driver = 'usb-storage';
      removable = disk.removable === undefined ? false : onOff(disk.removable);
      break;
    case 'fdc':
      driver = 'floppy';
      break;
    default:
      throw internalError(`unsupported disk bus '${disk.bus}' with device setup`);
  }
  if (driver) p.driver = driver;
  Object.assign(p, driveAddressProps(ctx, disk));
  let drive: string | undefined;
  let chardev: string | undefined;
  if (vhostUser) chardev = `chr-vu-${disk.info.alias}`;
  else if (!isEmptySource(disk)) drive = disk.driver.copyOnRead === 'on' ? copyOnReadNode(disk) : disk.src.nodeFormat;
  const bootindex = disk.device === 'floppy' ? undefined : disk.info.bootIndex ?? disk.info.effectiveBootIndex;
  let wwn: bigint | undefined;
  if (disk.wwn) {
    const w = disk.wwn.replace(/^0x/i, '');
    if (!/^[0-9a-fA-F]+$/.test(w)) throw invalidArg(`Failed to parse wwn '${disk.wwn}' as number`);
    wwn = BigInt(`0x${w}`);
  }
  let writeCache: string | undefined;
  if (disk.device !== 'lun') {
    const f = cacheModeFlags(disk.driver.cache);
    if (f) writeCache = f.wb ? 'on' : 'off';
  }
  const g = disk.geometry;
  const ep = errorPolicy(disk);
  Object.assign(p, {
    device_id: deviceId,
    'share-rw': disk.src.shared ? true : undefined,
    drive,
    chardev,
    id: disk.info.alias,
    bootindex: bootindex || undefined,
    logical_block_size: disk.blockio?.logical || undefined,
    physical_block_size: disk.blockio?.physical || undefined,
    discard_granularity: disk.blockio?.discardGranularity || undefined,
    wwn,
    rotation_rate: disk.rotationRate || undefined,
    vendor: disk.vendor,
    product: disk.product,
    removable,
    'write-cache': writeCache,
    cyls: g?.cyls || undefined,
    heads: g?.heads || undefined,
    secs: g?.secs || undefined,
    'bios-chs-trans': g?.trans && g.trans !== 'default' ? g.trans : undefined,
    serial: disk.serial !== undefined ? disk.serial.replace(/ /g, '\\ ') : undefined,
    werror: ep.w,
    rerror: ep.r,
  });
  Object.assign(p, acpiIndexProps(disk.info));
  return p;
}

/** vhost-user disks: the backend is a client-mode unix chardev. */
function buildVhostUserChardev(ctx: BuildCtx, disk: DiskDef): void {
  let s = `socket,id=chr-vu-${disk.info.alias},path=${escComma(disk.src.path ?? '')}`;
  const rc = disk.src.extra.find((e) => e.local === 'reconnect');
  if (rc) {
    const en = rc.attrs.find((a) => a.name === 'enabled')?.value;
    const to = rc.attrs.find((a) => a.name === 'timeout')?.value;
    if (en === 'yes') s += `,reconnect=${to ?? 0}`;
    else if (en === 'no') s += ',reconnect=0';
  }
  add(ctx, '-chardev', s);
}

/** qemuBuildDriveStr: SD cards cannot be a -device, so they stay a legacy -drive if=sd (local images only). */
function buildSDDrive(ctx: BuildCtx, disk: DiskDef): void {
  const src = disk.src;
  const o: string[] = [];
  if (src.type === 'file' || src.type === 'block' || src.type === 'dir') {
    o.push(`file=${src.type === 'dir' ? `fat:${disk.device === 'floppy' ? 'floppy:' : ''}` : ''}${escComma(src.path ?? '')}`);
  } else if (src.type !== 'volume' && src.type !== 'none') {
    throw configUnsupported(`unsupported storage type '${src.type}' for an SD card disk`);
  }
  if (src.format && src.format !== 'none' && src.type !== 'dir') o.push(`format=${src.format}`);
  o.push(`if=sd,index=${diskNameToIndex(disk.dst)}`);
  if (src.readonly) o.push('readonly=on');
  if (!isEmptySource(disk)) {
    const dr = disk.driver;
    if (dr.cache && dr.cache !== 'default') o.push(`cache=${dr.cache}`);
    if (dr.copyOnRead && dr.copyOnRead !== 'default') o.push(`copy-on-read=${dr.copyOnRead}`);
    if (dr.discard && dr.discard !== 'default') o.push(`discard=${dr.discard}`);
    const dz = detectZeroes(disk);
    if (dz) o.push(`detect-zeroes=${dz}`);
    if (dr.io && dr.io !== 'default') o.push(`aio=${dr.io}`);
  }
  add(ctx, '-drive', o.join(','));
}

export function buildDisks(ctx: BuildCtx): void {
  buildFloppyController(ctx);
  for (const disk of ctx.def.devices.disks) {
    // transient disks sharing their backing image are hot-plugged after start
    if (disk.transient && disk.transientShareBacking === 'yes') continue;
    if (disk.bus === 'sd') {
      buildSDDrive(ctx, disk);
      continue;
    }
    if (disk.src.type === 'vhostuser') buildVhostUserChardev(ctx, disk);
    else if (!isEmptySource(disk)) buildDiskSource(ctx, disk);
    addDevice(ctx, diskDeviceProps(ctx, disk));
  }
}
