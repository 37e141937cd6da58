// Test helper: a raw libvirt-protocol socket client for fault and protocol-edge tests.
import { type Socket, connect } from 'node:net';
import { FrameReader, type Frame, MessageStatus, MessageType, decodeFrame, encodeMessage } from '../../src/rpc/message.js';
import { REMOTE } from '../../src/rpc/protocol.js';

export class RawClient {
  readonly sock: Socket;
  private frames = new FrameReader();
  private queue: Frame[] = [];
  private waiters: ((f: Frame) => void)[] = [];
  closed: Promise<void>;
  isClosed = false;

  constructor(path: string) {
    this.sock = connect({ path });
    this.sock.on('data', (b: Buffer) => {
      for (const m of this.frames.push(b)) {
        const f = decodeFrame(m);
        const w = this.waiters.shift();
        if (w) w(f);
        else this.queue.push(f);
      }
    });
    this.sock.on('error', () => {});
    this.closed = new Promise((r) => this.sock.once('close', () => {
      this.isClosed = true;
      r();
    }));
  }

  ready(): Promise<void> {
    return new Promise((r, j) => {
      this.sock.once('connect', () => r());
      this.sock.once('error', j);
    });
  }

  next(ms = 5000): Promise<Frame> {
    const q = this.queue.shift();
    if (q) return Promise.resolve(q);
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error('no message')), ms);
      this.waiters.push((f) => {
        clearTimeout(t);
        resolve(f);
      });
    });
  }

  call(proc: number, serial: number, typeName: string | null = null, body?: unknown, prog: number = REMOTE.prog, vers = 1): void {
    this.sock.write(encodeMessage({ prog, vers, proc, type: MessageType.CALL, serial, status: MessageStatus.OK }, typeName, body));
  }

  /** The handshake without keepalive: AUTH_LIST, CONNECT_OPEN. */
  async open(): Promise<void> {
    this.call(66, 0);
    await this.next();
    this.call(1, 1, 'remote_connect_open_args', { name: 'qemu:///session', flags: 0 });
    const r = await this.next();
    if (r.header.status !== 0) throw new Error('open failed');
  }
}
