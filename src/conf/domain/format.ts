import type { DomainDef } from './types.js';

export interface FormatDomainOptions {
  /** Inactive view (VIR_DOMAIN_XML_INACTIVE): no id, aliases or runtime state. */
  inactive?: boolean;
  /** Include secrets such as graphics passwords (VIR_DOMAIN_XML_SECURE). */
  secure?: boolean;
  /** Status XML for the state dir (everything needed to reconnect). */
  status?: boolean;
}

export function formatDomainXML(_def: DomainDef, _opts: FormatDomainOptions = {}): string {
  throw new Error('formatDomainXML: not implemented yet');
}
