// JSON re-formatting as libvirt 9.0 does it (virJSONValueToString over yajl): numbers keep their
// source text, strings are re-escaped yajl's way (only '"', '\\', control characters; non-ASCII stays
// raw), and pretty output uses two-space indentation, "key": value, empty containers as "{\n\n}",
// and a final newline.

type JNode =
  | { t: 'obj'; v: Array<[string, JNode]> }
  | { t: 'arr'; v: JNode[] }
  | { t: 'str'; v: string }
  | { t: 'lit'; v: string }; // number, true, false, null: source text

class JSONSyntaxError extends Error {}

function parse(text: string): JNode {
  let i = 0;
  const ws = () => {
    while (i < text.length && ' \t\r\n'.includes(text[i])) i++;
  };
  const fail = (): never => {
    throw new JSONSyntaxError(`invalid JSON at offset ${i}`);
  };
  const str = (): string => {
    i++; // opening quote
    let out = '';
    for (;;) {
      if (i >= text.length) fail();
      const c = text[i++];
      if (c === '"') return out;
      if (c !== '\\') {
        out += c;
        continue;
      }
      const e = text[i++];
      switch (e) {
        case '"': out += '"'; break;
        case '\\': out += '\\'; break;
        case '/': out += '/'; break;
        case 'b': out += '\b'; break;
        case 'f': out += '\f'; break;
        case 'n': out += '\n'; break;
        case 'r': out += '\r'; break;
        case 't': out += '\t'; break;
        case 'u': {
          const h = text.slice(i, i + 4);
          if (!/^[0-9a-fA-F]{4}$/.test(h)) fail();
          out += String.fromCharCode(Number.parseInt(h, 16));
          i += 4;
          break;
        }
        default: fail();
      }
    }
  };
  const value = (): JNode => {
    ws();
    const c = text[i];
    if (c === '{') {
      i++;
      const v: Array<[string, JNode]> = [];
      ws();
      if (text[i] === '}') {
        i++;
        return { t: 'obj', v };
      }
      for (;;) {
        ws();
        if (text[i] !== '"') fail();
        const k = str();
        ws();
        if (text[i++] !== ':') fail();
        v.push([k, value()]);
        ws();
        const d = text[i++];
        if (d === '}') return { t: 'obj', v };
        if (d !== ',') fail();
      }
    }
    if (c === '[') {
      i++;
      const v: JNode[] = [];
      ws();
      if (text[i] === ']') {
        i++;
        return { t: 'arr', v };
      }
      for (;;) {
        v.push(value());
        ws();
        const d = text[i++];
        if (d === ']') return { t: 'arr', v };
        if (d !== ',') fail();
      }
    }
    if (c === '"') return { t: 'str', v: str() };
    const m = /^(?:-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?|true|false|null)/.exec(text.slice(i, i + 400));
    if (!m) fail();
    i += (m as RegExpExecArray)[0].length;
    return { t: 'lit', v: (m as RegExpExecArray)[0] };
  };
  const root = value();
  ws();
  if (i !== text.length) fail();
  return root;
}

/** yajl_string_encode (without solidus escaping). */
function encodeString(s: string): string {
  let out = '"';
  for (const ch of s) {
    const c = ch.charCodeAt(0);
    switch (ch) {
      case '"': out += '\\"'; break;
      case '\\': out += '\\\\'; break;
      case '\b': out += '\\b'; break;
      case '\f': out += '\\f'; break;
      case '\n': out += '\\n'; break;
      case '\r': out += '\\r'; break;
      case '\t': out += '\\t'; break;
      default:
        out += c < 0x20 ? `\\u00${c.toString(16).toUpperCase().padStart(2, '0')}` : ch;
    }
  }
  return `${out}"`;
}

function emit(n: JNode, pretty: boolean, depth: number): string {
  const ind = (d: number) => (pretty ? '  '.repeat(d) : '');
  const nl = pretty ? '\n' : '';
  switch (n.t) {
    case 'str':
      return encodeString(n.v);
    case 'lit':
      return n.v;
    case 'arr':
      if (!pretty) return `[${n.v.map((x) => emit(x, false, 0)).join(',')}]`;
      return `[\n${n.v.map((x) => ind(depth + 1) + emit(x, true, depth + 1)).join(',\n')}${nl}${ind(depth)}]`;
    case 'obj':
      if (!pretty) return `{${n.v.map(([k, x]) => `${encodeString(k)}:${emit(x, false, 0)}`).join(',')}}`;
      return `{\n${n.v
        .map(([k, x]) => `${ind(depth + 1)}${encodeString(k)}: ${emit(x, true, depth + 1)}`)
        .join(',\n')}${nl}${ind(depth)}}`;
  }
}

/**
 * Re-formats JSON text like virJSONValueToString(value, pretty). Pretty output ends with a newline,
 * as yajl's does. Returns null when the text is not JSON.
 */
export function reformatJSON(text: string, pretty: boolean): string | null {
  try {
    const s = emit(parse(text), pretty, 0);
    return pretty ? `${s}\n` : s;
  } catch (e) {
    if (e instanceof JSONSyntaxError) return null;
    throw e;
  }
}

/** The member `key` of a JSON object text, re-formatted; undefined if absent, null if not JSON. */
export function jsonMember(text: string, key: string, pretty: boolean): string | null | undefined {
  let root: JNode;
  try {
    root = parse(text);
  } catch {
    return null;
  }
  if (root.t !== 'obj') return undefined;
  const m = root.v.find(([k]) => k === key);
  if (!m) return undefined;
  const s = emit(m[1], pretty, 0);
  return pretty ? `${s}\n` : s;
}
