// Public entry points of the domain XML model. The model itself lives in ./types.ts and the
// per-family modules under ./devices/; these signatures are what the rest of tsvirt depends on.
//
//   parseDomainXML(xml, opts)   XML text → DomainDef (parse + generic post-parse + validation)
//   formatDomainXML(def, opts)  DomainDef → libvirt-style XML text (inactive or live view)
//
// The QEMU driver adds its own defaults through a post-parse hook (opts.postParse), as libvirt does.
export type * from './types.js';
export { emptyDevices, hasFeature, featureState } from './types.js';
export { parseDomainXML, parseDomainElement, normalizeUuid, type ParseDomainOptions } from './parse.js';
export { formatDomainXML, formatDomainElement, type FormatDomainOptions } from './format.js';
export { validateName } from './validate.js';
export { QEMU_NS_URI } from './qemu-ns.js';
