// libvirt RPC messages: the 4-byte length word, the 24-byte header, and the payload codec.
// Pure: bytes in, typed messages out, and back. No sockets.
import { PROGRAMS, registry, type Program } from './protocol.js';
import { XdrError, XdrReader, XdrWriter } from './xdr.js';
import type { ProcInfo } from './xdr-codec.js';

export const MessageType = { CALL: 0, REPLY: 1, MESSAGE: 2, STREAM: 3, CALL_WITH_FDS: 4, REPLY_WITH_FDS: 5, STREAM_HOLE: 6 } as const;
export const MessageStatus = { OK: 0, ERROR: 1, CONTINUE: 2 } as const;

/** Length word + header. */
export const HEADER_SIZE = 28;
/** VIR_NET_MESSAGE_MAX: the largest message, not counting the length word. */
export const MESSAGE_MAX = 33554432;
/** VIR_NET_MESSAGE_LEGACY_PAYLOAD_MAX: chunk size for stream data. */
export const STREAM_CHUNK = 262120;

export interface Header {
  prog: number;
  vers: number;
  proc: number;
  type: number;
  serial: number;
  status: number;
}

/** A message split into header and raw payload bytes. */
export interface Frame {
  header: Header;
  payload: Buffer;
}

export function encodeHeader(w: XdrWriter, h: Header): void {
  w.uint(h.prog);
  w.uint(h.vers);
  w.int(h.proc);
  w.int(h.type);
  w.uint(h.serial);
  w.int(h.status);
}

export function decodeHeader(r: XdrReader): Header {
  return { prog: r.uint(), vers: r.uint(), proc: r.int(), type: r.int(), serial: r.uint(), status: r.int() };
}

/** Starts a message: returns a writer positioned after the header; finish with endMessage. */
export function beginMessage(h: Header, sizeHint = 256): XdrWriter {
  const w = new XdrWriter(sizeHint + HEADER_SIZE, 4);
  encodeHeader(w, h);
  return w;
}

/** Writes the length word and returns the complete message. */
export function endMessage(w: XdrWriter): Buffer {
  const b = w.finish();
  b.writeUInt32BE(b.length, 0);
  return b;
}

/** Encodes a complete message from a header and an XDR-typed body (or raw bytes, or nothing). */
export function encodeMessage(h: Header, typeName: string | null, body?: unknown): Buffer {
  const w = beginMessage(h);
  if (typeName) registry.get(typeName).enc(w, body);
  return endMessage(w);
}

export function encodeRaw(h: Header, data: Uint8Array): Buffer {
  const w = beginMessage(h, data.length);
  w.raw(data);
  return endMessage(w);
}

/** Splits a complete message (with its length word) into header and payload. */
export function decodeFrame(msg: Buffer): Frame {
  if (msg.length < HEADER_SIZE) throw new XdrError(`message too short: ${msg.length} bytes`);
  const len = msg.readUInt32BE(0);
  if (len !== msg.length) throw new XdrError(`length word ${len} does not match message size ${msg.length}`);
  const r = new XdrReader(msg, 4);
  const header = decodeHeader(r);
  return { header, payload: msg.subarray(HEADER_SIZE) };
}

/** Decodes an XDR payload as the named type; the whole payload must be consumed. */
export function decodePayload<T = unknown>(typeName: string, payload: Buffer): T {
  const r = new XdrReader(payload);
  const v = registry.get<T>(typeName).dec(r);
  if (r.remaining !== 0) throw new XdrError(`${r.remaining} trailing bytes after ${typeName}`);
  return v;
}

/**
 * The XDR type of a message's payload, from the program tables: args for calls, ret for OK
 * replies, remote_error for error replies and server stream errors, msg for events, null for
 * void and for raw stream data.
 */
export function payloadType(h: Header, fromServer: boolean): string | null | 'raw' {
  const prog = PROGRAMS.get(h.prog);
  const info: ProcInfo | undefined = prog?.procs.get(h.proc);
  switch (h.type) {
    case MessageType.CALL:
      return info?.args ?? null;
    case MessageType.REPLY:
      if (h.status === MessageStatus.ERROR) return 'remote_error';
      return info?.ret ?? null;
    case MessageType.MESSAGE:
      return info?.msg ?? null;
    case MessageType.STREAM:
      if (h.status === MessageStatus.CONTINUE) return 'raw';
      if (h.status === MessageStatus.ERROR && fromServer) return 'remote_error';
      return null;
    case MessageType.STREAM_HOLE:
      return 'virNetStreamHole';
    default:
      return null;
  }
}

export function findProc(prog: number, proc: number): [Program, ProcInfo] | null {
  const p = PROGRAMS.get(prog);
  const info = p?.procs.get(proc);
  return p && info ? [p, info] : null;
}

export interface FrameReaderOptions {
  /** Largest accepted length word (defaults to 4 + VIR_NET_MESSAGE_MAX). */
  maxLength?: number;
}

/**
 * Reassembles messages from a byte stream. push() returns the complete messages (each with its
 * length word); it throws XdrError on a length word below 28 or above the limit.
 */
export class FrameReader {
  private chunks: Buffer[] = [];
  private have = 0;
  private want = -1;
  readonly maxLength: number;

  constructor(opts: FrameReaderOptions = {}) {
    this.maxLength = opts.maxLength ?? MESSAGE_MAX + 4;
  }

  get buffered(): number {
    return this.have;
  }

  push(chunk: Buffer): Buffer[] {
    const out: Buffer[] = [];
    this.chunks.push(chunk);
    this.have += chunk.length;
    for (;;) {
      if (this.want < 0) {
        if (this.have < 4) break;
        const head = this.take(4, false);
        const len = head.readUInt32BE(0);
        if (len < HEADER_SIZE) throw new XdrError(`packet length ${len} too small`);
        if (len > this.maxLength) throw new XdrError(`packet length ${len} exceeds maximum ${this.maxLength}`);
        this.want = len;
      }
      if (this.have < this.want) break;
      out.push(this.take(this.want, true));
      this.want = -1;
    }
    return out;
  }

  /** Returns the first n bytes; consumes them when consume is set. */
  private take(n: number, consume: boolean): Buffer {
    let b: Buffer;
    if (this.chunks[0].length >= n) b = this.chunks[0].subarray(0, n);
    else {
      const all = Buffer.concat(this.chunks);
      this.chunks = [all];
      b = all.subarray(0, n);
    }
    if (consume) {
      const first = this.chunks[0];
      if (first.length === n) this.chunks.shift();
      else this.chunks[0] = first.subarray(n);
      this.have -= n;
    }
    return b;
  }
}
