// Public entry points of the domain XML model. The model itself lives in ./types.ts and the
// per-family modules; these signatures are what the rest of tsvirt depends on — keep them stable.
//
//   parseDomainXML(xml, opts)   XML text → DomainDef (parse + generic post-parse + validation)
//   formatDomainXML(def, opts)  DomainDef → libvirt-style XML text (inactive or live view)
//
// The QEMU driver adds its own defaults through a post-parse hook (opts.postParse), as libvirt does.
export type { DomainDef } from './types.js';
export { parseDomainXML, type ParseDomainOptions } from './parse.js';
export { formatDomainXML, type FormatDomainOptions } from './format.js';
