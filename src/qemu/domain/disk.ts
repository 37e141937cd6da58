// QEMU-specific disk defaults (qemuDomainDeviceDiskDefPostParse) and define-time disk validation
// (qemuValidateDomainDeviceDefDisk, qemuDomainValidateStorageSource and the generic
// virDomainDiskDefValidateSourceChain checks the corpus exercises).
import type { DiskDef } from '../../conf/domain/devices/disk.js';
import { chainOf, type StorageSource } from '../../conf/domain/storage.js';
import type { DomainDef } from '../../conf/domain/types.js';
import { configUnsupported, ErrorDomain, internalError } from '../../util/errors.js';
import type { QemuCaps } from '../caps/types.js';

/** qemuDomainDeviceDiskDefPostParse */
export function qemuDiskPostParse(disk: DiskDef): void {
  disk.driver.name ??= 'qemu';
  if (disk.src.format === undefined && disk.src.type !== 'volume') disk.src.format = 'raw';
  for (const s of chainOf(disk.src)) {
    if (s.encryption && !s.encryption.engine) s.encryption.engine = 'qemu';
  }
}

const SECRET_USAGES = ['none', 'volume', 'ceph', 'iscsi', 'tls', 'vtpm'];

/** virDomainDiskDefValidateSourceChainOne: auth secret usage types. */
function validateSourceAuth(src: StorageSource): void {
  const a = src.auth;
  if (!a) return;
  const t = a.secretType;
  if (t === undefined || !SECRET_USAGES.includes(t)) throw configUnsupported(`unknown secret type '${t ?? '<null>'}'`, ErrorDomain.DOMAIN);
  if (src.type === 'network' && ((src.protocol === 'iscsi' && t !== 'iscsi') || (src.protocol === 'rbd' && t !== 'ceph'))) {
    throw configUnsupported(`invalid secret type '${t}'`, ErrorDomain.DOMAIN);
  }
}

/** qemuDomainValidateStorageSource: encryption rules. */
function validateEncryption(disk: DiskDef, src: StorageSource, caps: QemuCaps): void {
  const enc = src.encryption;
  if (!enc) return;
  if (enc.engine === 'qemu' || enc.engine === undefined) {
    if (enc.format === 'luks2' || enc.format === 'luks-any') {
      throw configUnsupported(`'${enc.format}' is currently not supported by the qemu encryption engine`);
    }
    if (enc.secrets.length > 1) throw configUnsupported('qemu encryption engine expects only a single secret');
  } else if (enc.engine === 'librbd') {
    if (!caps.flags.has('rbd-encryption')) throw configUnsupported('librbd encryption is not supported by this QEMU binary');
    if (src.type !== 'network' || src.protocol !== 'rbd') throw configUnsupported('librbd encryption is supported only with RBD backed disks');
  }
  if (enc.format === 'luks') {
    if (enc.extra.some((e) => e.local === 'cipher')) throw configUnsupported('supplying <cipher> for domain disk definition is unnecessary');
    if (enc.extra.some((e) => e.local === 'ivgen')) throw configUnsupported('supplying <ivgen> for domain disk definition is unnecessary');
    const fmt = src.format ?? 'raw';
    if ((enc.engine ?? 'qemu') === 'qemu' && fmt !== 'raw' && fmt !== 'qcow2') {
      throw configUnsupported("encryption is supported only with 'raw' and 'qcow2' image format");
    }
  }
  void disk;
}

/** qemuDomainValidateStorageSource: image formats and source options QEMU cannot take (the
 * encryption rules are in validateEncryption). A volume's actual type is unknown at define time. */
