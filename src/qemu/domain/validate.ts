// QEMU-specific validation at define time (qemuValidateDomainDef and friends).
import type { DomainDef } from '../../conf/domain/types.js';
import { configUnsupported, ErrorDomain } from '../../util/errors.js';
import type { QemuCaps } from '../caps/types.js';
import type { Host } from '../command/host.js';
import { qemuValidateTpms } from './tpm.js';
import { qemuValidateFilesystems } from './fs.js';
import { qemuValidateHostdevs } from './hostdev.js';
import { qemuValidateDisks } from './disk.js';
import { isQ35 } from './machine.js';
import { validateMemoryHotplug } from './memory.js';
import { validateTseg } from './features.js';

const unsupported = (m: string) => configUnsupported(m, ErrorDomain.QEMU);

export function qemuValidate(def: DomainDef, caps: QemuCaps, host?: Pick<Host, 'swtpmVersions'>): void {
  qemuValidateTpms(def, host);
  qemuValidateFilesystems(def);
  qemuValidateHostdevs(def);
  void caps;
  const d = def.devices;
  qemuValidateDisks(def, caps);
  validateMemoryHotplug(def);
  for (const g of d.graphics) {
    if (g.type === 'egl-headless' && d.graphics.some((x) => x.type !== 'vnc' && x.type !== 'spice' && x.type !== 'egl-headless')) {
      throw unsupported("graphics type 'egl-headless' is only supported with one of: 'vnc', 'spice' graphics types");
    }
  }
  validateTseg(def, caps);
}
