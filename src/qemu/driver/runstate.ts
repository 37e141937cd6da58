// What the driver knows about a running domain's process, beyond its definition.
import type { DomainCgroup } from '../../cgroup/index.js';
import type { GuestSecurityInput } from '../../security/index.js';
import type { QmpClient } from '../monitor/qmp.js';

export type StopCause = 'destroyed' | 'shutdown' | 'crashed' | 'failed';

export interface RunState {
  pid: number;
  /** /proc/PID/stat start time at spawn: tells the same process from a reused pid. */
  startTime: string | null;
  monitorPath: string;
  /** Per-domain runtime dir (domain-ID-NAME). */
  libDir: string;
  logPath: string;
  /** Offset in the log where this run's QEMU output starts (for error tails). */
  logOffset: number;
  /** Monitor connection while attached (null: not attached in this process). */
  qmp: QmpClient | null;
  /** Resolves once the QEMU process is gone (set while attached). */
  exited: Promise<void> | null;
  /** Resolves once the driver has processed the exit (state, events, files). */
  done: Promise<void> | null;
  /** True when this process spawned QEMU and is still its parent. */
  child: boolean;
  /** Why the process is expected to go away (set before we kill it or after the guest's SHUTDOWN). */
  stopCause: StopCause | null;
  /** The guest sent SHUTDOWN (powered off). */
  guestShutdown: boolean;
  /** reboot(): the next SHUTDOWN is turned into a reset + cont instead of a stop. */
  fakeReboot: boolean;
  /** start() is running: the initial `cont` is not a user resume. */
  starting: boolean;
  /** Reason to record for the next STOP event (suspend sets USER). */
  pausedReason: number | null;
  /** Last message worth reporting (e.g. the KVM internal error line from the log). */
  errorText: string | null;
  /** The guest as the security manager labelled it (restored and released at stop). */
  security?: GuestSecurityInput;
  /** The guest's cgroup (removed at stop). */
  cgroup?: DomainCgroup;
  /** A status file was written for this run (so its removal marks who cleans up). */
  statusWritten: boolean;
  /** Kill the process (SIGTERM, then SIGKILL when force) and wait for it to go; resolves true when gone. */
  kill?: (force: boolean, signal?: AbortSignal) => Promise<boolean>;
}

export function newRunState(init: Pick<RunState, 'pid' | 'startTime' | 'monitorPath' | 'libDir' | 'logPath'> & Partial<RunState>): RunState {
  return {
    logOffset: 0,
    qmp: null,
    exited: null,
    done: null,
    child: false,
    stopCause: null,
    guestShutdown: false,
    fakeReboot: false,
    starting: false,
    pausedReason: null,
    errorText: null,
    statusWritten: false,
    ...init,
  };
}
