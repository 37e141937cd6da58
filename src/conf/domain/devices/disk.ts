// <disk>: virDomainDiskDef — guest-visible block device (disk, cdrom, floppy, lun) backed by a
// storage source and its backing chain.
import { type AttrList, type OutElement, type XmlElement, attr, child, el } from '../../../util/xml.js';
import { ErrorCode, ErrorDomain, virError } from '../../../util/errors.js';
import {
  type DeviceInfo,
  type FormatCtx,
  type ParseCtx,
  type VirtioOptions,
  enumAttr,
  formatDeviceInfo,
  parseDeviceInfo,
  parseVirtioOptions,
  textContent,
  uintAttr,
  unsupported,
  verbatim,
  virtioOptionAttrs,
  xmlErr,
} from '../common.js';
import {
  STORAGE_TYPES,
  type StorageSource,
  type StorageType,
  emptySource,
  formatAuth,
  formatBackingStore,
  formatEncryption,
  formatSource,
  parseAuth,
  parseBackingStore,
  parseEncryption,
  parseSourceElement,
} from '../storage.js';

export const DISK_DEVICES = ['disk', 'cdrom', 'floppy', 'lun'] as const;
export const DISK_BUSES = ['ide', 'fdc', 'scsi', 'virtio', 'xen', 'usb', 'uml', 'sata', 'sd', 'none'] as const;
export type DiskBus = (typeof DISK_BUSES)[number];

export interface DiskDriver {
  name?: string;
  cache?: string;
  errorPolicy?: string;
  rerrorPolicy?: string;
  io?: string;
  ioeventfd?: string;
  eventIdx?: string;
  copyOnRead?: string;
  discard?: string;
  iothread?: number;
  detectZeroes?: string;
  queues?: number;
  queueSize?: number;
  metadataCacheMaxSize?: number;
  virtio: VirtioOptions;
}

export interface DiskIotune {
  [key: string]: number | string | undefined;
}

export const IOTUNE_KEYS = [
  'total_bytes_sec', 'read_bytes_sec', 'write_bytes_sec', 'total_iops_sec', 'read_iops_sec', 'write_iops_sec',
  'total_bytes_sec_max', 'read_bytes_sec_max', 'write_bytes_sec_max', 'total_iops_sec_max', 'read_iops_sec_max',
  'write_iops_sec_max', 'size_iops_sec', 'group_name', 'total_bytes_sec_max_length', 'read_bytes_sec_max_length',
  'write_bytes_sec_max_length', 'total_iops_sec_max_length', 'read_iops_sec_max_length', 'write_iops_sec_max_length',
] as const;

export interface DiskDef {
  device: (typeof DISK_DEVICES)[number];
  src: StorageSource;
  model?: string;
  rawio?: string;
  sgio?: string;
  snapshot?: string;
  driver: DiskDriver;
  dst: string;
  bus: DiskBus;
  tray?: string;
  removable?: string;
  rotationRate?: number;
  /** Where <auth>/<encryption> were written (disk level is the legacy placement). */
  authAtDiskLevel?: boolean;
  encryptionAtDiskLevel?: boolean;
  iotune?: DiskIotune;
  blockio?: { logical?: number; physical?: number; discardGranularity?: number };
  geometry?: { cyls: number; heads: number; secs: number; trans?: string };
  transient?: boolean;
  transientShareBacking?: string;
  serial?: string;
  wwn?: string;
  vendor?: string;
  product?: string;
  info: DeviceInfo;
  /** The bus was derived from the target name. */
  busImplicit?: boolean;
  /** Unmodelled children kept verbatim (mirror, backenddomain …). */
  extra: XmlElement[];
}

/** virDiskNameParse: 'vdb' → 1, 'sdaa' → 26; partitions rejected by the caller. */
export function diskNameToIndex(name: string): number {
  const m = /^(?:fd|hd|vd|sd|xvd|ubd)([a-z]+)(\d*)$/.exec(name);
  if (!m) return -1;
  // bijective base-26: a=0 … z=25, aa=26
  let v = 0;
  for (const ch of m[1]) v = v * 26 + (ch.charCodeAt(0) - 96);
  return v - 1;
}

