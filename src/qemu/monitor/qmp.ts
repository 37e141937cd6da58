// QmpClient: a small generic QMP client over a UNIX stream socket — the protocol, not the
// vocabulary. Typed commands belong to a layer above.
//
// Commands are pipelined: each carries an id ("libvirt-N") and its reply is matched by id. QEMU
// answers in-band commands in the order it received them, so a reply without an id (QEMU's answer to
// input it could not parse far enough to find the id) goes to the oldest outstanding command.
import { EventEmitter } from 'node:events';
import { type FSWatcher, watch } from 'node:fs';
import * as net from 'node:net';
import { dirname } from 'node:path';
import { ErrorCode, ErrorDomain, VirError, describeErrno, virError } from '../../util/errors.js';
import {
  type QmpErrorBody,
  type QmpEvent,
  QmpFramer,
  type QmpGreeting,
  QmpIdAllocator,
  type QmpMessage,
  classify,
  encodeCommand,
  idKey,
  prepareRawCommand,
} from './codec.js';

export type { QmpEvent, QmpGreeting, QmpErrorBody, QmpTimestamp } from './codec.js';

export interface QmpConnectOptions {
  /** Deadline for greeting + capability negotiation, and for the socket when retrying (default 30 s). */
  timeoutMs?: number;
  signal?: AbortSignal;
  /** Keep retrying connect() while the socket is missing or refuses, for up to this long (default: no retry). */
  retryUntilMs?: number;
  /** Domain name, used in error texts the way libvirt does ("End of file from qemu monitor (vm='x')"). */
  name?: string;
  /** Capabilities to enable in qmp_capabilities (e.g. ['oob']); only those QEMU offers are sent. */
  capabilities?: string[];
  /** Default per-command timeout in ms for execute() (0 or unset: none). */
  commandTimeoutMs?: number;
  /** Prefix of generated command ids (default "libvirt-", as libvirt's qemu-monitor-command output shows). */
  idPrefix?: string;
}

export interface QmpExecuteOptions {
  /** Reject if no reply arrived within this many ms (overrides the client default; 0: none). */
  timeoutMs?: number;
  signal?: AbortSignal;
  /** Send as exec-oob. */
  oob?: boolean;
}

/** A QMP error reply, as libvirt reports it: INTERNAL_ERROR "unable to execute QEMU command 'X': desc". */
export class QmpCommandError extends VirError {
  readonly command: string;
  /** QMP error class, e.g. "GenericError", "CommandNotFound", "DeviceNotFound". */
  readonly errorClass: string;
  readonly desc: string;
  constructor(command: string, error: QmpErrorBody) {
    const detail = `unable to execute QEMU command '${command}': ${error.desc || 'unknown QEMU command error'}`;
    super({
      code: ErrorCode.INTERNAL_ERROR,
      domain: ErrorDomain.QEMU,
      message: `internal error: ${detail}`,
      str1: detail,
    });
    this.name = 'QmpCommandError';
    this.command = command;
    this.errorClass = error.class;
    this.desc = error.desc;
  }
}

interface Pending {
  key: string;
  command: string;
  /** Resolve with the whole reply object (raw commands) instead of its "return" member. */
  wantReply: boolean;
  wantText: boolean;
  resolve: (v: unknown) => void;
  reject: (e: Error) => void;
  /** Set when the caller gave up (timeout/abort): the entry stays to keep FIFO order for id-less replies. */
  abandoned: boolean;
  cleanup: () => void;
}

export interface QmpClientEvents {
  event: [QmpEvent];
  close: [VirError];
}

type ConnState = 'negotiating' | 'ready' | 'closed';

function monitorError(detail: string, code: number = ErrorCode.INTERNAL_ERROR): VirError {
  return virError(code, ErrorDomain.QEMU, detail);
}

function abortError(signal: AbortSignal, what: string): VirError {
  const r = signal.reason;
  if (r instanceof VirError) return r;
  return virError(ErrorCode.OPERATION_ABORTED, ErrorDomain.QEMU, what);
}

