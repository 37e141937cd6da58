// QEMU-specific disk defaults (qemuDomainDeviceDiskDefPostParse) and define-time disk validation
// (qemuValidateDomainDeviceDefDisk, qemuDomainValidateStorageSource and the generic
// virDomainDiskDefValidateSourceChain checks the corpus exercises).
import type { DiskDef } from '../../conf/domain/devices/disk.js';
import type { StorageSource } from '../../conf/domain/storage.js';
import type { DomainDef } from '../../conf/domain/types.js';
import { configUnsupported, ErrorDomain } from '../../util/errors.js';
import type { QemuCaps } from '../caps/types.js';

function chain(src: StorageSource): StorageSource[] {
  const out: StorageSource[] = [];
  for (let s: StorageSource | null | undefined = src; s; s = s.backingStore) out.push(s);
  return out;
}

/** qemuDomainDeviceDiskDefPostParse */
export function qemuDiskPostParse(disk: DiskDef): void {
  disk.driver.name ??= 'qemu';
  if (disk.src.format === undefined && disk.src.type !== 'volume') disk.src.format = 'raw';
  for (const s of chain(disk.src)) {
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

export function qemuValidateDisks(def: DomainDef, caps: QemuCaps): void {
  for (const d of def.devices.disks) {
    for (const s of chain(d.src)) {
      validateSourceAuth(s);
      validateEncryption(d, s, caps);
    }
  }
}
