// The client side of one RPC connection: serial numbers, reply routing (replies may come out of
// order), event messages by (program, procedure), stream packets by serial, and keepalive.
import type { Duplex } from 'node:stream';
import { ErrorCode, ErrorDomain, VirError } from '../../util/errors.js';
import { virErrorFromWire } from '../errors.js';
import type { remote_error } from '../gen/types.js';
import {
  FrameReader, type Header, MessageStatus, MessageType, decodeFrame, decodePayload, encodeMessage, findProc,
} from '../message.js';
import { KEEPALIVE, type Program } from '../protocol.js';
import type { ClientStream } from './stream.js';

interface Pending {
  prog: Program;
  ret: string | null;
  resolve: (v: unknown) => void;
  reject: (e: unknown) => void;
}

export interface RpcClientOptions {
  maxLength?: number;
}

type MessageHandler = (body: unknown) => void;

export function connectionClosedError(detail = 'End of file while reading data: Input/output error'): VirError {
  return new VirError({ code: ErrorCode.SYSTEM_ERROR, domain: ErrorDomain.RPC, message: detail, str1: detail });
}

export class RpcClient {
  private serial = 0;
  private readonly pending = new Map<number, Pending>();
  private readonly handlers = new Map<string, MessageHandler>();
  private readonly streams = new Map<number, ClientStream>();
  private readonly frames: FrameReader;
  private closeError: VirError | null = null;
  private keepaliveTimer: NodeJS.Timeout | null = null;
  private lastRecv = Date.now();
  private missed = 0;
  private readonly closeListeners: ((err: VirError) => void)[] = [];
  /** Resolves when the connection is gone (with the reason). */
  readonly closed: Promise<VirError>;
  private resolveClosed!: (e: VirError) => void;

  constructor(
    private readonly sock: Duplex,
    opts: RpcClientOptions = {},
  ) {
    this.frames = new FrameReader({ maxLength: opts.maxLength });
    this.closed = new Promise((r) => {
      this.resolveClosed = r;
    });
    sock.on('data', (chunk: Buffer) => this.onData(chunk));
    sock.on('error', (e: NodeJS.ErrnoException) => this.shutdown(connectionClosedError(`Cannot recv data: ${e.message}`)));
    sock.on('close', () => this.shutdown(connectionClosedError()));
    sock.on('end', () => this.shutdown(connectionClosedError()));
  }

  get isClosed(): boolean {
    return this.closeError !== null;
  }

  onClose(fn: (err: VirError) => void): void {
    if (this.closeError) fn(this.closeError);
    else this.closeListeners.push(fn);
  }

  /** Registers the handler for asynchronous messages (events) of one procedure. */
  onMessage(prog: Program, proc: string, fn: MessageHandler): void {
    const info = prog.byName.get(proc);
    if (!info) throw new Error(`unknown procedure ${proc}`);
    this.handlers.set(`${prog.prog}:${info.num}`, fn);
  }

  /** Calls a procedure and resolves with its decoded return value (undefined for void). */
  call<T = unknown>(prog: Program, proc: string, args?: unknown, stream?: ClientStream): Promise<T> {
    const info = prog.byName.get(proc);
    if (!info) return Promise.reject(new Error(`unknown procedure ${proc}`));
    if (this.closeError) return Promise.reject(this.closeError);
    const serial = this.serial++ >>> 0;
    const h: Header = { prog: prog.prog, vers: prog.vers, proc: info.num, type: MessageType.CALL, serial, status: MessageStatus.OK };
    let msg: Buffer;
    try {
      msg = encodeMessage(h, info.args, args);
    } catch (e) {
      return Promise.reject(
        new VirError({ code: ErrorCode.RPC, domain: ErrorDomain.RPC, message: `Unable to encode message payload: ${(e as Error).message}` }),
      );
    }
    return new Promise<T>((resolve, reject) => {
      this.pending.set(serial, { prog, ret: info.ret, resolve: resolve as (v: unknown) => void, reject });
      if (stream) {
        stream.attach(this, h);
        this.streams.set(serial, stream);
      }
      this.sock.write(msg);
    });
  }

