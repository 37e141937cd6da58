import type { DomainDef } from './types.js';

export interface ParseDomainOptions {
  /** Parse live/status XML (keeps aliases, runtime ids); default false (inactive config). */
  live?: boolean;
  /** Hypervisor-specific post-parse hook (defaults), run before validation. */
  postParse?: (def: DomainDef) => void;
  /** Skip validation (status XML read back from disk). */
  skipValidate?: boolean;
}

export function parseDomainXML(_xml: string, _opts: ParseDomainOptions = {}): DomainDef {
  throw new Error('parseDomainXML: not implemented yet');
}
