// The QMP wire codec: bytes ⇄ typed messages, no sockets, no clock.
//
// QEMU writes each QMP message as one JSON object followed by CRLF (one per line, unless the monitor
// was started with pretty=on, in which case an object spans several lines). The framer therefore
// does not split on newlines: it tracks JSON nesting (string-aware) and cuts a message where its
// outermost object closes. That handles partial chunks, several messages per chunk, pretty output
// and a UTF-8 sequence split between chunks (the bytes it looks at — { } [ ] " \ — are ASCII and
// never occur inside a multi-byte sequence).

export interface QmpVersion {
  qemu: { major: number; minor: number; micro: number };
  package: string;
}
/** The greeting's body: {"QMP": {version, capabilities}}. */
export interface QmpGreeting {
  version: QmpVersion;
  capabilities: string[];
}
export interface QmpTimestamp {
  seconds: number;
  microseconds: number;
}
export interface QmpEvent {
  event: string;
  /** Present when QEMU sent data; an empty object otherwise. */
  data: Record<string, unknown>;
  timestamp: QmpTimestamp;
}
export interface QmpErrorBody {
  class: string;
  desc: string;
}

/** A reply or event as decoded; `raw` is the exact text QEMU sent (without the line terminator). */
export type QmpMessage =
  | { kind: 'greeting'; greeting: QmpGreeting; raw: string }
  | { kind: 'return'; id: unknown; hasId: boolean; value: unknown; reply: Record<string, unknown>; raw: string }
  | { kind: 'error'; id: unknown; hasId: boolean; error: QmpErrorBody; reply: Record<string, unknown>; raw: string }
  | { kind: 'event'; event: QmpEvent; raw: string }
  | { kind: 'invalid'; reason: string; raw: string };

export class QmpFrameError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'QmpFrameError';
  }
}

const LBRACE = 0x7b;
const RBRACE = 0x7d;
const LBRACKET = 0x5b;
const RBRACKET = 0x5d;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const NL = 0x0a;

function isSpace(b: number): boolean {
  return b === 0x20 || b === 0x0a || b === 0x0d || b === 0x09;
}

/**
 * Splits a QMP byte stream into message texts. push() returns every message completed by the chunk
 * (each a JSON object text; bytes outside any object that are not whitespace come back as one text per
 * line, so classify() reports them as invalid instead of silently dropping them).
 */
export class QmpFramer {
  /** Default upper bound for one message (libvirt uses 10 MiB for a reply). */
  static readonly DEFAULT_MAX_MESSAGE = 64 * 1024 * 1024;

  private parts: Buffer[] = [];
  private partLen = 0;
  private depth = 0;
  private inString = false;
  private escape = false;
  /** Collecting non-JSON bytes at top level, up to the next newline. */
  private garbage = false;

  constructor(private readonly maxMessage = QmpFramer.DEFAULT_MAX_MESSAGE) {}

  /** Bytes held for an incomplete message. */
  get buffered(): number {
    return this.partLen;
  }

  push(chunk: Buffer | string): string[] {
    const buf = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
    const out: string[] = [];
    let start = -1; // start of the current message inside buf, or -1 when it began in an earlier chunk
    if (this.depth > 0 || this.garbage) start = 0;
    for (let i = 0; i < buf.length; i++) {
      const b = buf[i];
      if (this.garbage) {
        if (b === NL) {
          this.emit(out, buf, start, i);
          this.garbage = false;
          start = -1;
        }
        continue;
      }
      if (this.depth === 0) {
        if (isSpace(b)) continue;
        start = i;
        if (b === LBRACE || b === LBRACKET) {
          this.depth = 1;
        } else {
          this.garbage = true;
        }
        continue;
      }
      if (this.inString) {
        if (this.escape) this.escape = false;
        else if (b === BACKSLASH) this.escape = true;
        else if (b === QUOTE) this.inString = false;
        continue;
      }
      if (b === QUOTE) this.inString = true;
      else if (b === LBRACE || b === LBRACKET) this.depth++;
      else if (b === RBRACE || b === RBRACKET) {
        this.depth--;
        if (this.depth === 0) {
          this.emit(out, buf, start, i + 1);
          start = -1;
        }
      }
    }
    if (start >= 0) {
      const rest = buf.subarray(start);
      this.partLen += rest.length;
      if (this.partLen > this.maxMessage) {
        this.reset();
        throw new QmpFrameError(`QEMU monitor reply exceeds buffer size (${this.maxMessage} bytes)`);
      }
      // Copy: the caller may reuse its chunk buffer.
      this.parts.push(Buffer.from(rest));
    }
    return out;
  }

  private emit(out: string[], buf: Buffer, start: number, end: number): void {
    const tail = buf.subarray(start, end);
    if (this.partLen + tail.length > this.maxMessage) {
      this.reset();
      throw new QmpFrameError(`QEMU monitor reply exceeds buffer size (${this.maxMessage} bytes)`);
    }
    let text: string;
    if (this.parts.length === 0) {
      text = tail.toString('utf8');
    } else {
      this.parts.push(tail);
      text = Buffer.concat(this.parts, this.partLen + tail.length).toString('utf8');
      this.parts = [];
      this.partLen = 0;
    }
    text = text.trimEnd();
    if (text !== '') out.push(text);
  }

