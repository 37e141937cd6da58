// Hypervisor-independent validation (virDomainDefValidate's generic part).
import { ErrorCode, ErrorDomain, virError } from '../../util/errors.js';
import { unsupported, xmlErr } from './common.js';
import { validateCpuTopology } from './cpu.js';
import { checkDuplicateDriveAddresses, validateDisk } from './devices/disk.js';
import { hostdevView } from './devices/hostdev.js';
import { validateChrDevices } from './devices/chardev.js';
import { validateFirmware } from './firmware.js';
import { validateMemtune } from './memory.js';
import type { DomainDef } from './types.js';

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
  validateHostdevDriveAddresses(def);
  validateChrDevices(def.devices);
  checkDuplicateDriveAddresses(def.devices.disks);
  if (def.vcpu.max === 0) throw unsupported('Invalid number of vCPUs');
  validateFirmware(def);
  validateMemtune(def);
  validateCpuTopology(def);
}

/** virDomainDefHostdevValidate: SCSI host devices on distinct drive addresses, not shared with SCSI
 * disks (libvirt prints the bus where the controller goes and vice versa). */
function validateHostdevDriveAddresses(def: DomainDef): void {
  type Drive = { type: string; controller?: number; bus?: number; target?: number; unit?: number };
  const same = (a: Drive, b: Drive | undefined) =>
    b?.type === 'drive' && a.controller === b.controller && a.bus === b.bus && a.target === b.target && a.unit === b.unit;
  const scsi = def.devices.hostdevs.filter((h) => {
    const v = hostdevView(h);
    return v.mode === 'subsystem' && v.type === 'scsi';
  });
  for (let i = 0; i < scsi.length; i++) {
    const a = scsi[i].info.address as Drive | undefined;
    if (a?.type !== 'drive') continue;
    const where = `controller='${a.bus}' bus='${a.controller}' target='${a.target}' unit='${a.unit}'`;
    for (let j = i + 1; j < scsi.length; j++) {
      if (same(a, scsi[j].info.address as Drive | undefined)) throw unsupported(`SCSI host address ${where} in use by another SCSI host device`);
    }
    if (def.devices.disks.some((d) => d.bus === 'scsi' && same(a, d.info.address as Drive | undefined))) {
      throw unsupported(`SCSI host address ${where} in use by another SCSI disk`);
    }
  }
}
