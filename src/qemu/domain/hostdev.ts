// Host device checks of the QEMU driver at define time (qemuValidateDomainDeviceDefHostdev and the
// domain-wide mdev rules).
import { hostdevView } from '../../conf/domain/devices/hostdev.js';
import type { DomainDef } from '../../conf/domain/types.js';
import { configUnsupported, ErrorDomain } from '../../util/errors.js';

const unsupported = (m: string) => configUnsupported(m, ErrorDomain.QEMU);

export function qemuValidateHostdevs(def: DomainDef): void {
  let ramfb = 0;
  for (const h of def.devices.hostdevs) {
    const v = hostdevView(h);
    if (v.mode !== 'subsystem') continue;
    if (v.type === 'scsi_host' && h.info.bootIndex) {
      throw unsupported('booting from assigned devices is not supported by vhost SCSI devices');
    }
    if (v.type === 'mdev' && v.ramfb === 'on') ramfb++;
  }
  if (ramfb > 1) throw unsupported("Only one vgpu device can have 'ramfb' enabled");
}