/**
 * Waits for a monitor socket to appear: wakes on any change in its directory (inotify through
 * fs.watch), on a fallback timer, or on abort — so a connect is retried as soon as QEMU binds.
 */
class SocketWaiter {
  private watcher: FSWatcher | null = null;
  private wake: (() => void) | null = null;

  constructor(path: string) {
    try {
      this.watcher = watch(dirname(path), { persistent: false }, () => this.wake?.());
      this.watcher.on('error', () => this.close());
    } catch {
      this.watcher = null; // no such directory (yet) or no inotify: the timer alone
    }
  }

  get watching(): boolean {
    return this.watcher !== null;
  }

  wait(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(t);
        signal?.removeEventListener('abort', done);
        this.wake = null;
        resolve();
      };
      const t = setTimeout(done, ms);
      this.wake = done;
      signal?.addEventListener('abort', done, { once: true });
    });
  }

  close(): void {
    this.watcher?.close();
    this.watcher = null;
  }
}

function connectOnce(path: string): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const sock = net.createConnection({ path });
    const onError = (e: Error) => {
      sock.destroy();
      reject(e);
    };
    sock.once('error', onError);
    sock.once('connect', () => {
      sock.off('error', onError);
      resolve(sock);
    });
  });
}

export class QmpClient extends EventEmitter<QmpClientEvents> {
  /** Set once the greeting arrived (always set on a client returned by connect/fromSocket). */
  greeting!: QmpGreeting;
  private readonly sock: net.Socket;
  private readonly framer = new QmpFramer();
  private readonly ids: QmpIdAllocator;
  private readonly pending = new Map<string, Pending>();
  private state: ConnState = 'negotiating';
  private closeErr: VirError | null = null;
  private localClose = false;
  private readonly name: string | undefined;
  private readonly commandTimeoutMs: number;
  private onGreeting: ((g: QmpGreeting) => void) | null = null;

  private constructor(sock: net.Socket, opts: QmpConnectOptions) {
    super();
    this.sock = sock;
    this.name = opts.name;
    this.ids = new QmpIdAllocator(opts.idPrefix ?? 'libvirt-');
    this.commandTimeoutMs = opts.commandTimeoutMs ?? 0;
    sock.setNoDelay?.(true);
    sock.on('data', (chunk: Buffer) => this.onData(chunk));
    sock.on('error', (e: NodeJS.ErrnoException) => this.onSocketError(e));
    sock.on('close', () => this.finish(this.eofError()));
    // A half-closed socket (QEMU exited) ends reading; tear down fully.
    sock.on('end', () => {
      this.finish(this.eofError());
      sock.destroy();
    });
  }

  /**
   * Connects to a QMP UNIX socket, reads the greeting and negotiates capabilities. With retryUntilMs,
   * keeps trying while the socket does not exist yet or refuses (a QEMU that is still starting).
   */
  static async connect(path: string, opts: QmpConnectOptions = {}): Promise<QmpClient> {
    const timeoutMs = opts.timeoutMs ?? 30_000;
    // sun_path holds 108 bytes including the terminating NUL.
    if (Buffer.byteLength(path) > 107) {
      throw virError(ErrorCode.INTERNAL_ERROR, ErrorDomain.QEMU, `Monitor path ${path} too big for destination`);
    }
    const retryUntil = Date.now() + (opts.retryUntilMs ?? 0);
    let waiter: SocketWaiter | null = null;
    let delay = 1;
    let sock: net.Socket;
    try {
      for (;;) {
        if (opts.signal?.aborted) throw abortError(opts.signal, 'connecting to the QEMU monitor was aborted');
        try {
          sock = await connectOnce(path);
          break;
        } catch (e) {
          const code = (e as NodeJS.ErrnoException).code;
          const retriable = code === 'ENOENT' || code === 'ECONNREFUSED' || code === 'EAGAIN';
          if (!retriable || Date.now() >= retryUntil) {
            throw virError(
              ErrorCode.SYSTEM_ERROR,
              ErrorDomain.QEMU,
              `failed to connect to monitor socket: ${code ? describeErrno(code) : (e as Error).message}`,
            );
          }
          waiter ??= new SocketWaiter(path);
          // Missing: sleep until the directory changes (or a fallback timer). Present but refusing
          // (bound, not yet listening — or stale): retry shortly.
          const ms = code === 'ENOENT' && waiter.watching ? Math.min(delay * 8, 100) : Math.min(delay, 20);
          await waiter.wait(Math.min(ms, Math.max(1, retryUntil - Date.now())), opts.signal);
          delay = Math.min(delay * 2, 20);
        }
      }
    } finally {
      waiter?.close();
    }
    return QmpClient.fromSocket(sock, { ...opts, timeoutMs });
  }

