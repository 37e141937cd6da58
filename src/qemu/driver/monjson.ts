// qemu-monitor-command's JSON as libvirt hands it back: the command gets libvirt's id (a command with
// an id of its own is refused), and QEMU's reply is parsed and written out again compactly — keys in
// the order QEMU sent them, number spellings as QEMU wrote them, strings escaped as json-c escapes them
// (", \, \b \f \n \r \t, other control characters as \u00XX; '/' and non-ASCII characters as they are).
import { ErrorCode, ErrorDomain, virError } from '../../util/errors.js';

/** libvirt adds "id" to the user's command and fails when the object already has one. */
export function checkMonitorCommand(json: string): void {
  let obj: unknown;
  try {
    obj = JSON.parse(json);
  } catch {
    return; // the monitor client reports unparsable input with libvirt's text
  }
  if (obj && typeof obj === 'object' && !Array.isArray(obj) && Object.hasOwn(obj, 'id')) {
    throw virError(ErrorCode.INTERNAL_ERROR, ErrorDomain.QEMU, "Unable to append command 'id' string");
  }
}

function escapeJsonC(s: string): string {
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    switch (c) {
      case 0x22:
        out += '\\"';
        break;
      case 0x5c:
        out += '\\\\';
        break;
      case 0x08:
        out += '\\b';
        break;
      case 0x0c:
        out += '\\f';
        break;
      case 0x0a:
        out += '\\n';
        break;
      case 0x0d:
        out += '\\r';
        break;
      case 0x09:
        out += '\\t';
        break;
      default:
        out += c < 0x20 ? `\\u${c.toString(16).padStart(4, '0')}` : s[i];
    }
  }
  return `${out}"`;
}

/**
 * One JSON text without insignificant whitespace, strings re-escaped as above; anything that is not
 * valid JSON is returned unchanged.
 */
export function compactJSON(text: string): string {
  let out = '';
  let i = 0;
  const n = text.length;
  try {
    while (i < n) {
      const ch = text[i];
      if (ch === ' ' || ch === '\t' || ch === '\n' || ch === '\r') {
        i++;
      } else if (ch === '"') {
        let j = i + 1;
        while (j < n && text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
        if (j >= n) return text;
        out += escapeJsonC(JSON.parse(text.slice(i, j + 1)) as string);
        i = j + 1;
      } else {
        out += ch;
        i++;
      }
    }
  } catch {
    return text;
  }
  try {
    JSON.parse(out);
  } catch {
    return text;
  }
  return out;
}
