// The domain formatter's writer: util/xml's OutElement trees, plus '#raw' nodes whose pre-rendered
// lines (verbatim sub-trees such as <metadata> content or unmodelled elements) are indented in place.
import { type OutElement, escapeText } from '../../util/xml.js';

function fmtAttrs(attrs: OutElement['attrs']): string {
  let s = '';
  for (const [k, v] of attrs) {
    if (v === undefined || v === null) continue;
    s += ` ${k}='${escapeText(String(v))}'`;
  }
  return s;
}

export function renderXml(root: OutElement): string {
  const lines: string[] = [];
  write(root, 0, lines);
  return lines.join('\n') + '\n';
}

function write(e: OutElement, depth: number, lines: string[]): void {
  const pad = ' '.repeat(depth);
  if (e.name === '#raw') {
    for (const r of e.raw ?? []) lines.push(r === '' ? '' : pad + r);
    return;
  }
  const a = fmtAttrs(e.attrs);
  const hasRaw = e.raw && e.raw.length > 0;
  if (e.children.length === 0 && !hasRaw) {
    lines.push(`${pad}<${e.name}${a}/>`);
    return;
  }
  if (!hasRaw && e.children.every((c) => typeof c === 'string')) {
    lines.push(`${pad}<${e.name}${a}>${escapeText((e.children as string[]).join(''))}</${e.name}>`);
    return;
  }
  lines.push(`${pad}<${e.name}${a}>`);
  for (const c of e.children) {
    if (typeof c === 'string') lines.push(pad + '  ' + escapeText(c));
    else write(c, depth + 2, lines);
  }
  if (hasRaw) for (const r of e.raw!) lines.push(r === '' ? '' : pad + '  ' + r);
  lines.push(`${pad}</${e.name}>`);
}