/**
 * virDomainDiskInsert: a disk goes after the last disk of its bus whose target sorts before it,
 * or before the first later one; disks of a new bus go last.
 */
export function insertDisk(list: DiskDef[], disk: DiskDef): void {
  let at = -1;
  const idx = diskNameToIndex(disk.dst);
  for (let i = list.length - 1; i >= 0; i--) {
    if (list[i].bus !== disk.bus) continue;
    if (diskNameToIndex(list[i].dst) > idx) at = i;
    else if (at === -1) at = i + 1;
  }
  if (at < 0) list.push(disk);
  else list.splice(at, 0, disk);
}

export function diskNameHasPartition(name: string): boolean {
  return /^(?:fd|hd|vd|sd|xvd|ubd)[a-z]+\d+$/.test(name);
}

export function parseDisk(e: XmlElement, ctx: ParseCtx): DiskDef {
  const typeStr = attr(e, 'type') ?? 'file';
  if (!(STORAGE_TYPES as readonly string[]).includes(typeStr)) throw xmlErr(`unknown disk type '${typeStr}'`);
  const device = enumAttr(e, 'device', DISK_DEVICES, (v) => `unknown disk device '${v}'`) ?? 'disk';
  const src = emptySource(typeStr as StorageType);
  const d: DiskDef = {
    device,
    src,
    model: attr(e, 'model'),
    rawio: attr(e, 'rawio'),
    sgio: attr(e, 'sgio'),
    snapshot: attr(e, 'snapshot'),
    driver: { virtio: {} },
    dst: '',
    bus: 'ide',
    info: parseDeviceInfo(e, ctx),
    extra: [],
  };
  const drv = child(e, 'driver');
  if (drv) {
    d.driver = {
      name: attr(drv, 'name'),
      cache: attr(drv, 'cache'),
      errorPolicy: attr(drv, 'error_policy'),
      rerrorPolicy: attr(drv, 'rerror_policy'),
      io: attr(drv, 'io'),
      ioeventfd: attr(drv, 'ioeventfd'),
      eventIdx: attr(drv, 'event_idx'),
      copyOnRead: attr(drv, 'copy_on_read'),
      discard: attr(drv, 'discard'),
      iothread: uintAttr(drv, 'iothread'),
      detectZeroes: attr(drv, 'detect_zeroes'),
      queues: uintAttr(drv, 'queues'),
      queueSize: uintAttr(drv, 'queue_size'),
      virtio: parseVirtioOptions(drv),
    };
    const fmt = attr(drv, 'type');
    if (fmt !== undefined) {
      if (fmt === 'aio') src.format = 'raw';
      else src.format = fmt;
    }
    const mc = child(child(drv, 'metadata_cache'), 'max_size');
    if (mc) {
      const unit = (attr(mc, 'unit') ?? 'bytes').toLowerCase();
      const scale: Record<string, number> = { b: 1, bytes: 1, kib: 1024, k: 1024, mib: 1024 ** 2, m: 1024 ** 2, gib: 1024 ** 3, g: 1024 ** 3 };
      d.driver.metadataCacheMaxSize = Number(textContent(mc)?.trim()) * (scale[unit] ?? 1);
    }
  }
  const sourceEl = child(e, 'source');
  parseSourceElement(src, sourceEl, ctx);
  const auth = child(e, 'auth');
  if (auth) {
    if (src.auth) throw unsupported('an <auth> definition already found for disk source');
    src.auth = parseAuth(auth);
    d.authAtDiskLevel = true;
  }
  const enc = child(e, 'encryption');
  if (enc) {
    if (src.encryption) throw unsupported('an <encryption> definition already found for disk source');
    src.encryption = parseEncryption(enc);
    d.encryptionAtDiskLevel = true;
  }
  src.backingStore = parseBackingStore(child(e, 'backingStore'), ctx);
  const target = child(e, 'target');
  const dst = attr(target, 'dev');
  if (!dst) {
    const what = src.path ?? src.name ?? src.pool?.volume ?? '';
    throw virError(ErrorCode.NO_TARGET, ErrorDomain.DOMAIN, what ? `device ${what}` : undefined);
  }
  d.dst = dst;
  if (diskNameHasPartition(dst) && !dst.startsWith('fd')) {
    throw unsupported(`invalid disk target '${dst}', partitions can't appear in disk targets`);
  }
  const bus = attr(target, 'bus');
  if (bus !== undefined) {
    if (!(DISK_BUSES as readonly string[]).includes(bus)) throw xmlErr(`unknown disk bus type '${bus}'`);
    d.bus = bus as DiskBus;
  } else {
    // virDomainDiskDefAssignDefaultBus (generic part)
    if (device === 'floppy') d.bus = 'fdc';
    else if (dst.startsWith('hd')) d.bus = 'ide';
    else if (dst.startsWith('sd')) d.bus = 'scsi';
    else if (dst.startsWith('vd')) d.bus = 'virtio';
    else if (dst.startsWith('xvd')) d.bus = 'xen';
    else if (dst.startsWith('ubd')) d.bus = 'uml';
    else d.bus = 'ide';
    d.busImplicit = true;
  }
  d.tray = attr(target, 'tray');
  d.removable = attr(target, 'removable');
  d.rotationRate = uintAttr(target, 'rotation_rate');
  const iotune = child(e, 'iotune');
  if (iotune) {
    d.iotune = {};
    for (const k of IOTUNE_KEYS) {
      const c = child(iotune, k);
      if (!c) continue;
      const t = textContent(c)?.trim() ?? '';
      if (k === 'group_name') d.iotune[k] = t;
      else {
        if (!/^\d+$/.test(t)) throw xmlErr(`disk iotune field '${k}' must be an integer`);
        d.iotune[k] = Number(t);
      }
    }
  }
  const blockio = child(e, 'blockio');
  if (blockio) {
    d.blockio = {
      logical: uintAttr(blockio, 'logical_block_size'),
      physical: uintAttr(blockio, 'physical_block_size'),
      discardGranularity: uintAttr(blockio, 'discard_granularity'),
    };
  }
  const geo = child(e, 'geometry');
  if (geo) {
    d.geometry = { cyls: uintAttr(geo, 'cyls') ?? 0, heads: uintAttr(geo, 'heads') ?? 0, secs: uintAttr(geo, 'secs') ?? 0, trans: attr(geo, 'trans') };
  }
  if (child(e, 'readonly') || device === 'cdrom') src.readonly = true;
  if (child(e, 'shareable')) src.shared = true;
  const tr = child(e, 'transient');
  if (tr) {
    d.transient = true;
    d.transientShareBacking = attr(tr, 'shareBacking');
  }
  d.serial = textContent(child(e, 'serial'));
  d.wwn = textContent(child(e, 'wwn'))?.trim();
  d.vendor = textContent(child(e, 'vendor'))?.trim();
  d.product = textContent(child(e, 'product'))?.trim();
  if (d.vendor !== undefined && !/^[\x20-\x7e]{0,8}$/.test(d.vendor)) throw xmlErr('disk vendor is more than 8 characters');
  if (d.product !== undefined && !/^[\x20-\x7e]{0,16}$/.test(d.product)) throw xmlErr('disk product is more than 16 characters');
  for (const c of e.children) {
    if (c.kind === 'element' && c.uri === '' && (c.local === 'mirror' || c.local === 'backenddomain')) d.extra.push(c);
  }
  if (device === 'cdrom' || device === 'floppy') {
    // removable media may be empty
  } else if (src.type !== 'network' && src.type !== 'volume' && src.type !== 'nvme' && !src.path && src.type !== 'vhostuser') {
    // libvirt allows sourceless disks only for removable media
    if (!sourceEl) throw virError(ErrorCode.NO_SOURCE, ErrorDomain.DOMAIN, dst);
  }
  return d;
}

