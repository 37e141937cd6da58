// QemuProcess: one running QEMU, its monitor and the watch for its death.
//
// Death is detected from three signals, whichever comes first, never from kill(pid, 0) (which keeps
// succeeding on a zombie, and orphaned zombies linger ~2 s here until PID 1 reaps them):
//   - the child 'exit' event, when this process spawned QEMU and is still its parent;
//   - QMP end of file, confirmed by /proc/PID/stat (state Z, or gone, or another process's start time);
//   - polling /proc/PID/stat while stop() waits or after the monitor is gone.
import type { ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { unlinkSync } from 'node:fs';
import type { QmpClient, QmpEvent } from '../monitor/qmp.js';
import { ErrorCode, ErrorDomain, VirError, virError } from '../../util/errors.js';
import { type GuestCrashInfo, GuestCrashDetector } from './crash.js';
import { readLogTail } from './log.js';
import { decodeWaitStatus, procLiveness } from './proc.js';

export interface QemuExit {
  /** Exit status when QEMU exited normally (null when killed by a signal or unknown). */
  code: number | null;
  /** Signal name ("SIGKILL") when a signal ended it. */
  signal: string | null;
  /** True unless QEMU was stopped by us (stop()) or reported SHUTDOWN before going away. */
  crashed: boolean;
  /**
   * Why it ended, as the driver needs it for the shut-off reason:
   * 'destroyed' — stop() was called; 'shutdown' — QEMU reported SHUTDOWN (guest power-off, quit,
   * SIGTERM from someone else) before exiting; 'crashed' — it went away without either.
   */
  reason: 'destroyed' | 'shutdown' | 'crashed';
  /** One line for the user. */
  message: string;
  /** The SHUTDOWN event's data if one arrived ({guest, reason} — e.g. guest-shutdown, host-signal, host-qmp-quit). */
  shutdown: { guest: boolean; reason: string } | null;
  /** The end of QEMU's output in its log (its stderr), '' when unknown. */
  logTail: string;
}

export interface StopOptions {
  /** Only SIGTERM; fail if QEMU is still there after timeoutMs (virDomainDestroyFlags GRACEFUL). */
  graceful: boolean;
  /** How long to wait after SIGTERM (default 10 s, as libvirt). After SIGKILL: 5 s more. */
  timeoutMs?: number;
  signal?: AbortSignal;
}

/** @internal Construction data, from spawnQemu() or reconnectQemu(). */
export interface QemuProcessInit {
  pid: number;
  startTime: string;
  qmp: QmpClient;
  child: ChildProcess | null;
  name?: string;
  logPath?: string;
  logOffset?: number;
  pidfilePath?: string;
}

export interface QemuProcessEvents {
  exit: [QemuExit];
  'guest-crash': [GuestCrashInfo];
}

function describeEnd(code: number | null, signal: string | null): string {
  if (signal) return `was killed by signal ${signal}`;
  if (code !== null) return `exited with status ${code}`;
  return 'exited';
}

/** A timer; `keepAlive` false lets the process exit meanwhile (background watching only). */
function delay(ms: number, keepAlive = true): Promise<void> {
  return new Promise((r) => {
    const t = setTimeout(r, ms);
    if (!keepAlive) t.unref();
  });
}

export class QemuProcess extends EventEmitter<QemuProcessEvents> {
  readonly pid: number;
  /** /proc/PID/stat start time, recorded to tell this QEMU from a later process reusing the pid. */
  readonly startTime: string;
  readonly qmp: QmpClient;
  readonly name: string | undefined;
  readonly logPath: string | undefined;
  /** Offset in the log where this QEMU's output starts (after the header). */
  readonly logOffset: number;
  /** Resolves once QEMU is gone (never rejects). */
  readonly exited: Promise<QemuExit>;
  /** Guest crash detection on this QEMU's monitor (also forwarded as 'guest-crash'). */
  readonly crash: GuestCrashDetector;
  /** The child process object when this process spawned QEMU, else null. */
  readonly child: ChildProcess | null;

  private readonly pidfilePath: string | undefined;
  private exitInfo: QemuExit | null = null;
  private resolveExit!: (e: QemuExit) => void;
  private stopRequested = false;
  private shutdownInfo: { guest: boolean; reason: string } | null = null;
  private watching = false;
  private finishing = false;
  private detached = false;
  private readonly onQmpEvent: (e: QmpEvent) => void;
  private readonly onQmpClose: (e: VirError) => void;

  /** @internal Use spawnQemu() or reconnectQemu(). */
  constructor(init: QemuProcessInit) {
    super();
    this.pid = init.pid;
    this.startTime = init.startTime;
    this.qmp = init.qmp;
    this.child = init.child;
    this.name = init.name;
    this.logPath = init.logPath;
    this.logOffset = init.logOffset ?? 0;
    this.pidfilePath = init.pidfilePath;
    this.exited = new Promise((r) => {
      this.resolveExit = r;
    });
    this.crash = new GuestCrashDetector(this.qmp, { logPath: this.logPath, logOffset: this.logOffset });
    this.crash.on('crash', (c) => this.emit('guest-crash', c));
    this.onQmpEvent = (e) => {
      if (e.event === 'SHUTDOWN') {
        this.shutdownInfo = { guest: e.data.guest === true, reason: typeof e.data.reason === 'string' ? e.data.reason : '' };
      }
    };
    this.onQmpClose = () => {
      if (!this.qmp.closedLocally) this.watchUntilDead();
    };
    this.qmp.on('event', this.onQmpEvent);
    this.qmp.on('close', this.onQmpClose);
    const child = this.child;
    if (child) {
      if (child.exitCode !== null || child.signalCode !== null) {
        queueMicrotask(() => this.markDead(child.exitCode, child.signalCode));
      } else {
        child.once('exit', (code, signal) => this.markDead(code, signal));
      }
    }
    if (this.qmp.closed && !this.qmp.closedLocally) this.watchUntilDead();
  }

  /** Whether QEMU still runs (not a zombie, same start time). Reads /proc; never kill(pid, 0). */
  isAlive(): boolean {
    if (this.exitInfo) return false;
    return procLiveness(this.pid, this.startTime).state === 'alive';
  }

  /** The exit information once QEMU is gone, else null. */
  get exit(): QemuExit | null {
    return this.exitInfo;
  }

  /** The SHUTDOWN event's data, once QEMU reported one. */
  get shutdownEvent(): { guest: boolean; reason: string } | null {
    return this.shutdownInfo;
  }

  /** Sends a signal to QEMU if it is still the same live process. Returns false if it is already gone. */
  kill(signal: NodeJS.Signals): boolean {
    if (!this.isAlive()) {
      this.probe();
      return false;
    }
    try {
      process.kill(this.pid, signal);
      return true;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ESRCH') return false;
      throw e;
    }
  }

  /**
   * Stops QEMU the way libvirt's virProcessKillPainfully does: SIGTERM, wait; then (unless graceful)
   * SIGKILL and wait. Resolves with the exit once QEMU is gone; rejects with libvirt's
   * "Failed to terminate process N with SIGTERM/SIGKILL" if it outlives the waits.
   */
  async stop(opts: StopOptions): Promise<QemuExit> {
    this.stopRequested = true;
    if (this.exitInfo) return this.exitInfo;
    const termWait = opts.timeoutMs ?? 10_000;
    this.kill('SIGTERM');
    if (await this.waitDead(termWait, opts.signal)) return this.exitInfo!;
    this.throwIfAborted(opts.signal);
    if (opts.graceful) throw this.terminateError('SIGTERM');
    this.kill('SIGKILL');
    if (await this.waitDead(5_000, opts.signal)) return this.exitInfo!;
    this.throwIfAborted(opts.signal);
    throw this.terminateError('SIGKILL');
  }

  /**
   * Stops watching without stopping QEMU: closes this process's monitor connection so another
   * process (the next CLI invocation, a restarted daemon) can reconnect. `exited` stays pending.
   */
  detach(): void {
    if (this.detached || this.exitInfo) return;
    this.detached = true;
    this.qmp.off('event', this.onQmpEvent);
    this.qmp.off('close', this.onQmpClose);
    this.crash.dispose();
    this.qmp.close();
    this.child?.removeAllListeners('exit');
    this.child?.unref();
  }

  private throwIfAborted(signal: AbortSignal | undefined): void {
    if (!signal?.aborted) return;
    const r = signal.reason;
    if (r instanceof VirError) throw r;
    throw virError(ErrorCode.OPERATION_ABORTED, ErrorDomain.QEMU, `stopping QEMU (pid ${this.pid}) was aborted`);
  }

  private terminateError(sig: string): VirError {
    return virError(ErrorCode.SYSTEM_ERROR, ErrorDomain.NONE, `Failed to terminate process ${this.pid} with ${sig}: Device or resource busy`);
  }

  /** Checks /proc once; marks QEMU dead when it is a zombie or gone. */
  private probe(): boolean {
    if (this.exitInfo) return true;
    const child = this.child;
    if (child && (child.exitCode !== null || child.signalCode !== null)) {
      this.markDead(child.exitCode, child.signalCode);
      return true;
    }
    const l = procLiveness(this.pid, this.startTime);
    if (l.state === 'alive') return false;
    if (l.state === 'zombie') {
      const ws = l.stat?.exitCode != null ? decodeWaitStatus(l.stat.exitCode) : { code: null, signal: null };
      this.markDead(ws.code, ws.signal);
      return true;
    }
    // Gone. If we are its parent, libuv reaped it and the 'exit' event with the status is on its way.
    if (child && !this.detached) return false;
    this.markDead(null, null);
    return true;
  }

  private async waitDead(ms: number, signal?: AbortSignal): Promise<boolean> {
    const deadline = Date.now() + ms;
    let step = 1;
    for (;;) {
      this.probe();
      if (this.exitInfo) return true;
      if (signal?.aborted) return false;
      const left = deadline - Date.now();
      if (left <= 0) return false;
      await Promise.race([this.exited, delay(Math.min(step, left))]);
      step = Math.min(step * 2, 50);
    }
  }

  /** After the monitor went away: poll /proc until QEMU is a zombie or gone (usually at once). */
  private watchUntilDead(): void {
    if (this.watching || this.exitInfo || this.detached) return;
    this.watching = true;
    void (async () => {
      // Keep the event loop alive for the first seconds (QEMU normally dies right after its monitor
      // closes); a QEMU that lingers without a monitor is then polled in the background only.
      const until = Date.now() + 5000;
      let step = 1;
      while (!this.detached && !this.exitInfo) {
        this.probe();
        if (this.exitInfo) break;
        await Promise.race([this.exited, delay(step, Date.now() < until)]);
        step = Math.min(step * 2, Date.now() < until ? 50 : 1000);
      }
    })();
  }

  private markDead(code: number | null, signal: string | null): void {
    if (this.exitInfo || this.detached || this.finishing) return;
    if (!this.qmp.closed) {
      // QEMU is gone, so its end of the socket is closed: read what it wrote last (a SHUTDOWN event
      // decides between 'shutdown' and 'crashed') before concluding. Bounded, in case something else
      // still holds the socket open.
      this.finishing = true;
      const done = () => {
        clearTimeout(t);
        this.qmp.off('close', done);
        this.finishing = false;
        this.markDead(code, signal);
      };
      const t = setTimeout(() => {
        this.qmp.close();
      }, 250);
      this.qmp.on('close', done);
      return;
    }
    const reason: QemuExit['reason'] = this.stopRequested ? 'destroyed' : this.shutdownInfo ? 'shutdown' : 'crashed';
    const logTail = this.logPath ? readLogTail(this.logPath, this.logOffset) : '';
    const who = `QEMU (pid ${this.pid}${this.name ? `, domain '${this.name}'` : ''})`;
    let message: string;
    if (reason === 'crashed') {
      const last = logTail.split('\n').filter(Boolean).pop();
      message = `guest unexpectedly quit: ${who} ${describeEnd(code, signal)}${last ? `: ${last}` : ''}`;
    } else if (reason === 'shutdown') {
      message = `${who} ${describeEnd(code, signal)} after SHUTDOWN (${this.shutdownInfo?.reason || 'unknown'})`;
    } else {
      message = `${who} ${describeEnd(code, signal)} (destroyed)`;
    }
    const info: QemuExit = { code, signal, crashed: reason === 'crashed', reason, message, shutdown: this.shutdownInfo, logTail };
    this.exitInfo = info;
    this.crash.dispose();
    this.qmp.off('event', this.onQmpEvent);
    this.qmp.off('close', this.onQmpClose);
    if (this.pidfilePath) {
      try {
        unlinkSync(this.pidfilePath);
      } catch {
        /* already gone */
      }
    }
    this.resolveExit(info);
    this.emit('exit', info);
  }
}
