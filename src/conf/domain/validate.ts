// Hypervisor-independent validation (virDomainDefValidate's generic part).
import { ErrorCode, ErrorDomain, virError } from '../../util/errors.js';
import { unsupported, xmlErr } from './common.js';
import type { DomainDef } from './types.js';
import { checkDuplicateDriveAddresses, validateDisk } from './devices/disk.js';
import { validateFirmware } from './firmware.js';
import { validateMemtune } from './memory.js';

export function validateName(name: string): void {
  if (name === '') throw virError(ErrorCode.NO_NAME, ErrorDomain.DOMAIN);
  if (name.includes('/')) throw xmlErr(`name ${name} cannot contain '/'`);
  if (name.includes('\n')) throw xmlErr(`name ${name} cannot contain '\\n'`);
}

function diskSourceName(d: DomainDef['devices']['disks'][number]): string {
  return d.src.path ?? d.src.name ?? d.src.pool?.volume ?? '';
}

export function validateDomainDef(def: DomainDef): void {
  validateName(def.name);
  const seen = new Map<string, string>();
  for (const d of def.devices.disks) {
    const prev = seen.get(d.dst);
    if (prev !== undefined) {
      throw xmlErr(`target '${d.dst}' duplicated for disk sources '${prev}' and '${diskSourceName(d)}'`);
    }
    seen.set(d.dst, diskSourceName(d));
    if ((d.vendor !== undefined || d.product !== undefined) && d.bus !== 'scsi') {
      throw unsupported('Only scsi disk supports vendor and product');
    }
    if (d.src.format === 'cow') throw unsupported("'cow' storage format is not supported");
    const a = d.info.address;
    if (a && ['ide', 'sata', 'scsi', 'fdc'].includes(d.bus) && a.type !== 'drive') {
      throw unsupported(`Invalid address type '${a.type}' for the disk '${d.dst}' with the bus type '${d.bus}'`);
    }
    validateDisk(d);
  }
  checkDuplicateDriveAddresses(def.devices.disks);
  if (def.vcpu.max === 0) throw unsupported('Invalid number of vCPUs');
  validateFirmware(def);
  validateMemtune(def);
}
