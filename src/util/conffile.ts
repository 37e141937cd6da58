// libvirt's configuration file syntax (qemu.conf, libvirtd.conf, libvirt.conf):
//
//   # comment to end of line
//   name = "string"            (or 'string', or """multi-line string""")
//   name = 42                  (integers, optional sign; booleans are written 0 / 1)
//   name = [ "a", "b", ]       (lists; newlines and a trailing comma allowed)
//   a = 1; b = 2               (';' separates statements on one line)
//
// Names start with a letter or '_' and continue with letters, digits, '_' and '.'.
// Strings have no escapes. Errors are VIR_ERR_CONF_SYNTAX with "FILE:LINE: reason" as libvirt prints.
import { readFile } from 'node:fs/promises';
import { ErrorCode, ErrorDomain, fromSystemError, virError } from './errors.js';

/** A parsed value. Files only produce strings, numbers and lists; booleans come from callers' defaults. */
export type ConfValue = string | number | boolean | ConfValue[];

export interface ConfEntry {
  name: string;
  value: ConfValue;
  line: number;
}

class Parser {
  pos = 0;
  line = 1;
  constructor(
    private readonly s: string,
    private readonly file: string,
  ) {}

  fail(reason: string): never {
    throw virError(ErrorCode.CONF_SYNTAX, ErrorDomain.CONF, `${this.file}:${this.line}: ${reason}`);
  }
  c(): string {
    return this.s[this.pos] ?? '';
  }
  get eof(): boolean {
    return this.pos >= this.s.length;
  }
  skipBlanks(): void {
    while (!this.eof && (this.c() === ' ' || this.c() === '\t')) this.pos++;
  }
  skipComment(): void {
    while (!this.eof && this.c() !== '\n' && this.c() !== '\r') this.pos++;
  }
  /** Blanks, newlines and comments (used between statements and inside lists). */
  skipBlanksEolComments(): void {
    while (!this.eof) {
      const c = this.c();
      if (c === ' ' || c === '\t' || c === '\r') this.pos++;
      else if (c === '\n') {
        this.line++;
        this.pos++;
      } else if (c === '#') this.skipComment();
      else break;
    }
  }

  name(): string {
    const start = this.pos;
    if (!/[A-Za-z_]/.test(this.c())) this.fail('expecting a name');
    this.pos++;
    while (!this.eof && /[A-Za-z0-9_.]/.test(this.c())) this.pos++;
    return this.s.slice(start, this.pos);
  }

  string(): string {
    const q = this.c();
    if (q === '"' && this.s.startsWith('"""', this.pos)) {
      const end = this.s.indexOf('"""', this.pos + 3);
      if (end < 0) this.fail('unterminated string');
      const v = this.s.slice(this.pos + 3, end);
      for (const ch of v) if (ch === '\n') this.line++;
      this.pos = end + 3;
      return v;
    }
    this.pos++;
    const start = this.pos;
    while (!this.eof && this.c() !== q && this.c() !== '\n') this.pos++;
    if (this.c() !== q) this.fail('unterminated string');
    const v = this.s.slice(start, this.pos);
    this.pos++;
    return v;
  }

  number(): number {
    const m = /^[-+]?[0-9]+/.exec(this.s.slice(this.pos, this.pos + 40));
    if (!m) this.fail('unterminated number');
    this.pos += m[0].length;
    const n = Number(m[0]);
    if (!Number.isSafeInteger(n)) this.fail('numerical overflow');
    return n;
  }

  value(): ConfValue {
    const c = this.c();
    if (c === '"' || c === "'") return this.string();
    if (c === '-' || c === '+' || (c >= '0' && c <= '9')) return this.number();
    if (c === '[') {
      this.pos++;
      const list: ConfValue[] = [];
      this.skipBlanksEolComments();
      if (!this.eof && this.c() !== ']') {
        list.push(this.value());
        this.skipBlanksEolComments();
      }
      while (!this.eof && this.c() !== ']') {
        if (this.c() !== ',') this.fail('expecting a separator in list');
        this.pos++;
        this.skipBlanksEolComments();
        if (this.c() === ']') break;
        list.push(this.value());
        this.skipBlanksEolComments();
      }
      if (this.c() !== ']') this.fail('list is not closed with ]');
      this.pos++;
      return list;
    }
    return this.fail('expecting a value');
  }

  /** One statement; returns null for a comment or the end of input. */
  statement(): ConfEntry | null {
    this.skipBlanksEolComments();
    if (this.eof) return null;
    const line = this.line;
    const name = this.name();
    this.skipBlanks();
    if (this.c() !== '=') this.fail('expecting an assignment');
    this.pos++;
    this.skipBlanks();
    const value = this.value();
    this.skipBlanks();
    if (this.c() === '#') this.skipComment();
    return { name, value, line };
  }

  separator(): void {
    this.skipBlanks();
    if (this.eof) return;
    if (this.c() === '\n' || this.c() === '\r') return;
    if (this.c() === ';') {
      this.pos++;
      return;
    }
    this.fail('expecting a separator');
  }
}

/** Parses conf-file text into entries in file order (duplicates kept). */
export function parseConfEntries(text: string, file = '(string)'): ConfEntry[] {
  const p = new Parser(text, file);
  const out: ConfEntry[] = [];
  for (;;) {
    const e = p.statement();
    if (!e) break;
    out.push(e);
    p.separator();
  }
  return out;
}

/**
 * Parses conf-file text into a record. When a name appears more than once the first value wins,
 * as virConfGetValue returns the first matching entry.
 */
export function parseConf(text: string, file = '(string)'): Record<string, ConfValue> {
  const out: Record<string, ConfValue> = Object.create(null);
  for (const e of parseConfEntries(text, file)) if (!(e.name in out)) out[e.name] = e.value;
  return out;
}

/** Reads and parses a conf file; a missing file yields an empty record (libvirt treats it as defaults). */
export async function readConfFile(path: string): Promise<Record<string, ConfValue>> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return Object.create(null);
    throw fromSystemError(`Failed to open file '${path}'`, e, ErrorDomain.CONF);
  }
  return parseConf(text, path);
}