  /** Runs the QMP handshake on an already connected socket. */
  static async fromSocket(sock: net.Socket, opts: QmpConnectOptions = {}): Promise<QmpClient> {
    const c = new QmpClient(sock, opts);
    try {
      await c.handshake(opts.timeoutMs ?? 30_000, opts.signal, opts.capabilities ?? []);
    } catch (e) {
      c.close();
      throw e;
    }
    return c;
  }

  private async handshake(timeoutMs: number, signal: AbortSignal | undefined, wanted: string[]): Promise<void> {
    const greeting = await new Promise<QmpGreeting>((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const cleanup = () => {
        if (timer) clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        this.off('close', onClose);
        this.onGreeting = null;
      };
      const onAbort = () => {
        cleanup();
        reject(abortError(signal!, 'connecting to the QEMU monitor was aborted'));
      };
      const onClose = (e: VirError) => {
        cleanup();
        reject(e);
      };
      if (signal?.aborted) return onAbort();
      signal?.addEventListener('abort', onAbort, { once: true });
      if (timeoutMs > 0) {
        timer = setTimeout(() => {
          cleanup();
          reject(
            virError(
              ErrorCode.OPERATION_TIMEOUT,
              ErrorDomain.QEMU,
              `no QMP greeting from the QEMU monitor within ${timeoutMs} ms (is another client connected to it?)`,
            ),
          );
        }, timeoutMs);
      }
      if (this.closeErr) return onClose(this.closeErr);
      this.once('close', onClose);
      this.onGreeting = (g) => {
        cleanup();
        resolve(g);
      };
    });
    this.greeting = greeting;
    const enable = wanted.filter((c) => greeting.capabilities.includes(c));
    const args = enable.length > 0 ? { enable } : undefined;
    await this.send('qmp_capabilities', args, { timeoutMs, signal }, false, true);
    if (this.state === 'negotiating') this.state = 'ready';
  }

  /** Whether the connection is gone (EOF, error or close()). */
  get closed(): boolean {
    return this.state === 'closed';
  }
  /** The error the client closed with (null while open). */
  get closeError(): VirError | null {
    return this.closeErr;
  }
  /** True when close() was called, as opposed to the peer going away. */
  get closedLocally(): boolean {
    return this.localClose;
  }
  /** Commands sent and not yet answered (including abandoned ones). */
  get outstanding(): number {
    return this.pending.size;
  }

  /** Runs a QMP command; resolves with its "return" value, rejects with QmpCommandError on an error reply. */
  execute<T = unknown>(command: string, args?: Record<string, unknown>, opts: QmpExecuteOptions = {}): Promise<T> {
    return this.send(command, args, opts, false, false) as Promise<T>;
  }

  /**
   * Sends a user-supplied QMP command verbatim (qemu-monitor-command). The text may carry its own
   * "id"; if it has none, one is added and nothing else is changed. Resolves with the whole reply
   * object — error replies included, as libvirt passes them back to the user unchanged.
   */
  executeRaw(json: string, opts: QmpExecuteOptions = {}): Promise<Record<string, unknown>> {
    return this.sendRaw(json, opts, false) as Promise<Record<string, unknown>>;
  }

  /** Like executeRaw, but resolves with the reply exactly as QEMU wrote it (number spellings intact). */
  executeRawText(json: string, opts: QmpExecuteOptions = {}): Promise<string> {
    return this.sendRaw(json, opts, true) as Promise<string>;
  }

