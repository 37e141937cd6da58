// One connected client of tsvirtd: framing, per-client call limit (reads pause while
// max_client_requests calls are in flight), output backlog limit, keepalive, and the client's
// event callbacks and streams. Decoding and running calls is dispatch.ts's job.
import type { Socket } from 'node:net';
import {
  FrameReader, type Header, MessageStatus, MessageType, decodeFrame, encodeMessage,
} from '../message.js';
import { KEEPALIVE } from '../protocol.js';
import type { PeerCred } from './peercred.js';

export interface ServerLimits {
  /** max_client_requests: calls one client may have in flight. */
  maxClientRequests: number;
  /** Largest accepted message, length word included. */
  maxMessageSize: number;
  /** Output bytes queued for a client that does not read before it is dropped. */
  maxQueuedBytes: number;
  /** keepalive_interval (s; <= 0 disables) and keepalive_count. */
  keepaliveInterval: number;
  keepaliveCount: number;
}

export const DEFAULT_LIMITS: ServerLimits = {
  maxClientRequests: 5,
  maxMessageSize: 33554432 + 4,
  maxQueuedBytes: 64 * 1024 * 1024,
  keepaliveInterval: 5,
  keepaliveCount: 5,
};

/** Something a client holds that must be released when it goes away (event callback, stream). */
export interface Closable {
  close(): void;
}

export interface ClientHooks {
  /** Runs one CALL; resolves when the reply has been queued. */
  call(client: ServerClient, h: Header, payload: Buffer): Promise<void>;
  /** Replies to a call type the server does not take (e.g. CALL_WITH_FDS). */
  reject(client: ServerClient, h: Header, message: string): void;
  log(msg: string): void;
  closed(client: ServerClient): void;
}

let nextClientId = 1;

export class ServerClient {
  readonly id = nextClientId++;
  /** Set on CONNECT_OPEN. */
  opened = false;
  /** The connection is read-only: it came in on the -ro socket or opened with VIR_CONNECT_RO. */
  readonly: boolean;
  /** Event callbacks by callbackID. */
  readonly callbacks = new Map<number, Closable>();
  /** Streams by the serial of the call that opened them. */
  readonly streams = new Map<number, { onPacket(h: Header, payload: Buffer): void; abort(): void }>();
  private readonly frames: FrameReader;
  private readonly backlog: Buffer[] = [];
  private inflight = 0;
  private paused = false;
  private dead = false;
  private keepaliveTimer: NodeJS.Timeout | null = null;
  private lastRecv = Date.now();
  private missed = 0;

  constructor(
    readonly sock: Socket,
    readonly identity: PeerCred | null,
    readonly listenerReadonly: boolean,
    readonly transport: 'unix' | 'tcp',
    private readonly limits: ServerLimits,
    private readonly hooks: ClientHooks,
  ) {
    this.readonly = listenerReadonly;
    this.frames = new FrameReader({ maxLength: limits.maxMessageSize });
    sock.on('data', (chunk: Buffer) => this.onData(chunk));
    sock.on('error', () => this.close('socket error'));
    sock.on('close', () => this.close('connection closed'));
    sock.on('end', () => this.close('end of file'));
  }

  get isClosed(): boolean {
    return this.dead;
  }

  describe(): string {
    const who = this.identity ? `uid=${this.identity.uid} gid=${this.identity.gid} pid=${this.identity.pid}` : 'peer unknown';
    return `client ${this.id} (${this.transport}${this.listenerReadonly ? ', read-only socket' : ''}, ${who})`;
  }

  /** Queues bytes for the client; a client whose backlog grows past the limit is dropped. */
  send(buf: Buffer): void {
    if (this.dead) return;
    this.sock.write(buf);
    if (this.sock.writableLength > this.limits.maxQueuedBytes) {
      this.close(`output backlog of ${this.sock.writableLength} bytes: client is not reading`);
    }
  }

  /** Replies with a typed body (OK) for the call in h. */
  reply(h: Header, typeName: string | null, body?: unknown): void {
    this.send(encodeMessage({ ...h, type: MessageType.REPLY, status: MessageStatus.OK }, typeName, body));
  }

  /** Sends an asynchronous message (event): type MESSAGE, serial 1 as libvirtd does. */
  event(prog: number, proc: number, typeName: string, body: unknown): void {
    this.send(encodeMessage({ prog, vers: 1, proc, type: MessageType.MESSAGE, serial: 1, status: MessageStatus.OK }, typeName, body));
  }

  /** virNetServerClientStartKeepAlive: PING after interval s of silence, drop after count misses. */
  startKeepalive(): void {
    const { keepaliveInterval: interval, keepaliveCount: count } = this.limits;
    if (this.keepaliveTimer || interval <= 0 || this.dead) return;
    this.keepaliveTimer = setInterval(() => {
      if (Date.now() - this.lastRecv < interval * 1000) return;
      if (this.missed >= count) {
        this.close('keepalive timeout');
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

  /** Ends the connection after the queued replies are written (CONNECT_CLOSE). */
  closeAfterFlush(): void {
    if (this.dead) return;
    this.sock.end();
  }

  close(reason: string): void {
    if (this.dead) return;
    this.dead = true;
    if (this.keepaliveTimer) clearInterval(this.keepaliveTimer);
    for (const c of this.callbacks.values()) c.close();
    this.callbacks.clear();
    for (const s of this.streams.values()) s.abort();
    this.streams.clear();
    this.backlog.length = 0;
    this.sock.destroy();
    this.hooks.log(`${this.describe()} disconnected: ${reason}`);
    this.hooks.closed(this);
  }

  private onData(chunk: Buffer): void {
    if (this.dead) return;
    this.lastRecv = Date.now();
    this.missed = 0;
    let msgs: Buffer[];
    try {
      msgs = this.frames.push(chunk);
    } catch (e) {
      this.close(`malformed input: ${(e as Error).message}`);
      return;
    }
    for (const m of msgs) this.backlog.push(m);
    this.pump();
  }

  /** Handles queued messages while fewer than max_client_requests calls are in flight. */
  private pump(): void {
    while (this.backlog.length > 0 && !this.dead) {
      const m = this.backlog[0];
      const h = decodeFrame(m).header;
      const isCall = h.type === MessageType.CALL && h.prog !== KEEPALIVE.prog;
      if (isCall && this.inflight >= this.limits.maxClientRequests) break;
      this.backlog.shift();
      this.handle(h, m.subarray(28), isCall);
    }
    const shouldPause = this.backlog.length > 0;
    if (shouldPause !== this.paused && !this.dead) {
      this.paused = shouldPause;
      if (shouldPause) this.sock.pause();
      else this.sock.resume();
    }
  }

  private handle(h: Header, payload: Buffer, isCall: boolean): void {
    if (h.prog === KEEPALIVE.prog) {
      if (h.type === MessageType.MESSAGE && h.proc === 1) this.sendKeepalive(2);
      return;
    }
    if (isCall) {
      this.inflight++;
      this.hooks
        .call(this, h, payload)
        .catch((e) => this.hooks.log(`${this.describe()}: dispatch failed: ${(e as Error).message}`))
        .finally(() => {
          this.inflight--;
          this.pump();
        });
      return;
    }
    if (h.type === MessageType.STREAM) {
      this.streams.get(h.serial)?.onPacket(h, payload);
      return;
    }
    if (h.type === MessageType.CALL_WITH_FDS) {
      this.hooks.reject(this, h, 'file descriptor passing is not supported by tsvirtd');
    }
    // Replies, events and unknown types from a client are ignored, as libvirtd does.
  }
}
