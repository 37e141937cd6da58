// `dumpxml --xpath`: a location-path subset of XPath 1.0 (/, //, name and * tests, @attr, text(),
// node(), predicates [N], [@a], [@a='v'], [name='v']) and libxml2's node dump layout, which is what
// virsh prints: elements re-indented by two spaces, attributes double-quoted, attribute nodes as
// ` name="value"`, text nodes raw; one node per line. --wrap puts the nodes in <nodes>.
import { type XmlElement, type XmlNode, parseXml } from '../util/xml.js';
import { internalError } from '../util/errors.js';

type Item = { k: 'el'; e: XmlElement; parent: XmlElement | null } | { k: 'attr'; name: string; value: string } | { k: 'text'; text: string };

interface Pred {
  index?: number;
  attr?: string;
  child?: string;
  value?: string;
}
interface Step {
  descendant: boolean;
  test: string; // name, '*', '@name', '@*', 'text()', 'node()', '.', '..'
  preds: Pred[];
}

function parsePath(expr: string): { absolute: boolean; steps: Step[] } | null {
  let s = expr.trim();
  let absolute = false;
  const steps: Step[] = [];
  let descendant = false;
  if (s.startsWith('//')) {
    absolute = true;
    descendant = true;
    s = s.slice(2);
  } else if (s.startsWith('/')) {
    absolute = true;
    s = s.slice(1);
  }
  const stepRe = /^(text\(\)|node\(\)|@?(?:[A-Za-z_][\w.-]*(?::[A-Za-z_][\w.-]*)?|\*)|\.\.|\.)((?:\[[^\]]*\])*)/;
  while (s.length) {
    const m = stepRe.exec(s);
    if (!m) return null;
    const preds: Pred[] = [];
    for (const pm of m[2].matchAll(/\[([^\]]*)\]/g)) {
      const p = pm[1].trim();
      let q: RegExpExecArray | null;
      if (/^\d+$/.test(p)) preds.push({ index: Number(p) });
      else if ((q = /^@([\w:.-]+)$/.exec(p))) preds.push({ attr: q[1] });
      else if ((q = /^@([\w:.-]+)\s*=\s*(?:'([^']*)'|"([^"]*)")$/.exec(p))) preds.push({ attr: q[1], value: q[2] ?? q[3] });
      else if ((q = /^([\w:.-]+)\s*=\s*(?:'([^']*)'|"([^"]*)")$/.exec(p))) preds.push({ child: q[1], value: q[2] ?? q[3] });
      else return null;
    }
    steps.push({ descendant, test: m[1], preds });
    s = s.slice(m[0].length);
    if (!s.length) break;
    if (s.startsWith('//')) {
      descendant = true;
      s = s.slice(2);
    } else if (s.startsWith('/')) {
      descendant = false;
      s = s.slice(1);
    } else return null;
  }
  if (!steps.length && !absolute) return null;
  return { absolute, steps };
}

const elements = (e: XmlElement) => e.children.filter((c): c is XmlElement => c.kind === 'element');
function textContent(n: XmlNode): string {
  if (n.kind === 'text') return n.text;
  if (n.kind === 'comment') return '';
  return n.children.map(textContent).join('');
}

function selfAndDescendants(e: XmlElement, out: XmlElement[] = []): XmlElement[] {
  out.push(e);
  for (const c of elements(e)) selfAndDescendants(c, out);
  return out;
}