  /** Runs an HMP command line through human-monitor-command; resolves with its text output. */
  async hmp(cmdline: string, opts: QmpExecuteOptions = {}): Promise<string> {
    const r = await this.execute<unknown>('human-monitor-command', { 'command-line': cmdline }, opts);
    return typeof r === 'string' ? r : '';
  }

  /**
   * Resolves with the next event called `name` (and accepted by `filter`, e.g. a DEVICE_DELETED for
   * one device). Rejects with the close error if the monitor goes away first, OPERATION_TIMEOUT
   * after timeoutMs, or OPERATION_ABORTED. Subscribe before sending the command that causes it.
   */
  waitForEvent(
    name: string,
    opts: { timeoutMs?: number; signal?: AbortSignal; filter?: (e: QmpEvent) => boolean } = {},
  ): Promise<QmpEvent> {
    if (this.state === 'closed') return Promise.reject(this.closeErr ?? this.eofError());
    return new Promise((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const cleanup = () => {
        if (timer) clearTimeout(timer);
        this.off('event', onEvent);
        this.off('close', onClose);
        opts.signal?.removeEventListener('abort', onAbort);
      };
      const onEvent = (e: QmpEvent) => {
        if (e.event !== name || (opts.filter && !opts.filter(e))) return;
        cleanup();
        resolve(e);
      };
      const onClose = (err: VirError) => {
        cleanup();
        reject(err);
      };
      const onAbort = () => {
        cleanup();
        reject(abortError(opts.signal!, `waiting for QEMU event '${name}' was aborted`));
      };
      if (opts.signal?.aborted) return onAbort();
      if (opts.timeoutMs && opts.timeoutMs > 0) {
        const ms = opts.timeoutMs;
        timer = setTimeout(() => {
          cleanup();
          reject(virError(ErrorCode.OPERATION_TIMEOUT, ErrorDomain.QEMU, `no QEMU event '${name}' within ${ms} ms`));
        }, ms);
      }
      this.on('event', onEvent);
      this.on('close', onClose);
      opts.signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** Lets the process exit while only this connection is open (net.Socket.unref); events still arrive while it runs. */
  unref(): this {
    this.sock.unref();
    return this;
  }
  ref(): this {
    this.sock.ref();
    return this;
  }

  /** Closes the connection. Outstanding commands reject with "QEMU monitor was closed". */
  close(): void {
    if (this.state === 'closed') return;
    this.localClose = true;
    this.finish(monitorError('QEMU monitor was closed', ErrorCode.OPERATION_FAILED));
    this.sock.destroy();
  }

  private sendRaw(json: string, opts: QmpExecuteOptions, wantText: boolean): Promise<unknown> {
    let prepared: ReturnType<typeof prepareRawCommand>;
    try {
      prepared = prepareRawCommand(json, () => this.ids.next());
    } catch (e) {
      return Promise.reject(monitorError((e as Error).message));
    }
    return this.enqueue(prepared.line, prepared.id, prepared.command ?? '', opts, true, wantText);
  }

  private send(
    command: string,
    args: Record<string, unknown> | undefined,
    opts: QmpExecuteOptions,
    wantReply: boolean,
    negotiating: boolean,
  ): Promise<unknown> {
    if (!negotiating && this.state === 'negotiating') {
      return Promise.reject(monitorError('QEMU monitor is not ready: capabilities not negotiated'));
    }
    const id = this.ids.next();
    const line = encodeCommand({ execute: command, arguments: args, id, oob: opts.oob });
    return this.enqueue(line, id, command, opts, wantReply, false);
  }

  private enqueue(
    line: string,
    id: unknown,
    command: string,
    opts: QmpExecuteOptions,
    wantReply: boolean,
    wantText: boolean,
  ): Promise<unknown> {
    if (this.state === 'closed') return Promise.reject(this.closeErr ?? this.eofError());
    const key = idKey(id);
    if (this.pending.has(key)) {
      return Promise.reject(monitorError(`a QEMU monitor command with id ${key} is already in progress`));
    }
    if (opts.signal?.aborted) return Promise.reject(abortError(opts.signal, `QEMU command '${command}' was aborted`));
    return new Promise((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const signal = opts.signal;
      const entry: Pending = {
        key,
        command,
        wantReply,
        wantText,
        abandoned: false,
        resolve,
        reject,
        cleanup: () => {
          if (timer) clearTimeout(timer);
          signal?.removeEventListener('abort', onAbort);
        },
      };
      const giveUp = (err: VirError) => {
        if (entry.abandoned) return;
        entry.abandoned = true;
        entry.cleanup();
        reject(err);
      };
      const onAbort = () => giveUp(abortError(signal!, `QEMU command '${command}' was aborted`));
      const t = opts.timeoutMs ?? this.commandTimeoutMs;
      if (t > 0) {
        timer = setTimeout(
          () =>
            giveUp(
              virError(
                ErrorCode.OPERATION_TIMEOUT,
                ErrorDomain.QEMU,
                `QEMU command '${command}' got no reply within ${t} ms`,
              ),
            ),
          t,
        );
      }
      signal?.addEventListener('abort', onAbort, { once: true });
      this.pending.set(key, entry);
      this.sock.write(line);
    });
  }

  private onData(chunk: Buffer): void {
    let texts: string[];
    try {
      texts = this.framer.push(chunk);
    } catch (e) {
      this.finish(monitorError((e as Error).message));
      this.sock.destroy();
      return;
    }
    // A throwing 'event' listener must not cost the messages behind it (and leave callers waiting
    // forever): finish the chunk, then rethrow the first error as Node would have.
    let thrown: { e: unknown } | null = null;
    for (const t of texts) {
      try {
        this.dispatch(classify(t));
      } catch (e) {
        thrown ??= { e };
      }
    }
    if (thrown) {
      const err = thrown.e;
      process.nextTick(() => {
        throw err;
      });
    }
  }

  private dispatch(m: QmpMessage): void {
    switch (m.kind) {
      case 'greeting':
        if (this.onGreeting) this.onGreeting(m.greeting);
        return;
      case 'event':
        this.emit('event', m.event);
        return;
      case 'return':
      case 'error': {
        const p = this.takePending(m.hasId, m.id);
        if (!p) return; // a reply to nobody (e.g. an id we never sent); QEMU never does this
        p.cleanup();
        if (p.abandoned) return;
        if (p.wantText) p.resolve(m.raw);
        else if (p.wantReply) p.resolve(m.reply);
        else if (m.kind === 'return') p.resolve(m.value);
        else p.reject(new QmpCommandError(p.command, m.error));
        return;
      }
      case 'invalid':
        // libvirt fails the monitor on garbage; a framed but unparseable message is a protocol error.
        this.finish(monitorError(m.reason));
        this.sock.destroy();
        return;
    }
  }

  private takePending(hasId: boolean, id: unknown): Pending | undefined {
    let p: Pending | undefined;
    if (hasId) p = this.pending.get(idKey(id));
    if (!p && !hasId) p = this.pending.values().next().value; // FIFO: the oldest outstanding command
    if (p) this.pending.delete(p.key);
    return p;
  }

  private eofError(): VirError {
    const vm = this.name !== undefined ? ` (vm='${this.name}')` : '';
    return monitorError(`End of file from qemu monitor${vm}`);
  }

  private onSocketError(e: NodeJS.ErrnoException): void {
    // A reset or broken pipe is QEMU going away; report it as the end of file it is.
    if (e.code === 'ECONNRESET' || e.code === 'EPIPE') {
      this.finish(this.eofError());
      return;
    }
    const what = e.code ? describeErrno(e.code) : e.message;
    this.finish(virError(ErrorCode.SYSTEM_ERROR, ErrorDomain.QEMU, `Unable to read from monitor: ${what}`));
  }

  private finish(err: VirError): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    this.closeErr = err;
    const pend = [...this.pending.values()];
    this.pending.clear();
    for (const p of pend) {
      p.cleanup();
      if (!p.abandoned) p.reject(err);
    }
    this.emit('close', err);
  }
}
