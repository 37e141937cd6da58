// A small ordered XML tree on top of saxes (strict, namespace-aware, never expands DTD entities),
// plus the writer libvirt's formatters use: 2-space indent, single-quoted attributes.
import { SaxesParser } from 'saxes';
import { ErrorCode, ErrorDomain, VirError } from './errors.js';

export interface XmlAttr {
  /** Qualified name as written, e.g. `type` or `xmlns:qemu`. */
  name: string;
  local: string;
  prefix: string;
  uri: string;
  value: string;
}

export interface XmlElement {
  kind: 'element';
  /** Qualified name as written (`qemu:commandline`). */
  name: string;
  local: string;
  prefix: string;
  /** Resolved namespace URI ('' for none). */
  uri: string;
  attrs: XmlAttr[];
  children: XmlNode[];
  line: number;
  column: number;
}

export interface XmlText {
  kind: 'text';
  text: string;
}
export interface XmlComment {
  kind: 'comment';
  text: string;
}
export type XmlNode = XmlElement | XmlText | XmlComment;

/**
 * Parses a document. Malformed input raises libvirt's XML error with line and column
 * ("XML error: ...: line L, column C"). A DOCTYPE is refused outright: entities are never expanded.
 */
export function parseXml(text: string, what = '(domain_definition)'): XmlElement {
  const parser = new SaxesParser({ xmlns: true, position: true });
  const stack: XmlElement[] = [];
  let root: XmlElement | undefined;
  let failure: string | undefined;
  parser.on('error', (err: Error) => {
    if (failure === undefined) failure = err.message;
    throw err;
  });
  parser.on('doctype', () => {
    throw new Error(`${parser.line}:${parser.column}: DOCTYPE is not allowed`);
  });
  parser.on('opentag', (tag) => {
    const attrs: XmlAttr[] = [];
    for (const a of Object.values(tag.attributes)) {
      const at = a as { name: string; local: string; prefix: string; uri: string; value: string };
      attrs.push({ name: at.name, local: at.local, prefix: at.prefix, uri: at.uri, value: at.value });
    }
    const el: XmlElement = {
      kind: 'element',
      name: tag.name,
      local: tag.local ?? tag.name,
      prefix: tag.prefix ?? '',
      uri: tag.uri ?? '',
      attrs,
      children: [],
      line: parser.line,
      column: parser.column,
    };
    const parent = stack[stack.length - 1];
    if (parent) parent.children.push(el);
    else root = el;
    stack.push(el);
  });
  parser.on('closetag', () => {
    stack.pop();
  });
  parser.on('text', (t: string) => {
    const parent = stack[stack.length - 1];
    if (parent) parent.children.push({ kind: 'text', text: t });
  });
  parser.on('cdata', (t: string) => {
    const parent = stack[stack.length - 1];
    if (parent) parent.children.push({ kind: 'text', text: t });
  });
  parser.on('comment', (t: string) => {
    const parent = stack[stack.length - 1];
    if (parent) parent.children.push({ kind: 'comment', text: t });
  });
  try {
    parser.write(text).close();
  } catch (e) {
    const msg = failure ?? (e as Error).message;
    // saxes messages look like "2:15: unexpected close tag." — make them libvirt-like.
    const m = /^(\d+):(\d+): (.*)$/s.exec(msg);
    const detail = m ? `${what}:${m[1]}: ${m[3].replace(/\.$/, '')}, line ${m[1]}, column ${m[2]}` : `${what}: ${msg}`;
    throw new VirError({
      code: ErrorCode.XML_ERROR,
      domain: ErrorDomain.XML,
      message: `XML error: ${detail}`,
    });
  }
  if (!root) {
    throw new VirError({ code: ErrorCode.XML_ERROR, domain: ErrorDomain.XML, message: `XML error: ${what}: document is empty` });
  }
  return root;
}

// ---- reading helpers -------------------------------------------------------------------------

export function attr(el: XmlElement | undefined, name: string): string | undefined {
  if (!el) return undefined;
  for (const a of el.attrs) if (a.name === name) return a.value;
  return undefined;
}

/** Child elements in no namespace (libvirt's own elements), optionally by local name. */
export function children(el: XmlElement | undefined, name?: string): XmlElement[] {
  if (!el) return [];
  const out: XmlElement[] = [];
  for (const c of el.children) {
    if (c.kind === 'element' && c.uri === '' && (name === undefined || c.local === name)) out.push(c);
  }
  return out;
}

export function child(el: XmlElement | undefined, name: string): XmlElement | undefined {
  if (!el) return undefined;
  for (const c of el.children) if (c.kind === 'element' && c.uri === '' && c.local === name) return c;
  return undefined;
}

/** Child elements in a given namespace URI. */
export function childrenNS(el: XmlElement | undefined, uri: string, name?: string): XmlElement[] {
  if (!el) return [];
  const out: XmlElement[] = [];
  for (const c of el.children) {
    if (c.kind === 'element' && c.uri === uri && (name === undefined || c.local === name)) out.push(c);
  }
  return out;
}

