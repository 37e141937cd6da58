// Filesystem checks of the QEMU driver at define time (qemuValidateDomainDeviceDefFS).
import { fsView } from '../../conf/domain/devices/filesystem.js';
import type { DomainDef } from '../../conf/domain/types.js';
import { configUnsupported, ErrorDomain } from '../../util/errors.js';

const unsupported = (m: string) => configUnsupported(m, ErrorDomain.QEMU);

/** qemuValidateDomainDefVhostUserRequireSharedMemory */
export function requireSharedMemory(def: DomainDef, what: string): void {
  const mb = def.raw.memoryBacking?.[0];
  const access = mb?.children.find((c) => c.kind === 'element' && c.local === 'access');
  const dflt = access && access.kind === 'element' ? access.attrs.find((a) => a.name === 'mode')?.value : undefined;
  const cells = def.cpu?.numa?.cells ?? [];
  const shared = cells.length ? cells.every((c) => (c.memAccess ?? dflt) === 'shared') : dflt === 'shared';
  if (!shared) throw unsupported(`'${what}' requires shared memory`);
}

export function qemuValidateFilesystems(def: DomainDef): void {
  for (const f of def.devices.filesystems) {
    const v = fsView(f);
    if (v.driver !== 'virtiofs') continue;
    if (v.type !== 'mount') throw unsupported('only supports mount filesystem type');
    if (v.readonly) throw unsupported('virtiofs does not yet support read-only mode');
    if (v.accessmode && v.accessmode !== 'passthrough') throw unsupported('virtiofs only supports passthrough accessmode');
    if (v.wrpolicy) throw unsupported('virtiofs does not support wrpolicy');
    if (v.model) throw unsupported('virtiofs does not support model');
    requireSharedMemory(def, 'virtiofs');
  }
}
