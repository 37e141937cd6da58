// <features> parts libvirt stores as values and re-formats canonically (virDomainFeaturesDefParse /
// virDomainDefFormatFeatures): the SMM TSEG size is kept in bytes and written back in MiB.
import type { XmlElement } from '../../util/xml.js';
import { attr } from '../../util/xml.js';
import { scaledToBytes, xmlErr } from './common.js';
import type { DomainDef } from './types.js';

function text(e: XmlElement): string {
  return e.children.map((c) => (c.kind === 'text' ? c.text : '')).join('').trim();
}

/** <smm><tseg unit='X'>N</tseg></smm> becomes <tseg unit='MiB'>bytes>>20</tseg>. */
export function canonicalizeFeatures(def: DomainDef): void {
  const smm = def.features.find((f) => f.name === 'smm');
  if (!smm) return;
  smm.body = smm.body.map((b) => {
    if (b.local !== 'tseg' || b.uri !== '') return b;
    const v = text(b);
    if (!/^\d+$/.test(v)) throw xmlErr(`Invalid value '${v}' for element or attribute './features/smm/tseg'`);
    const bytes = scaledToBytes(v, attr(b, 'unit'), 'MiB');
    // sizes not divisible by 1 MiB stay as written: validation refuses them
    if (bytes % (1024 * 1024) !== 0) return b;
    const unitAttr = { name: 'unit', local: 'unit', prefix: '', uri: '', value: 'MiB' };
    return { ...b, attrs: [unitAttr], children: [{ kind: 'text', text: String(bytes / (1024 * 1024)) }] };
  });
}