/** Concatenated text content (direct and nested). */
export function textOf(el: XmlElement | undefined): string | undefined {
  if (!el) return undefined;
  let s = '';
  const walk = (e: XmlElement) => {
    for (const c of e.children) {
      if (c.kind === 'text') s += c.text;
      else if (c.kind === 'element') walk(c);
    }
  };
  walk(el);
  return s;
}

/** Text of a child element, trimmed; undefined when the child is absent. */
export function childText(el: XmlElement | undefined, name: string): string | undefined {
  const c = child(el, name);
  return c ? textOf(c)?.trim() : undefined;
}

/** Follows a path of child element names ("os/type"). */
export function path(el: XmlElement | undefined, p: string): XmlElement | undefined {
  let cur = el;
  for (const part of p.split('/')) cur = child(cur, part);
  return cur;
}

// ---- writing ---------------------------------------------------------------------------------

/** Attribute list in output order; undefined/null values are skipped, so callers can write optional attrs inline. */
export type AttrList = Array<[string, string | number | boolean | undefined | null]>;

export interface OutElement {
  name: string;
  attrs: AttrList;
  /** Child elements, or raw text content. */
  children: Array<OutElement | string>;
  /** Pre-rendered XML kept verbatim (e.g. <metadata> contents), indented to the element's depth. */
  raw?: string[];
}

/** Builds an output element. Children that are undefined/null/false are dropped. */
export function el(
  name: string,
  attrs: AttrList = [],
  ...kids: Array<OutElement | string | undefined | null | false | Array<OutElement | undefined | null | false>>
): OutElement {
  const out: Array<OutElement | string> = [];
  for (const k of kids) {
    if (Array.isArray(k)) {
      for (const x of k) if (x) out.push(x);
    } else if (k !== undefined && k !== null && k !== false) out.push(k);
  }
  return { name, attrs, children: out };
}

/** True when an element carries neither attributes with values nor children (used to omit empty wrappers). */
export function isEmpty(e: OutElement): boolean {
  return e.children.length === 0 && !e.raw?.length && e.attrs.every(([, v]) => v === undefined || v === null);
}

export function escapeText(s: string): string {
  return s.replace(/[&<>"']/g, (c) =>
    c === '&' ? '&amp;' : c === '<' ? '&lt;' : c === '>' ? '&gt;' : c === '"' ? '&quot;' : '&apos;',
  );
}

function fmtAttrs(attrs: AttrList): string {
  let s = '';
  for (const [k, v] of attrs) {
    if (v === undefined || v === null) continue;
    s += ` ${k}='${escapeText(String(v))}'`;
  }
  return s;
}

/** Name of a node that emits its `raw` lines verbatim at its place in the tree. */
export const RAW = '#raw';

/** Renders an element tree in libvirt's layout: 2-space indent, one element per line, trailing newline. */
export function formatXml(root: OutElement, indent = 0): string {
  const lines: string[] = [];
  write(root, indent, lines);
  return lines.join('\n') + '\n';
}

function write(e: OutElement, depth: number, lines: string[]): void {
  const pad = ' '.repeat(depth);
  // A '#raw' node stands for pre-rendered lines (verbatim sub-trees such as <metadata> content or
  // unmodelled elements), indented in place.
  if (e.name === RAW) {
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

/**
 * Re-serialises a parsed subtree (for opaque content such as <metadata> children), libvirt style:
 * namespace declarations kept, 2-space indent, whitespace-only text dropped.
 */
export function serializeNode(node: XmlElement, extraAttrs: AttrList = []): string[] {
  const lines: string[] = [];
  const rec = (e: XmlElement, depth: number) => {
    const pad = ' '.repeat(depth);
    const attrs: AttrList = [...(depth === 0 ? extraAttrs : []), ...e.attrs.map((x) => [x.name, x.value] as [string, string])];
    const a = fmtAttrs(attrs);
    const kids = e.children.filter((c) => !(c.kind === 'text' && c.text.trim() === '') && c.kind !== 'comment');
    if (kids.length === 0) {
      lines.push(`${pad}<${e.name}${a}/>`);
    } else if (kids.every((c) => c.kind === 'text')) {
      lines.push(`${pad}<${e.name}${a}>${escapeText(kids.map((c) => (c as XmlText).text).join(''))}</${e.name}>`);
    } else {
      lines.push(`${pad}<${e.name}${a}>`);
      for (const c of kids) {
        if (c.kind === 'element') rec(c, depth + 2);
        else if (c.kind === 'text') lines.push(pad + '  ' + escapeText(c.text.trim()));
      }
      lines.push(`${pad}</${e.name}>`);
    }
  };
  rec(node, 0);
  return lines;
}
