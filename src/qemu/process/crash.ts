// Guest crash detection: QEMU keeps running but stops the guest CPUs — a KVM internal error (QEMU
// prints "KVM internal error. Suberror: 1" / "emulation failure" and a register dump to stderr, then
// stops the VM: a STOP event, and query-status says 'internal-error'), or a guest panic reported by a
// pvpanic/hyperv device (GUEST_PANICKED, status 'guest-panicked'). The driver uses this to mark the
// domain paused with reason crashed (or to apply on_crash) with QEMU's own explanation.
import { EventEmitter } from 'node:events';
import type { QmpEvent, QmpTimestamp } from '../monitor/qmp.js';
import { readLogTail } from './log.js';

/** query-status states in which the guest has crashed (as opposed to being paused by someone). */
export const CRASHED_STATUSES: ReadonlySet<string> = new Set(['internal-error', 'guest-panicked']);

export interface GuestCrashInfo {
  /** The run state: 'internal-error' or 'guest-panicked'. */
  status: string;
  /** What revealed it: the STOP or GUEST_PANICKED event, or an explicit check() (e.g. on reconnect). */
  source: 'STOP' | 'GUEST_PANICKED' | 'check';
  timestamp: QmpTimestamp | null;
  /** GUEST_PANICKED's data (action, info) when that event was the source. */
  panic: Record<string, unknown> | null;
  /** "KVM internal error. Suberror: 1: emulation failure" when QEMU printed one, else null. */
  kvmError: string | null;
  /** The end of QEMU's output (its stderr) at the time of the crash. */
  logTail: string;
  /** One line for the user. */
  message: string;
}

/** What the detector needs from a monitor connection (a QmpClient). */
export interface CrashMonitor {
  on(event: 'event', listener: (e: QmpEvent) => void): unknown;
  off(event: 'event', listener: (e: QmpEvent) => void): unknown;
  execute<T = unknown>(command: string, args?: Record<string, unknown>): Promise<T>;
}

export interface CrashDetectorOptions {
  /** QEMU's log file (its stderr) and where this QEMU's output starts in it. */
  logPath?: string;
  logOffset?: number;
  /** Bytes of log to keep in logTail (default 4096: a KVM register dump is ~1.5 KiB). */
  logBytes?: number;
}

/** Extracts QEMU's KVM internal error report from its stderr. */
export function findKvmError(log: string): string | null {
  const lines = log.split('\n');
  for (let i = lines.length - 1; i >= 0; i--) {
    const m = /KVM internal error\. Suberror: \d+/.exec(lines[i]);
    if (!m) continue;
    const next = (lines[i + 1] ?? '').trim();
    // The line after it names the kind ("emulation failure", "extra data[0]: …"); register dumps start with "RAX=" / "EAX=".
    return next && !/^[A-Z]{2,3}=/.test(next) ? `${m[0]}: ${next}` : m[0];
  }
  return null;
}

export class GuestCrashDetector extends EventEmitter<{ crash: [GuestCrashInfo] }> {
  /** The crash in effect (cleared when the guest resumes or resets). */
  lastCrash: GuestCrashInfo | null = null;
  private readonly onEvent: (e: QmpEvent) => void;
  private disposed = false;

  constructor(
    private readonly qmp: CrashMonitor,
    private readonly opts: CrashDetectorOptions = {},
  ) {
    super();
    this.onEvent = (e) => this.handle(e);
    qmp.on('event', this.onEvent);
  }

  /** Asks QEMU now (e.g. after reconnecting to a QEMU nobody watched); reports and returns a crash if there is one. */
  async check(): Promise<GuestCrashInfo | null> {
    const st = await this.qmp.execute<{ status: string }>('query-status');
    if (!CRASHED_STATUSES.has(st.status)) return null;
    return this.report(st.status, 'check', null, null);
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.qmp.off('event', this.onEvent);
  }

  private handle(e: QmpEvent): void {
    switch (e.event) {
      case 'RESUME':
      case 'RESET':
        this.lastCrash = null;
        return;
      case 'GUEST_PANICKED':
        this.report('guest-panicked', 'GUEST_PANICKED', e.timestamp, e.data);
        return;
      case 'STOP':
        this.qmp.execute<{ status: string }>('query-status').then(
          (st) => {
            if (CRASHED_STATUSES.has(st.status)) this.report(st.status, 'STOP', e.timestamp, null);
          },
          () => {
            /* the monitor went away; the process watcher reports that */
          },
        );
        return;
    }
  }

  private report(
    status: string,
    source: GuestCrashInfo['source'],
    timestamp: QmpTimestamp | null,
    panic: Record<string, unknown> | null,
  ): GuestCrashInfo {
    if (this.lastCrash && this.lastCrash.status === status) return this.lastCrash; // one report per crash
    const logTail = this.opts.logPath ? readLogTail(this.opts.logPath, this.opts.logOffset ?? 0, this.opts.logBytes ?? 4096) : '';
    const kvmError = findKvmError(logTail);
    let message: string;
    if (status === 'guest-panicked') message = 'guest crashed: the guest OS reported a panic';
    else message = `guest crashed: QEMU stopped the guest CPUs with an internal error${kvmError ? ` (${kvmError})` : ''}`;
    const info: GuestCrashInfo = { status, source, timestamp, panic, kvmError, logTail, message };
    this.lastCrash = info;
    if (!this.disposed) this.emit('crash', info);
    return info;
  }
}
