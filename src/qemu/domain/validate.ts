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
import { qemuValidateMiscDevices } from './misc.js';
import { qemuValidateGraphicsAudioVideo } from './graphics.js';
import { validateMemoryHotplug } from './memory.js';
import { validateClockTimers, validateTseg } from './features.js';
import { validateCpu } from './cpu.js';

const unsupported = (m: string) => configUnsupported(m, ErrorDomain.QEMU);

export function qemuValidate(def: DomainDef, caps: QemuCaps, host?: Pick<Host, 'swtpmVersions'>): void {
  qemuValidateTpms(def, host);
  qemuValidateFilesystems(def);
  qemuValidateHostdevs(def);
  qemuValidateMiscDevices(def, caps);
  void caps;
  const d = def.devices;
  qemuValidateDisks(def, caps);
  validateMemoryHotplug(def);
  qemuValidateGraphicsAudioVideo(def, caps);
  validateTseg(def, caps);
  validateClockTimers(def, caps);
  validateCpu(def, caps);
}
