// QEMU-specific validation at define time (qemuValidateDomainDef and friends).
import type { DomainDef } from '../../conf/domain/types.js';
import type { QemuCaps } from '../caps/types.js';
import type { Host } from '../command/host.js';
import { qemuValidateTpms } from './tpm.js';
import { qemuValidateFilesystems } from './fs.js';
import { qemuValidateHostdevs } from './hostdev.js';
import { qemuValidateDisks } from './disk.js';
import { qemuValidateMiscDevices } from './misc.js';
import { qemuValidateGraphicsAudioVideo } from './graphics.js';
import { validateMemoryHotplug } from './memory.js';
import { validateClockTimers, validateTseg } from './features.js';
import { validateCpu } from './cpu.js';

export function qemuValidate(def: DomainDef, caps: QemuCaps, host?: Pick<Host, 'swtpmVersions'>): void {
  qemuValidateTpms(def, host);
  qemuValidateFilesystems(def);
  qemuValidateHostdevs(def);
  qemuValidateMiscDevices(def, caps);
  qemuValidateDisks(def, caps);
  validateMemoryHotplug(def);
  qemuValidateGraphicsAudioVideo(def, caps);
  validateTseg(def, caps);
  validateClockTimers(def, caps);
  validateCpu(def, caps);
}
