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
    return this.waitUntil<QmpEvent>(timeoutMs, `no ${name} event within ${timeoutMs} ms`, (resolve, reject) => {
      const ev = this.events.find((e) => e.event === name);
      if (ev) resolve(ev);
      else if (this.closed) reject(new Error(`QMP closed before event ${name}`));
    });
  }

  /** Resolves once the peer closed the connection (QEMU exited). */
  waitClosed(timeoutMs = 60_000): Promise<void> {
    return this.waitUntil<void>(timeoutMs, `QMP still open after ${timeoutMs} ms`, (resolve) => {
      if (this.closed) resolve();
    });
  }

  /** Runs `check` now and after every message or EOF until it settles, or rejects with `timeoutMessage` after timeoutMs. */
  private waitUntil<T>(timeoutMs: number, timeoutMessage: string, check: (resolve: (v: T) => void, reject: (e: Error) => void) => void): Promise<T> {
    return new Promise((resolve, reject) => {
      const poll = () =>
        check(
          (v) => done(() => resolve(v)),
          (e) => done(() => reject(e)),
        );
      const timer = setTimeout(() => done(() => reject(new Error(timeoutMessage))), timeoutMs);
      const done = (f: () => void) => {
        clearTimeout(timer);
        this.waiters.delete(poll);
        f();
      };
      this.waiters.add(poll);
      poll();
    });
  }

  close(): void {
    this.sock.destroy();
  }
}
