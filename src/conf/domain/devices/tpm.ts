// <tpm>: a typed view of the TPM element (virDomainTPMDef). The element itself is kept verbatim by
// the generic device code (its XML round-trips unchanged); builders and validation read this view.
import { attr, child } from '../../../util/xml.js';
import type { GenericDevice } from './generic.js';

export type TpmBackendType = 'passthrough' | 'emulator' | 'external';

export interface TpmView {
  /** tpm-tis, tpm-crb, tpm-spapr, spapr-tpm-proxy; undefined when not given. */
  model?: string;
  backend: TpmBackendType;
  /** passthrough: host device path (default /dev/tpm0). */
  devicePath: string;
  /** emulator: TPM version ('1.2', '2.0') when given. */
  version?: string;
  persistentState?: string;
  /** external: the swtpm socket the user runs. */
  sourcePath?: string;
}

export function tpmView(d: GenericDevice): TpmView {
  const b = child(d.xml, 'backend');
  const type = (attr(b, 'type') ?? 'passthrough') as TpmBackendType;
  return {
    model: attr(d.xml, 'model'),
    backend: type,
    devicePath: attr(child(b, 'device'), 'path') ?? '/dev/tpm0',
    version: attr(b, 'version'),
    persistentState: attr(b, 'persistent_state'),
    sourcePath: attr(child(b, 'source'), 'path'),
  };
}