  /** Sends a raw message (stream packets, keepalive). */
  send(buf: Buffer, cb?: (err?: Error | null) => void): void {
    if (this.closeError) {
      cb?.(this.closeError);
      return;
    }
    this.sock.write(buf, cb);
  }

  dropStream(serial: number): void {
    this.streams.delete(serial);
  }

  /** Starts client keepalive like virsh: PING after `interval` s of silence, give up after `count` unanswered. */
  startKeepalive(interval = 5, count = 6): void {
    if (this.keepaliveTimer || interval <= 0) return;
    this.keepaliveTimer = setInterval(() => {
      if (Date.now() - this.lastRecv < interval * 1000) return;
      if (this.missed >= count) {
        this.destroy(connectionClosedError('connection closed due to keepalive timeout'));
        return;
      }
      this.missed++;
      this.sendKeepalive(1);
    }, interval * 1000);
    this.keepaliveTimer.unref();
  }

  private sendKeepalive(proc: 1 | 2): void {
    this.send(encodeMessage({ prog: KEEPALIVE.prog, vers: 1, proc, type: MessageType.MESSAGE, serial: 0, status: MessageStatus.OK }, null));
  }

  /** Closes the socket and fails everything outstanding. */
  destroy(err: VirError = connectionClosedError('client closed the connection')): void {
    this.shutdown(err);
    this.sock.destroy();
  }

  /** Ends the socket gracefully (after queued writes). */
  end(): void {
    this.sock.end();
  }

  private onData(chunk: Buffer): void {
    this.lastRecv = Date.now();
    this.missed = 0;
    let msgs: Buffer[];
    try {
      msgs = this.frames.push(chunk);
    } catch (e) {
      this.destroy(new VirError({ code: ErrorCode.RPC, domain: ErrorDomain.RPC, message: (e as Error).message }));
      return;
    }
    for (const m of msgs) {
      try {
        this.dispatch(m);
      } catch (e) {
        this.destroy(new VirError({ code: ErrorCode.RPC, domain: ErrorDomain.RPC, message: `Unable to decode message: ${(e as Error).message}` }));
        return;
      }
    }
  }

  private dispatch(m: Buffer): void {
    const { header: h, payload } = decodeFrame(m);
    if (h.prog === KEEPALIVE.prog) {
      if (h.proc === 1) this.sendKeepalive(2);
      return;
    }
    switch (h.type) {
      case MessageType.REPLY: {
        const p = this.pending.get(h.serial);
        if (!p || p.prog.prog !== h.prog) return;
        this.pending.delete(h.serial);
        if (h.status === MessageStatus.ERROR) {
          const err = virErrorFromWire(decodePayload<remote_error>('remote_error', payload));
          const s = this.streams.get(h.serial);
          if (s) {
            this.streams.delete(h.serial);
            s.destroy(err);
          }
          p.reject(err);
        } else p.resolve(p.ret ? decodePayload(p.ret, payload) : undefined);
        return;
      }
      case MessageType.MESSAGE: {
        const fn = this.handlers.get(`${h.prog}:${h.proc}`);
        if (!fn) return;
        const info = findProc(h.prog, h.proc)?.[1];
        fn(info?.msg ? decodePayload(info.msg, payload) : undefined);
        return;
      }
      case MessageType.STREAM: {
        this.streams.get(h.serial)?.onPacket(h, payload);
        return;
      }
      default:
        return;
    }
  }

  private shutdown(err: VirError): void {
    if (this.closeError) return;
    this.closeError = err;
    if (this.keepaliveTimer) clearInterval(this.keepaliveTimer);
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
    for (const s of this.streams.values()) s.destroy(err);
    this.streams.clear();
    for (const fn of this.closeListeners.splice(0)) fn(err);
    this.resolveClosed(err);
  }
}
