// <secmodel> (node capabilities) and <seclabel> (domain XML) in libvirt's format.
import { type OutElement, type XmlElement, attr, childText, children, el } from '../util/xml.js';
import type { SecLabel, SecModel } from './types.js';

/** <secmodel><model/><doi/><baselabel type=…/>…</secmodel>, one per driver. */
export function formatSecmodels(models: readonly SecModel[]): OutElement[] {
  return models.map((m) =>
    el('secmodel', [], el('model', [], m.model), el('doi', [], m.doi), m.baselabels.map((b) => el('baselabel', [['type', b.type]], b.label))),
  );
}

export interface SeclabelFormatOptions {
  /** Inactive XML: dynamic labels without a baselabel are not written (they only exist while running). */
  inactive?: boolean;
}

/** virSecurityLabelDefFormat(): the domain-level <seclabel> elements. */
export function formatSeclabels(labels: readonly SecLabel[], o: SeclabelFormatOptions = {}): OutElement[] {
  const out: OutElement[] = [];
  for (const l of labels) {
    if (l.type === 'dynamic' && !l.baselabel && o.inactive) continue;
    if (l.type === 'none') {
      out.push(el('seclabel', [['type', 'none'], ['model', l.model]]));
      continue;
    }
    const showLabel = l.label && !(o.inactive && l.type === 'dynamic');
    out.push(
      el('seclabel', [['type', l.type], ['model', l.model], ['relabel', l.relabel ? 'yes' : 'no']],
        showLabel ? el('label', [], l.label!) : undefined,
        l.relabel && l.imagelabel && !(o.inactive && l.type === 'dynamic') ? el('imagelabel', [], l.imagelabel) : undefined,
        l.type === 'dynamic' && l.baselabel ? el('baselabel', [], l.baselabel) : undefined),
    );
  }
  return out;
}

/** Reads the domain-level <seclabel> elements of a <domain> (or status XML's <domain>). */
export function parseSeclabels(domain: XmlElement): SecLabel[] {
  return parseSeclabelElements(children(domain, 'seclabel'));
}

/** Reads <seclabel> elements (e.g. DomainDef.raw.seclabel). */
export function parseSeclabelElements(els: readonly XmlElement[]): SecLabel[] {
  return els.map((s) => {
    const type = (attr(s, 'type') ?? 'dynamic') as SecLabel['type'];
    const relabelAttr = attr(s, 'relabel');
    const relabel = type === 'none' ? false : relabelAttr === undefined ? type === 'dynamic' || type === 'static' : relabelAttr === 'yes';
    const l: SecLabel = { model: attr(s, 'model') ?? '', type, relabel };
    const label = childText(s, 'label');
    const image = childText(s, 'imagelabel');
    const base = childText(s, 'baselabel');
    if (label !== undefined) l.label = label;
    if (image !== undefined) l.imagelabel = image;
    if (base !== undefined) l.baselabel = base;
    return l;
  });
}