export function validateStorageSource(src: StorageSource, caps: QemuCaps): void {
  const t = src.type;
  const fmt = src.format;
  const proto = t === 'network' ? src.protocol : undefined;
  if (fmt === 'dir') throw configUnsupported("'directory' storage format is not directly supported by QEMU, use 'dir' disk type instead");
  if (fmt === 'iso') throw configUnsupported("storage format 'iso' is not directly supported by QEMU, use 'raw' instead");
  if (fmt === 'fat' && t !== 'volume' && t !== 'dir') throw configUnsupported("storage format 'fat' is supported only with 'dir' storage type");
  if (t === 'dir') {
    if (fmt !== undefined && fmt !== 'none' && fmt !== 'fat') throw configUnsupported("storage type 'dir' requires use of storage format 'fat'");
    if (!src.readonly) throw configUnsupported("virtual FAT storage can't be accessed in read-write mode");
  }
  if (src.reservations && !caps.flags.has('pr-manager-helper')) throw configUnsupported('reservations not supported with this QEMU binary');
  const has = (name: string) => src.extra.some((e) => e.local === name);
  if (has('ssl') && proto !== 'https' && proto !== 'ftps') throw configUnsupported('ssl verification is supported only with HTTPS/FTPS protocol');
  if (has('cookies') && proto !== 'https' && proto !== 'http') throw configUnsupported('http cookies are supported only with HTTP(S) protocol');
  const httpFtp = proto === 'http' || proto === 'https' || proto === 'ftp' || proto === 'ftps';
  if (has('readahead') && !httpFtp) throw configUnsupported('readahead is supported only with HTTP(S)/FTP(s) protocols');
  if (has('timeout') && !httpFtp) throw configUnsupported('timeout is supported only with HTTP(S)/FTP(s) protocols');
  if (src.query && proto !== 'https' && proto !== 'http') throw configUnsupported('query is supported only with HTTP(S) protocols');
  if (proto === 'tftp') throw configUnsupported("'tftp' protocol is not supported with this QEMU binary");
  if (proto === 'nfs') {
    if (src.hosts.length !== 1) throw configUnsupported("'nfs' protocol requires the usage of exactly one host");
    if ((src.hosts[0].transport ?? 'tcp') !== 'tcp') throw configUnsupported("'nfs' host must use TCP protocol");
    if (src.hosts[0].port !== undefined && src.hosts[0].port !== '0') throw configUnsupported("port cannot be specified in 'nfs' protocol host");
  }
  if ((src.metadataCacheMaxSize ?? 0) > 0 && fmt !== 'qcow2') {
    throw configUnsupported('metadata cache max size control is supported only with qcow2 images');
  }
  if (src.tlsHostname) {
    if (proto !== 'nbd') throw configUnsupported("'tlsHostname' field is supported only with NBD disks");
    if (!caps.flags.has('blockdev.nbd.tls-hostname')) throw configUnsupported("'tlsHostname' field is not supported by this QEMU");
  }
}

/** The iothread ids of the domain: <iothreadids> or 1..<iothreads>. */
function iothreadIds(def: DomainDef): Set<number> {
  const ids = new Set<number>();
  for (const e of def.raw.iothreadids ?? []) {
    for (const c of e.children) {
      if (c.kind === 'element' && c.local === 'iothread') {
        const id = Number(c.attrs.find((a) => a.name === 'id')?.value);
        if (Number.isFinite(id)) ids.add(id);
      }
    }
  }
  for (let i = 1; i <= (def.iothreads ?? 0); i++) ids.add(i);
  return ids;
}

const SERIAL_OK = /^[A-Za-z0-9\-_ .+]*$/;

