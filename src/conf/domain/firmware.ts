// Firmware parts of <os> that do not depend on the hypervisor: the loader's default type
// (virDomainDefPostParseOs) and the loader/nvram/autoselection consistency rules
// (virDomainDefOSValidate). libvirt reports these as XML detail errors (no message prefix).
import { xmlDetail } from './common.js';
import type { DomainDef } from './types.js';

/** True for a read-only pflash loader given by path (virDomainDefHasOldStyleROUEFI). */
export function hasOldStyleROUEFI(def: DomainDef): boolean {
  const l = def.os.loader;
  return !!l && l.type === 'pflash' && l.readonly === 'yes';
}

/** True for any pflash loader (virDomainDefHasOldStyleUEFI). */
export function hasOldStyleUEFI(def: DomainDef): boolean {
  return def.os.loader?.type === 'pflash';
}

/** virDomainDefPostParseOs: a loader given by path without a type is a ROM. */
export function firmwarePostParse(def: DomainDef): void {
  // enrolled-keys implies secure-boot (shown explicitly); features are kept in libvirt's enum order
  const ff = def.os.firmwareFeatures;
  const feat = (n: string) => ff.find((f) => f.name === n);
  if (feat('enrolled-keys')?.enabled === 'yes') {
    if (feat('secure-boot')?.enabled === 'no') {
      throw xmlDetail("firmware feature 'enrolled-keys' cannot be enabled when firmware feature 'secure-boot' is disabled");
    }
    if (!feat('secure-boot')) ff.push({ name: 'secure-boot', enabled: 'yes' });
  }
  const order = ['enrolled-keys', 'secure-boot'];
  ff.sort((a, b) => order.indexOf(a.name) - order.indexOf(b.name));
  const l = def.os.loader;
  if (l?.path && !l.type) l.type = 'rom';
}

/** virDomainDefOSValidate: firmware autoselection vs. manual loader settings, stateless loaders.
 * libvirt keeps <loader> and <nvram> in one loader object, present when either element is. */
export function validateFirmware(def: DomainDef): void {
  const os = def.os;
  const loader = os.loader;
  const nvram = os.nvram;
  const hasLoader = !!loader || !!nvram;
  const hasNvram = !!(nvram?.path || nvram?.src);
  if (os.firmware) {
    const feat = (n: string) => os.firmwareFeatures.find((f) => f.name === n)?.enabled;
    if (feat('enrolled-keys') === 'yes' && feat('secure-boot') === 'no') {
      throw xmlDetail("firmware feature 'enrolled-keys' cannot be enabled when firmware feature 'secure-boot' is disabled");
    }
    if (!hasLoader) return;
    if (loader?.readonly) throw xmlDetail("loader attribute 'readonly' cannot be specified when firmware autoselection is enabled");
    if (loader?.type) throw xmlDetail("loader attribute 'type' cannot be specified when firmware autoselection is enabled");
    if (loader?.path) throw xmlDetail('loader path cannot be specified when firmware autoselection is enabled');
    if (nvram?.template) throw xmlDetail("nvram attribute 'template' cannot be specified when firmware autoselection is enabled");
    if (loader?.secure === 'no') throw xmlDetail("loader attribute 'secure' cannot be specified when firmware autoselection is enabled");
    if (hasNvram && os.firmware !== 'efi') throw xmlDetail(`firmware type '${os.firmware}' does not support nvram`);
  } else {
    if (os.firmwareFeatures.length) {
      throw xmlDetail('cannot use feature-based firmware autoselection when firmware autoselection is disabled');
    }
    if (!hasLoader) return;
    if (!loader?.path) throw xmlDetail('no loader path specified and firmware auto selection disabled');
  }
  if (loader?.stateless === 'yes') {
    if (nvram?.template) throw xmlDetail('NVRAM template is not permitted when loader is stateless');
    if (hasNvram) throw xmlDetail('NVRAM is not permitted when loader is stateless');
  } else if (loader?.stateless === 'no') {
    if (!os.firmware) {
      if (loader.type !== 'pflash') throw xmlDetail('Only pflash loader type permits NVRAM');
    } else if (os.firmware !== 'efi') {
      throw xmlDetail('Only EFI firmware permits NVRAM');
    }
  }
}