function applyStep(ctx: Item[], step: Step, parents: Map<XmlElement, XmlElement | null>): Item[] {
  const out: Item[] = [];
  for (const it of ctx) {
    if (it.k !== 'el') continue;
    const bases = step.descendant ? selfAndDescendants(it.e) : [it.e];
    const found: Item[] = [];
    for (const b of bases) {
      if (step.test === '.') found.push({ k: 'el', e: b, parent: parents.get(b) ?? null });
      else if (step.test === '..') {
        const p = parents.get(b);
        if (p) found.push({ k: 'el', e: p, parent: parents.get(p) ?? null });
      } else if (step.test.startsWith('@')) {
        const n = step.test.slice(1);
        for (const a of b.attrs) if (n === '*' || a.name === n) found.push({ k: 'attr', name: a.name, value: a.value });
      } else if (step.test === 'text()') {
        for (const c of b.children) if (c.kind === 'text') found.push({ k: 'text', text: c.text });
      } else {
        let kids = elements(b).filter((c) => step.test === '*' || step.test === 'node()' || c.name === step.test);
        for (const p of step.preds) {
          if (p.index !== undefined) kids = kids[p.index - 1] ? [kids[p.index - 1]] : [];
          else if (p.attr !== undefined) kids = kids.filter((c) => c.attrs.some((a) => a.name === p.attr && (p.value === undefined || a.value === p.value)));
          else if (p.child !== undefined) kids = kids.filter((c) => elements(c).some((g) => g.name === p.child && textContent(g) === p.value));
        }
        for (const k of kids) found.push({ k: 'el', e: k, parent: b });
      }
    }
    for (const f of found) if (!out.some((o) => o.k === 'el' && f.k === 'el' && o.e === f.e)) out.push(f);
  }
  return out;
}

const escText = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/\r/g, '&#13;');
const escAttr = (s: string) =>
  escText(s).replace(/"/g, '&quot;').replace(/\n/g, '&#10;').replace(/\t/g, '&#9;');

/** libxml2's xmlNodeDump(format=1) of a tree parsed without blank text nodes. */
function dumpElement(e: XmlElement, depth: number): string {
  const ind = '  '.repeat(depth);
  const attrs = e.attrs.map((a) => ` ${a.name}="${escAttr(a.value)}"`).join('');
  const kids = e.children.filter((c) => !(c.kind === 'text' && c.text.trim() === ''));
  if (!kids.length) return `<${e.name}${attrs}/>`;
  if (kids.every((c) => c.kind !== 'element')) {
    return `<${e.name}${attrs}>${kids.map((c) => (c.kind === 'text' ? escText(c.text) : `<!--${c.text}-->`)).join('')}</${e.name}>`;
  }
  const inner = kids
    .map((c) => `${ind}  ${c.kind === 'element' ? dumpElement(c, depth + 1) : c.kind === 'text' ? escText(c.text) : `<!--${c.text}-->`}\n`)
    .join('');
  return `<${e.name}${attrs}>\n${inner}${ind}</${e.name}>`;
}

function dumpItem(it: Item, depth: number): string {
  if (it.k === 'attr') return ` ${it.name}="${escAttr(it.value)}"`;
  if (it.k === 'text') return escText(it.text);
  return dumpElement(it.e, depth);
}

export function xpathSelect(xml: string, expr: string, wrap: boolean): string {
  const parsed = parsePath(expr);
  if (!parsed) throw internalError(`Incorrect xpath '${expr}'`, 0);
  const root = parseXml(xml);
  const parents = new Map<XmlElement, XmlElement | null>();
  const walk = (e: XmlElement, p: XmlElement | null) => {
    parents.set(e, p);
    for (const c of elements(e)) walk(c, e);
  };
  walk(root, null);
  // The document node: its only child is the root element.
  const doc: XmlElement = { ...root, name: '#document', attrs: [], children: [root] };
  parents.set(root, null);
  // Relative paths start at the root element, as virsh's XPath context does.
  let ctx: Item[] = [{ k: 'el', e: parsed.absolute ? doc : root, parent: null }];
  for (const step of parsed.steps) ctx = applyStep(ctx, step, parents);
  if (wrap) {
    if (!ctx.length) return '<nodes/>\n';
    return `<nodes>\n${ctx.map((it) => `  ${dumpItem(it, 1)}\n`).join('')}</nodes>\n`;
  }
  return ctx.map((it) => `${dumpItem(it, 0)}\n`).join('');
}
