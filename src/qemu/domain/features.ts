// Machine-level <features> values the QEMU driver reads and validates: SMM TSEG size and the TCG
// translation block cache (qemuValidateDomainDefFeatures' SMM part).

import { scaledToBytes } from '../../conf/domain/common.js';
import type { DomainDef } from '../../conf/domain/types.js';
import { configUnsupported, ErrorDomain } from '../../util/errors.js';
import { attr, type XmlElement } from '../../util/xml.js';
import type { QemuCaps } from '../caps/types.js';
import { isQ35 } from './machine.js';

function text(e: XmlElement): string {
  return e.children.map((c) => (c.kind === 'text' ? c.text : '')).join('').trim();
}

/** <smm><tseg unit=…>N</tseg></smm> in bytes (default unit MiB); undefined when not given. */
export function tsegBytes(def: DomainDef): number | undefined {
  const tseg = def.features.find((f) => f.name === 'smm')?.body.find((b) => b.local === 'tseg');
  if (!tseg) return undefined;
  return scaledToBytes(text(tseg), attr(tseg, 'unit'), 'MiB');
}

/** <tcg><tb-cache unit=…>N</tb-cache></tcg> in KiB. */
export function tcgTbCacheKiB(e: XmlElement): number {
  return Math.floor(scaledToBytes(text(e), attr(e, 'unit'), 'MiB') / 1024);
}

const unsupported = (m: string) => configUnsupported(m, ErrorDomain.QEMU);

/** The SMM TSEG checks of qemuValidateDomainDefFeatures. */
export function validateTseg(def: DomainDef, caps: QemuCaps): void {
  const bytes = tsegBytes(def);
  if (bytes === undefined) return;
  if (!isQ35(def)) throw unsupported('SMM TSEG is only supported with q35 machine type');
  if (!caps.flags.has('mch.extended-tseg-mbytes')) throw unsupported('Setting TSEG size is not supported with this QEMU binary');
  if (bytes % (1024 * 1024) !== 0) throw unsupported('SMM TSEG size must be divisible by 1 MiB');
}

/** qemuProcessPrepareAllowReboot: a guest whose every lifecycle action destroys it may not reboot. */
export function prepareAllowReboot(def: DomainDef): void {
  if (def.allowReboot !== undefined) return;
  def.allowReboot = !(
    def.onReboot === 'destroy' &&
    def.onPoweroff === 'destroy' &&
    (def.onCrash === 'destroy' || def.onCrash === 'coredump-destroy')
  );
}

/** qemuValidateDomainDefClockTimers */
export function validateClockTimers(def: DomainDef, caps: QemuCaps): void {
  const x86 = def.os.arch === 'x86_64' || def.os.arch === 'i686';
  for (const t of def.clock.timers) {
    switch (t.name) {
      case 'platform':
        throw unsupported(`unsupported timer type (name) '${t.name}'`);
      case 'tsc':
      case 'kvmclock':
      case 'hypervclock':
        if (!x86 && t.present === 'yes') {
          throw unsupported(`Configuring the '${t.name}' timer is not supported for virtType=${def.type} arch=${def.os.arch} machine=${def.os.machine} guests`);
        }
        break;
      case 'rtc':
        if (t.track === 'boot') throw unsupported(`unsupported rtc timer track '${t.track}'`);
        if (t.tickpolicy === 'merge' || t.tickpolicy === 'discard') throw unsupported(`unsupported rtc timer tickpolicy '${t.tickpolicy}'`);
        break;
      case 'pit':
        if (t.tickpolicy === 'merge' || (t.tickpolicy === 'catchup' && !caps.flags.has('kvm-pit-lost-tick-policy'))) {
          throw unsupported(`unsupported pit tickpolicy '${t.tickpolicy}'`);
        }
        break;
      case 'hpet':
        if (t.present === 'yes' && !caps.flags.has('machine-hpet') && !caps.flags.has('no-hpet')) throw unsupported('hpet timer is not supported');
        break;
    }
  }
}