  reset(): void {
    this.parts = [];
    this.partLen = 0;
    this.depth = 0;
    this.inString = false;
    this.escape = false;
    this.garbage = false;
  }
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function parseTimestamp(v: unknown): QmpTimestamp {
  if (isPlainObject(v)) {
    const s = v.seconds;
    const us = v.microseconds;
    if (typeof s === 'number' && typeof us === 'number') return { seconds: s, microseconds: us };
  }
  return { seconds: 0, microseconds: 0 };
}

/** Decodes one message text (as returned by QmpFramer.push) into a typed message. */
export function classify(raw: string): QmpMessage {
  let obj: unknown;
  try {
    obj = JSON.parse(raw);
  } catch (e) {
    return { kind: 'invalid', reason: `cannot parse json ${raw}: ${(e as Error).message}`, raw };
  }
  return classifyValue(obj, raw);
}

/** Like classify() for an already parsed value. */
export function classifyValue(obj: unknown, raw: string): QmpMessage {
  if (!isPlainObject(obj)) return { kind: 'invalid', reason: `Unknown JSON reply '${raw}'`, raw };
  if ('QMP' in obj) {
    const q = obj.QMP;
    if (!isPlainObject(q)) return { kind: 'invalid', reason: `malformed QMP greeting '${raw}'`, raw };
    const caps = Array.isArray(q.capabilities) ? q.capabilities.filter((c): c is string => typeof c === 'string') : [];
    const v = isPlainObject(q.version) ? q.version : {};
    const qv = isPlainObject(v.qemu) ? v.qemu : {};
    const num = (x: unknown) => (typeof x === 'number' ? x : 0);
    const greeting: QmpGreeting = {
      version: {
        qemu: { major: num(qv.major), minor: num(qv.minor), micro: num(qv.micro) },
        package: typeof v.package === 'string' ? v.package : '',
      },
      capabilities: caps,
    };
    return { kind: 'greeting', greeting, raw };
  }
  if ('event' in obj) {
    if (typeof obj.event !== 'string') return { kind: 'invalid', reason: `malformed QMP event '${raw}'`, raw };
    const data = isPlainObject(obj.data) ? obj.data : {};
    return { kind: 'event', event: { event: obj.event, data, timestamp: parseTimestamp(obj.timestamp) }, raw };
  }
  const hasId = 'id' in obj;
  if ('return' in obj) {
    return { kind: 'return', id: obj.id, hasId, value: obj.return, reply: obj, raw };
  }
  if ('error' in obj) {
    const e = isPlainObject(obj.error) ? obj.error : {};
    const error: QmpErrorBody = {
      class: typeof e.class === 'string' ? e.class : 'GenericError',
      desc: typeof e.desc === 'string' ? e.desc : '',
    };
    return { kind: 'error', id: obj.id, hasId, error, reply: obj, raw };
  }
  return { kind: 'invalid', reason: `Unknown JSON reply '${raw}'`, raw };
}

export interface QmpCommand {
  execute: string;
  arguments?: Record<string, unknown>;
  id?: unknown;
  /** Send as "exec-oob" (needs the oob capability negotiated). */
  oob?: boolean;
}

/** Serialises a command as one line: {"execute":…,"arguments":…,"id":…}\r\n. */
export function encodeCommand(cmd: QmpCommand): string {
  const o: Record<string, unknown> = {};
  o[cmd.oob ? 'exec-oob' : 'execute'] = cmd.execute;
  if (cmd.arguments !== undefined) o.arguments = cmd.arguments;
  if (cmd.id !== undefined) o.id = cmd.id;
  return `${JSON.stringify(o)}\r\n`;
}

/** Allocates command ids: `${prefix}${n}` with n counting from 1 (libvirt uses "libvirt-N"). */
export class QmpIdAllocator {
  private n = 0;
  constructor(readonly prefix = 'libvirt-') {}
  next(): string {
    this.n += 1;
    return `${this.prefix}${this.n}`;
  }
}

/** The key under which a reply id is matched to its command (ids may be any JSON value). */
export function idKey(id: unknown): string {
  return JSON.stringify(id) ?? 'undefined';
}

export interface PreparedRawCommand {
  /** The line to write (the user's text, with an id spliced in when it had none), ending in CRLF. */
  line: string;
  /** The id the reply will carry. */
  id: unknown;
  /** Whether the user supplied the id. */
  userId: boolean;
  /** The command name (execute or exec-oob), or null when the object has neither. */
  command: string | null;
}

/**
 * Prepares a user-supplied QMP command (qemu-monitor-command) for sending: checks it is one JSON
 * object and, only when it has no "id", splices `"id":"<newId>"` in before its closing brace.
 * Nothing else is touched: keys, spacing and number spellings (even integers beyond 2^53) reach QEMU
 * exactly as the user wrote them. Throws a plain Error with libvirt's wording when it is not JSON.
 */
export function prepareRawCommand(text: string, newId: () => string): PreparedRawCommand {
  const trimmed = text.trim();
  let obj: unknown;
  try {
    obj = JSON.parse(trimmed);
  } catch (e) {
    throw new Error(`cannot parse json ${text}: ${(e as Error).message}`);
  }
  if (!isPlainObject(obj)) throw new Error(`cannot parse json ${text}: not a JSON object`);
  const command =
    typeof obj.execute === 'string' ? obj.execute : typeof obj['exec-oob'] === 'string' ? (obj['exec-oob'] as string) : null;
  if ('id' in obj) return { line: `${trimmed}\r\n`, id: obj.id, userId: true, command };
  const id = newId();
  // trimmed is a valid object text, so its last character is the closing brace.
  const body = trimmed.slice(0, -1);
  const empty = Object.keys(obj).length === 0;
  const line = `${body}${empty ? '' : ','}"id":${JSON.stringify(id)}}\r\n`;
  return { line, id, userId: false, command };
}
