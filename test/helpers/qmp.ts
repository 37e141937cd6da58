// A minimal QMP client for tests that drive raw QEMU (independent of src/qemu/monitor on purpose:
// the guest smoke test must not depend on the code under test).
import { connect, type Socket } from 'node:net';

export interface QmpEvent {
  event: string;
  data?: Record<string, unknown>;
  timestamp?: { seconds: number; microseconds: number };
}

export class TestQmp {
  readonly events: QmpEvent[] = [];
  closed = false;
  private buf = '';
  private pending: Array<{ resolve: (v: unknown) => void; reject: (e: Error) => void }> = [];
  private waiters = new Set<() => void>();

  private constructor(private readonly sock: Socket) {
    sock.setEncoding('utf8');
    sock.on('data', (d: string) => this.onData(d));
    sock.on('error', () => {}); // surfaces as 'close'
    sock.on('close', () => {
      this.closed = true;
      for (const p of this.pending.splice(0)) p.reject(new Error('QMP connection closed'));
      this.notify();
    });
  }

  /** Connects, reads the greeting and negotiates capabilities. */
  static async connect(path: string): Promise<TestQmp> {
    const sock = await new Promise<Socket>((resolve, reject) => {
      const s = connect(path);
      s.once('connect', () => resolve(s));
      s.once('error', reject);
    });
    const q = new TestQmp(sock);
    // The greeting is answered as if it were the reply to a first pseudo-command.
    await new Promise<unknown>((resolve, reject) => q.pending.push({ resolve, reject }));
    await q.execute('qmp_capabilities');
    return q;
  }

  private onData(d: string): void {
    this.buf += d;
    let nl = this.buf.indexOf('\n');
    while (nl >= 0) {
      const line = this.buf.slice(0, nl).trim();
      this.buf = this.buf.slice(nl + 1);
      nl = this.buf.indexOf('\n');
      if (!line) continue;
      const msg = JSON.parse(line) as Record<string, unknown>;
      if (typeof msg.event === 'string') {
        this.events.push(msg as unknown as QmpEvent);
        this.notify();
      } else {
        const p = this.pending.shift();
        if (!p) continue;
        if (msg.error) {
          const err = msg.error as { class?: string; desc?: string };
          p.reject(new Error(`QMP error ${err.class}: ${err.desc}`));
        } else p.resolve('QMP' in msg ? msg.QMP : msg.return);
      }
    }
  }

  private notify(): void {
    for (const w of this.waiters) w();
  }

  execute(command: string, args?: Record<string, unknown>): Promise<unknown> {
    if (this.closed) return Promise.reject(new Error('QMP connection closed'));
    return new Promise((resolve, reject) => {
      this.pending.push({ resolve, reject });
      this.sock.write(`${JSON.stringify(args ? { execute: command, arguments: args } : { execute: command })}\n`);
    });
  }

  /** Waits for an event with this name (including ones already received), or rejects on timeout/EOF. */
  waitEvent(name: string, timeoutMs = 60_000): Promise<QmpEvent> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const ev = this.events.find((e) => e.event === name);
        if (ev) done(() => resolve(ev));
        else if (this.closed) done(() => reject(new Error(`QMP closed before event ${name}`)));
      };
      const timer = setTimeout(() => done(() => reject(new Error(`no ${name} event within ${timeoutMs} ms`))), timeoutMs);
      const done = (f: () => void) => {
        clearTimeout(timer);
        this.waiters.delete(check);
        f();
      };
      this.waiters.add(check);
      check();
    });
  }

  /** Resolves once the peer closed the connection (QEMU exited). */
  waitClosed(timeoutMs = 60_000): Promise<void> {
    return new Promise((resolve, reject) => {
      const check = () => {
        if (this.closed) done(resolve);
      };
      const timer = setTimeout(() => done(() => reject(new Error(`QMP still open after ${timeoutMs} ms`))), timeoutMs);
      const done = (f: () => void) => {
        clearTimeout(timer);
        this.waiters.delete(check);
        f();
      };
      this.waiters.add(check);
      check();
    });
  }

  close(): void {
    this.sock.destroy();
  }
}