/** virDomainDiskDefPostParse (hypervisor-independent defaults). */
export function diskPostParse(d: DiskDef): void {
  const src = d.src;
  // an empty removable-media drive has no network source to speak of
  if (src.type === 'network' && !src.protocol && (d.device === 'cdrom' || d.device === 'floppy')) src.type = 'file';
  // virDomainPostParseCheckISCSIPath: a target without LUN means LUN 0
  for (let s: StorageSource | null | undefined = src; s; s = s.backingStore) {
    if (s.type === 'network' && s.protocol === 'iscsi' && s.name && !s.name.includes('/')) s.name = `${s.name}/0`;
  }
  if (src.type === 'nvme' && src.nvme && src.nvme.managed === undefined) src.nvme.managed = 'yes';
  // vhost-user disks cannot be snapshotted
  if (src.type === 'vhostuser' && d.snapshot === undefined) d.snapshot = 'no';
}

/** virDomainDiskDefValidate: the hypervisor-independent checks of one disk. */
export function validateDisk(d: DiskDef): void {
  const src = d.src;
  if (d.device === 'lun') {
    // volumes are not translated yet, so they are accepted
    // virDomainDiskDefSourceLUNValidate (volumes are not translated yet, so they are accepted)
    if (src.type === 'network') {
      if (src.protocol !== 'iscsi') throw unsupported(`disk device='lun' is not supported for protocol='${src.protocol}'`);
    } else if (src.type !== 'block' && src.type !== 'volume') {
      throw unsupported("disk device='lun' is only valid for block type disk source");
    }
    if (src.format !== undefined && src.format !== 'raw' && src.format !== 'none') throw unsupported("disk device 'lun' must use 'raw' format");
  } else {
    if (d.rawio !== undefined) throw xmlErr("rawio can be used only with device='lun'");
    if (d.sgio !== undefined) throw xmlErr("sgio can be used only with device='lun'");
  }
  if (src.reservations && d.device !== 'lun') throw unsupported('<reservations/> allowed only for lun devices');
  if (d.driver.queues && d.bus !== 'virtio') throw unsupported('queues attribute in disk driver element is only supported by virtio-blk');
  if (d.driver.queueSize && d.bus !== 'virtio') throw unsupported('queue_size attribute in disk driver element is only supported by virtio-blk');
  if (d.bus !== 'virtio' && d.model && ['virtio', 'virtio-transitional', 'virtio-non-transitional'].includes(d.model)) {
    throw unsupported(`disk model '${d.model}' not supported for bus '${d.bus}'`);
  }
  for (let s: StorageSource | null | undefined = src; s; s = s.backingStore) {
    if (!(s.type === 'network' && s.protocol === 'rbd')) {
      if (s.extra.some((e) => e.local === 'snapshot')) throw unsupported("<snapshot> element is currently supported only with 'rbd' disks");
      if (s.extra.some((e) => e.local === 'config')) throw unsupported("<config> element is currently supported only with 'rbd' disks");
    }
  }
}

