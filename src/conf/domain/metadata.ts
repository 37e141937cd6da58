// <metadata>: arbitrary namespaced elements kept verbatim, re-serialised the way libxml2's node
// dump does (double-quoted attributes, namespace declarations kept, 2-space indentation).
import type { XmlElement, XmlText } from '../../util/xml.js';

function esc(s: string, attr: boolean): string {
  let r = s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  if (attr) r = r.replace(/"/g, '&quot;');
  return r;
}

/** Lines (unindented at depth 0) for each element child of <metadata>. */
export function serializeMetadata(md: XmlElement): string[] {
  const lines: string[] = [];
  const rec = (e: XmlElement, depth: number, inherited: Map<string, string>) => {
    const pad = ' '.repeat(depth);
    const scope = new Map(inherited);
    const attrs: string[] = [];
    for (const a of e.attrs) {
      if (a.name === 'xmlns' || a.name.startsWith('xmlns:')) {
        scope.set(a.name, a.value);
        attrs.push(`${a.name}="${esc(a.value, true)}"`);
      }
    }
    // libvirt stores each metadata child with its namespace declared on it.
    if (depth === 0 && e.prefix && !attrs.some((x) => x.startsWith(`xmlns:${e.prefix}=`))) {
      attrs.unshift(`xmlns:${e.prefix}="${esc(e.uri, true)}"`);
    } else if (depth === 0 && !e.prefix && e.uri && !attrs.some((x) => x.startsWith('xmlns='))) {
      attrs.unshift(`xmlns="${esc(e.uri, true)}"`);
    }
    for (const a of e.attrs) {
      if (a.name === 'xmlns' || a.name.startsWith('xmlns:')) continue;
      attrs.push(`${a.name}="${esc(a.value, true)}"`);
    }
    const a = attrs.length ? ' ' + attrs.join(' ') : '';
    const kids = e.children.filter((c) => c.kind === 'element' || (c.kind === 'text' && c.text.trim() !== ''));
    if (kids.length === 0) lines.push(`${pad}<${e.name}${a}/>`);
    else if (kids.every((c) => c.kind === 'text')) {
      lines.push(`${pad}<${e.name}${a}>${esc(kids.map((c) => (c as XmlText).text).join(''), false)}</${e.name}>`);
    } else {
      lines.push(`${pad}<${e.name}${a}>`);
      for (const c of kids) {
        if (c.kind === 'element') rec(c, depth + 2, scope);
        else if (c.kind === 'text') lines.push(pad + '  ' + esc(c.text.trim(), false));
      }
      lines.push(`${pad}</${e.name}>`);
    }
  };
  for (const c of md.children) if (c.kind === 'element') rec(c, 0, new Map());
  return lines;
}
