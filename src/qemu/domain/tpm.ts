// TPM checks of the QEMU driver at define time (qemuValidateDomainDeviceDefTPM): the emulator's
// TPM version must be one the host's swtpm supports.
import { tpmView } from '../../conf/domain/devices/tpm.js';
import type { DomainDef } from '../../conf/domain/types.js';
import { configUnsupported, ErrorDomain } from '../../util/errors.js';
import type { Host } from '../command/host.js';

export function qemuValidateTpms(def: DomainDef, host?: Pick<Host, 'swtpmVersions'>): void {
  for (const t of def.devices.tpms) {
    const v = tpmView(t);
    if (v.backend !== 'emulator' || !host || !v.version) continue;
    if (!host.swtpmVersions.includes(v.version)) {
      throw configUnsupported(`TPM version '${v.version}' is not supported`, ErrorDomain.QEMU);
    }
  }
}