/** virDomainDefCheckDuplicateDriveAddresses (disks on the same bus). */
export function checkDuplicateDriveAddresses(disks: DiskDef[]): void {
  for (let i = 0; i < disks.length; i++) {
    const a = disks[i].info.address;
    if (a?.type !== 'drive') continue;
    for (let j = i + 1; j < disks.length; j++) {
      const b = disks[j].info.address;
      if (disks[j].bus !== disks[i].bus || b?.type !== 'drive') continue;
      if (a.controller === b.controller && a.bus === b.bus && a.target === b.target && a.unit === b.unit) {
        throw unsupported(
          `Found duplicate drive address for disk with target name '${disks[i].dst}' controller='${a.controller}' bus='${a.bus}' target='${a.target}' unit='${a.unit}'`,
        );
      }
    }
  }
}

export function formatDisk(d: DiskDef, ctx: FormatCtx): OutElement {
  const src = d.src;
  const drvAttrs: AttrList = [
    ['name', d.driver.name],
    ['type', src.format],
    ['cache', d.driver.cache],
    ['error_policy', d.driver.errorPolicy],
    ['rerror_policy', d.driver.rerrorPolicy],
    ['io', d.driver.io],
    ['ioeventfd', d.driver.ioeventfd],
    ['event_idx', d.driver.eventIdx],
    ['copy_on_read', d.driver.copyOnRead],
    ['discard', d.driver.discard],
    ['iothread', d.driver.iothread],
    ['detect_zeroes', d.driver.detectZeroes],
    ['queues', d.driver.queues],
    ['queue_size', d.driver.queueSize],
    ...virtioOptionAttrs(d.driver.virtio),
  ];
  const driver =
    drvAttrs.some(([, v]) => v !== undefined) || d.driver.metadataCacheMaxSize !== undefined
      ? el(
          'driver',
          drvAttrs,
          d.driver.metadataCacheMaxSize !== undefined
            ? el('metadata_cache', [], el('max_size', [['unit', 'bytes']], String(d.driver.metadataCacheMaxSize)))
            : undefined,
        )
      : undefined;
  const kids: Array<OutElement | undefined> = [driver];
  if (d.authAtDiskLevel && src.auth) kids.push(formatAuth(src.auth));
  const srcCopy = { ...src };
  if (d.authAtDiskLevel) srcCopy.auth = undefined;
  if (d.encryptionAtDiskLevel) srcCopy.encryption = undefined;
  let source = formatSource(srcCopy, ctx);
  if (!source && src.startupPolicy) source = el('source', [['startupPolicy', src.startupPolicy]]);
  kids.push(source);
  kids.push(formatBackingStore(src.backingStore, ctx));
  kids.push(...d.extra.filter((x) => x.local === 'backenddomain').map(verbatim));
  if (d.geometry) kids.push(el('geometry', [['cyls', d.geometry.cyls], ['heads', d.geometry.heads], ['secs', d.geometry.secs], ['trans', d.geometry.trans]]));
  if (d.blockio) {
    kids.push(el('blockio', [['logical_block_size', d.blockio.logical], ['physical_block_size', d.blockio.physical], ['discard_granularity', d.blockio.discardGranularity]]));
  }
  kids.push(...d.extra.filter((x) => x.local === 'mirror').map(verbatim));
  kids.push(el('target', [['dev', d.dst], ['bus', d.bus], ['tray', d.tray], ['removable', d.removable], ['rotation_rate', d.rotationRate]]));
  if (d.iotune) {
    const it: OutElement[] = [];
    for (const k of IOTUNE_KEYS) {
      const v = d.iotune[k];
      if (v === undefined || (typeof v === 'number' && v === 0 && k !== 'group_name')) continue;
      it.push(el(k, [], String(v)));
    }
    if (it.length) kids.push(el('iotune', [], it));
  }
  if (src.readonly) kids.push(el('readonly'));
  if (src.shared) kids.push(el('shareable'));
  if (d.transient) kids.push(el('transient', [['shareBacking', d.transientShareBacking]]));
  if (d.serial !== undefined) kids.push(el('serial', [], d.serial));
  if (d.wwn !== undefined) kids.push(el('wwn', [], d.wwn));
  if (d.vendor !== undefined) kids.push(el('vendor', [], d.vendor));
  if (d.product !== undefined) kids.push(el('product', [], d.product));
  if (d.encryptionAtDiskLevel && src.encryption) kids.push(formatEncryption(src.encryption));
  kids.push(...formatDeviceInfo(d.info, ctx));
  return el(
    'disk',
    [['type', src.type === 'none' ? 'file' : src.type], ['device', d.device], ['model', d.model], ['rawio', d.rawio], ['sgio', d.sgio], ['snapshot', d.snapshot]],
    kids.filter((k): k is OutElement => !!k),
  );
}

