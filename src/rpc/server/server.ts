// The RPC server: UNIX (read-write and read-only) and TCP listeners, the client table and its
// max_clients limit, and dispatch of every client's calls to one HypervisorDriver.
import { chmodSync, chownSync, existsSync, lstatSync, mkdirSync, unlinkSync } from 'node:fs';
import { type Server, type Socket, connect, createServer } from 'node:net';
import { dirname } from 'node:path';
import type { HypervisorDriver } from '../../driver/api.js';
import { rpcError } from '../errors.js';
import type { Header } from '../message.js';
import { type ClientHooks, DEFAULT_LIMITS, ServerClient, type ServerLimits } from './client.js';
import { dispatchCall, sendError } from './dispatch.js';
import { HANDLERS } from './handlers.js';
import { getPeerCred } from './peercred.js';

export interface UnixListenOptions {
  readonly?: boolean;
  /** File mode of the socket (libvirt: rw 0700 for session/unprivileged, 0777 with polkit; ro 0777). */
  mode?: number;
  /** Group owning the socket (unix_sock_group), as a gid. */
  gid?: number;
}

export interface RpcServerOptions {
  driver: HypervisorDriver;
  limits?: Partial<ServerLimits>;
  /** max_clients: further connections are closed at once. */
  maxClients?: number;
  log?: (msg: string) => void;
}

export class RpcServer {
  readonly limits: ServerLimits;
  readonly maxClients: number;
  private readonly clients = new Set<ServerClient>();
  private readonly listeners: { server: Server; path?: string }[] = [];
  private readonly driver: HypervisorDriver;
  private readonly log: (msg: string) => void;
  private readonly hooks: ClientHooks;

  constructor(opts: RpcServerOptions) {
    this.driver = opts.driver;
    this.limits = { ...DEFAULT_LIMITS, ...opts.limits };
    this.maxClients = opts.maxClients ?? 5000;
    this.log = opts.log ?? (() => {});
    this.hooks = {
      call: (c, h, p) => dispatchCall(c, h, p, this.driver, HANDLERS),
      reject: (c: ServerClient, h: Header, message: string) => sendError(c, h, rpcError(message)),
      log: this.log,
      closed: (c) => this.clients.delete(c),
    };
  }

  get clientCount(): number {
    return this.clients.size;
  }

  /** Listens on a UNIX socket; a stale socket file is replaced, a live one is an error. */
  async listenUnix(path: string, opts: UnixListenOptions = {}): Promise<void> {
    mkdirSync(dirname(path), { recursive: true, mode: 0o755 });
    if (existsSync(path)) {
      if (!lstatSync(path).isSocket()) throw new Error(`${path} exists and is not a socket`);
      if (await socketAlive(path)) throw new Error(`Failed to bind socket to '${path}': Address already in use`);
      unlinkSync(path);
    }
    const server = createServer({ allowHalfOpen: false, pauseOnConnect: false }, (s) => this.accept(s, 'unix', opts.readonly ?? false));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      // Created with the final mode: no window in which the socket is more open than configured.
      const old = process.umask(0o777 & ~(opts.mode ?? 0o700));
      try {
        server.listen(path, () => {
          server.off('error', reject);
          resolve();
        });
      } finally {
        process.umask(old);
      }
    });
    chmodSync(path, opts.mode ?? 0o700);
    if (opts.gid !== undefined) chownSync(path, -1, opts.gid);
    this.listeners.push({ server, path });
    this.log(`listening on ${path}${opts.readonly ? ' (read-only)' : ''} mode ${(opts.mode ?? 0o700).toString(8)}`);
  }

  /** Listens on TCP without authentication (auth_tcp = "none"). */
  async listenTcp(host: string, port: number): Promise<number> {
    const server = createServer((s) => this.accept(s, 'tcp', false));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.listeners.push({ server });
    const addr = server.address();
    const actual = typeof addr === 'object' && addr ? addr.port : port;
    this.log(`listening on tcp ${host}:${actual}`);
    return actual;
  }

  /** Serves one already-connected stream (tests, socket activation). */
  accept(sock: Socket, transport: 'unix' | 'tcp', readonly: boolean): ServerClient | null {
    if (this.clients.size >= this.maxClients) {
      this.log(`refusing connection: max_clients (${this.maxClients}) reached`);
      sock.destroy();
      return null;
    }
    const identity = transport === 'unix' ? getPeerCred(sock) : null;
    const c = new ServerClient(sock, identity, readonly, transport, this.limits, this.hooks);
    this.clients.add(c);
    this.log(`${c.describe()} connected`);
    return c;
  }

  async close(): Promise<void> {
    for (const l of this.listeners) {
      await new Promise<void>((r) => l.server.close(() => r()));
      if (l.path) {
        try {
          unlinkSync(l.path);
        } catch {
          // Already gone.
        }
      }
    }
    this.listeners.length = 0;
    for (const c of [...this.clients]) c.close('server shutting down');
  }
}

function socketAlive(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ path });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}