/** qemuValidateDomainDeviceDefDiskFrontend */
function validateFrontend(def: DomainDef, disk: DiskDef, caps: QemuCaps): void {
  const g = disk.geometry;
  if (g && g.cyls > 0 && g.heads > 0 && g.secs > 0) {
    if (disk.bus === 'usb' || disk.bus === 'sd') throw configUnsupported(`CHS geometry can not be set for '${disk.bus}' bus`);
    if (g.trans && g.trans !== 'default' && disk.bus !== 'ide') {
      throw configUnsupported(`CHS translation mode can only be set for 'ide' bus not '${disk.bus}'`);
    }
  }
  if (disk.serial !== undefined && disk.bus === 'sd') throw internalError(`Serial property not supported for drive bus '${disk.bus}'`);
  if (disk.device === 'cdrom' && (disk.bus === 'virtio' || disk.bus === 'sd')) {
    throw configUnsupported(`disk type of '${disk.dst}' does not support ejectable media`);
  }
  if (disk.driver.copyOnRead === 'on') {
    if (disk.src.readonly) throw configUnsupported(`copy_on_read is not compatible with read-only disk '${disk.dst}'`);
    if (disk.device === 'cdrom' || disk.device === 'floppy') throw configUnsupported(`copy_on_read is not supported with removable disk '${disk.dst}'`);
  }
  if (disk.wwn !== undefined && disk.bus !== 'ide' && disk.bus !== 'scsi') throw configUnsupported('Only ide and scsi disk support wwn');
  if ((disk.vendor !== undefined || disk.product !== undefined) && disk.bus !== 'scsi') {
    throw configUnsupported('Only scsi disk supports vendor and product');
  }
  if (disk.device === 'lun') {
    if (disk.bus !== 'virtio' && disk.bus !== 'scsi') throw configUnsupported(`disk device='lun' is not supported for bus='${disk.bus}'`);
    if (disk.driver.copyOnRead === 'on') throw configUnsupported(`copy_on_read is not compatible with 'lun' disk '${disk.dst}'`);
    if (disk.wwn !== undefined) throw configUnsupported('Setting wwn is not supported for lun device');
    if (disk.vendor !== undefined || disk.product !== undefined) throw configUnsupported('Setting vendor or product is not supported for lun device');
  }
  if (disk.rotationRate) {
    if (disk.bus !== 'scsi' && disk.bus !== 'ide' && disk.bus !== 'sata') throw internalError('rotation rate is only valid for SCSI/IDE/SATA bus');
    if (disk.device !== 'disk') throw internalError('rotation rate is only valid for disk device');
    if (!caps.flags.has('rotation-rate')) throw internalError('rotation rate is not supported with this QEMU');
  }
  const at = disk.info.address?.type;
  switch (disk.bus) {
    case 'scsi':
    case 'ide':
    case 'fdc':
    case 'sata':
      if (at !== 'drive') throw internalError(`unexpected address type for ${disk.bus} disk`);
      break;
    case 'virtio':
      if (disk.driver.queueSize && !caps.flags.has('virtio-blk.queue-size')) {
        throw configUnsupported("queue-size property isn't supported by this QEMU binary");
      }
      break;
    case 'usb':
      if (at !== undefined && at !== 'usb') throw internalError('unexpected address type for usb disk');
      break;
    default:
      break;
  }
  if (disk.src.readonly && disk.device === 'disk') {
    if (disk.bus === 'ide') throw configUnsupported('readonly ide disks are not supported');
    if (disk.bus === 'sata') throw configUnsupported('readonly sata disks are not supported');
  }
  if (disk.driver.io === 'native' && disk.driver.cache !== 'directsync' && disk.driver.cache !== 'none') {
    throw configUnsupported("io='native' needs either no disk cache or directsync cache mode");
  }
  if (disk.driver.io === 'io_uring' && !caps.flags.has('aio.io_uring')) throw configUnsupported('io uring is not supported by this QEMU binary');
  if (disk.serial !== undefined && disk.bus === 'scsi' && disk.device === 'lun') {
    throw configUnsupported("scsi-block 'lun' devices do not support the serial property");
  }
  if (disk.serial !== undefined && !SERIAL_OK.test(disk.serial)) throw internalError(`driver serial '${disk.serial}' contains unsafe characters`);
  if (disk.driver.iothread) {
    if (disk.bus !== 'virtio') throw configUnsupported(`IOThreads not available for bus ${disk.bus} target ${disk.dst}`);
    if (!iothreadIds(def).has(disk.driver.iothread)) throw configUnsupported(`Disk iothread '${disk.driver.iothread}' not defined in iothreadid`);
  }
}

/** qemuValidateDomainDeviceDefDiskTransient */
function validateTransient(disk: DiskDef): void {
  if (!disk.transient) return;
  const src = disk.src;
  const empty = src.type === 'network' ? !src.protocol : src.type === 'volume' ? !src.pool?.volume : !src.path && !src.nvme;
  if (empty) throw configUnsupported(`transient disk '${disk.dst}' must not be empty`);
  if (src.readonly) throw configUnsupported(`transient disk '${disk.dst}' must not be read-only`);
  if (src.type !== 'file') throw configUnsupported(`transient disk supported only with 'file' type (${disk.dst})`);
  if (disk.device !== 'disk') throw configUnsupported(`transient disk supported only with 'disk' device (${disk.dst})`);
  if (disk.transientShareBacking === 'yes' && !['usb', 'virtio', 'scsi'].includes(disk.bus)) {
    throw configUnsupported(`disk bus '${disk.bus}' doesn't support transiend disk backing image sharing`);
  }
}

export function qemuValidateDisks(def: DomainDef, caps: QemuCaps): void {
  for (const d of def.devices.disks) {
    validateFrontend(def, d, caps);
    validateTransient(d);
    if (d.src.shared && !d.src.readonly && (d.src.format ?? 'raw') !== 'raw') {
      throw configUnsupported(`shared access for disk '${d.dst}' requires use of supported storage format`);
    }
    if (d.driver.name !== undefined && d.driver.name !== 'qemu') {
      throw configUnsupported(`unsupported driver name '${d.driver.name}' for disk '${d.dst}'`);
    }
    if (d.src.type === 'vhostuser' && !caps.flags.has('vhost-user-blk')) throw configUnsupported('vhostuser disk is not supported with this QEMU binary');
    for (const s of chainOf(d.src)) {
      validateSourceAuth(s);
      validateStorageSource(s, caps);
      validateEncryption(d, s, caps);
    }
  }
}
