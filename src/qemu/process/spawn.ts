// Spawning QEMU and reconnecting to one started earlier (by another CLI process or daemon).
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, fstatSync, fsyncSync, openSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { describeErrno, ErrorCode, ErrorDomain, VirError, virError } from '../../util/errors.js';
import { QmpClient, type QmpConnectOptions } from '../monitor/qmp.js';
import { formatLogHeader, readLogTail } from './log.js';
import { procLiveness, procStartTime } from './proc.js';
import { QemuProcess } from './qemu-process.js';

export interface RunAs {
  uid: number;
  gid: number;
  /** Supplementary groups (e.g. kvm); empty clears them. */
  groups: number[];
  /** Keep capabilities (only meaningful for root); false drops every capability set. */
  keepCaps: boolean;
}

export interface SpawnQemuOptions {
  emulator: string;
  /** Arguments after argv[0]. Nothing is appended; the caller puts the QMP chardev (at monitorPath) in. */
  argv: string[];
  /** The child's whole environment (nothing is inherited). */
  env: Record<string, string>;
  /**
   * File descriptors to pass: fds[i] becomes fd 3+i in QEMU (use with `-add-fd fd=3,set=N`).
   * They stay open here; the caller closes its copies once spawnQemu settled.
   */
  fds?: number[];
  /** QEMU's stdout and stderr, appended to, after a libvirt-style header (timestamp + command line). */
  logPath: string;
  /** The QMP socket QEMU creates (a stale file there is removed first). */
  monitorPath: string;
  /** If given, "<pid>\n" is written there atomically after spawn (and removed once QEMU is gone). */
  pidfilePath?: string;
  /** New session, and not keeping this process alive (default true): QEMU outlives a CLI that started it. */
  detached?: boolean;
  signal?: AbortSignal;
  /** Deadline for the monitor to come up (default 30 s). */
  timeoutMs?: number;
  /** Run QEMU as this user, through util-linux setpriv. */
  runAs?: RunAs;
  /** Domain name, for error texts. */
  name?: string;
  /** What the log header says is starting up (default "tsvirt"); libvirt: "libvirt version: …, qemu version: …". */
  logHeader?: string;
  /**
   * The command the log header shows, when `emulator`/`argv` is a wrapper that ends in QEMU (a cgroup
   * join, setpriv …): libvirt's log shows QEMU's own environment and argv, never how it was exec'd.
   * Default: env, emulator and argv as spawned.
   */
  logCommand?: { env?: Record<string, string>; argv0: string; argv: string[] };
  /** Extra QMP options (capabilities to enable, command timeout, id prefix). */
  qmp?: Pick<QmpConnectOptions, 'capabilities' | 'commandTimeoutMs' | 'idPrefix'>;
  /** The setpriv binary (default /usr/bin/setpriv when present, else "setpriv" on the child's PATH). */
  setprivPath?: string;
}

/** util-linux setpriv; an absolute path so the child's own PATH does not matter. */
const DEFAULT_SETPRIV = existsSync('/usr/bin/setpriv') ? '/usr/bin/setpriv' : 'setpriv';

/**
 * The setpriv invocation that starts QEMU as runAs, or null when none is needed (root keeping its
 * capabilities). Capabilities are dropped from every set that survives exec (inheritable, ambient via
 * inheritable, bounding) unless keepCaps.
 */
export function setprivArgs(runAs: RunAs | undefined): string[] | null {
  if (!runAs) return null;
  if (runAs.uid === 0 && runAs.keepCaps) return null;
  const args = [`--reuid=${runAs.uid}`, `--regid=${runAs.gid}`];
  args.push(runAs.groups.length > 0 ? `--groups=${runAs.groups.join(',')}` : '--clear-groups');
  if (!runAs.keepCaps) args.push('--inh-caps=-all', '--bounding-set=-all');
  args.push('--');
  return args;
}

/** The program and arguments actually executed for these options. */
export function qemuExecArgv(opts: Pick<SpawnQemuOptions, 'emulator' | 'argv' | 'runAs' | 'setprivPath'>): {
  file: string;
  args: string[];
} {
  const sp = setprivArgs(opts.runAs);
  if (!sp) return { file: opts.emulator, args: opts.argv };
  return { file: opts.setprivPath ?? DEFAULT_SETPRIV, args: [...sp, opts.emulator, ...opts.argv] };
}

function writePidfile(path: string, pid: number): void {
  const tmp = join(dirname(path), `.${basename(path)}.${randomBytes(4).toString('hex')}.tmp`);
  const fd = openSync(tmp, 'wx', 0o644);
  try {
    writeSync(fd, `${pid}\n`);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
}

function unlinkQuiet(path: string | undefined): void {
  if (!path) return;
  try {
    unlinkSync(path);
  } catch {
    /* not there */
  }
}

interface ChildState {
  exit: { code: number | null; signal: NodeJS.Signals | null } | null;
  exited: Promise<void>;
  spawnError: Error | null;
}

function watchChild(child: ChildProcess): ChildState {
  const st: ChildState = { exit: null, exited: Promise.resolve(), spawnError: null };
  st.exited = new Promise((resolve) => {
    child.once('exit', (code, signal) => {
      st.exit = { code, signal };
      resolve();
    });
    child.once('error', (e) => {
      st.spawnError = e;
      if (child.pid === undefined) resolve();
    });
  });
  return st;
}

function exitText(e: { code: number | null; signal: string | null }): string {
  return e.signal ? `QEMU was killed by signal ${e.signal}` : `QEMU exited with status ${e.code}`;
}

/**
 * Starts QEMU and connects to its monitor. Resolves once QMP capabilities are negotiated; rejects
 * (after killing and reaping QEMU) with libvirt's texts when QEMU exits first:
 * "internal error: process exited while connecting to monitor: <log tail>" or
 * "internal error: qemu unexpectedly closed the monitor: <log tail>".
 */
export async function spawnQemu(opts: SpawnQemuOptions): Promise<QemuProcess> {
  if (opts.signal?.aborted) throw virError(ErrorCode.OPERATION_ABORTED, ErrorDomain.QEMU, 'starting QEMU was aborted');
  const detached = opts.detached ?? true;
  const { file, args } = qemuExecArgv(opts);

  let logFd: number;
  try {
    logFd = openSync(opts.logPath, 'a', 0o600);
  } catch (e) {
    throw virError(
      ErrorCode.SYSTEM_ERROR,
      ErrorDomain.QEMU,
      `failed to create logfile ${opts.logPath}: ${describeErrno((e as NodeJS.ErrnoException).code ?? String(e))}`,
    );
  }
  let child: ChildProcess;
  let logOffset: number;
  try {
    const shown = opts.logCommand ?? { argv0: opts.emulator, argv: opts.argv };
    writeSync(logFd, formatLogHeader(opts.logHeader ?? 'tsvirt', shown.env ?? opts.env, shown.argv0, shown.argv));
    logOffset = fstatSync(logFd).size;
    unlinkQuiet(opts.monitorPath);
    child = spawn(file, args, {
      stdio: ['ignore', logFd, logFd, ...(opts.fds ?? [])],
      env: opts.env,
      detached,
    });
  } finally {
    closeSync(logFd);
  }
  const cs = watchChild(child);
  if (child.pid === undefined) {
    await cs.exited;
    const code = (cs.spawnError as NodeJS.ErrnoException | null)?.code;
    throw virError(
      ErrorCode.SYSTEM_ERROR,
      ErrorDomain.QEMU,
      `cannot execute binary ${file}: ${code ? describeErrno(code) : (cs.spawnError?.message ?? 'unknown error')}`,
    );
  }
  const pid = child.pid;
  // Read at once: the start time does not change across setpriv's exec.
  const startTime = procStartTime(pid) ?? '';

  const fail = async (err: VirError): Promise<never> => {
    if (!cs.exit) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        /* already gone */
      }
      await cs.exited;
    }
    unlinkQuiet(opts.pidfilePath);
    throw err;
  };

  if (opts.pidfilePath) {
    try {
      writePidfile(opts.pidfilePath, pid);
    } catch (e) {
      return fail(
        virError(
          ErrorCode.SYSTEM_ERROR,
          ErrorDomain.QEMU,
          `Failed to write pid file ${opts.pidfilePath}: ${describeErrno((e as NodeJS.ErrnoException).code ?? String(e))}`,
        ),
      );
    }
  }

  // Abort the monitor wait when QEMU exits, when the caller aborts, or at the deadline.
  const timeoutMs = opts.timeoutMs ?? 30_000;
  const exitAc = new AbortController();
  void cs.exited.then(() => exitAc.abort(new Error('exited')));
  const signals = [exitAc.signal, AbortSignal.timeout(timeoutMs)];
  if (opts.signal) signals.push(opts.signal);
  const signal = AbortSignal.any(signals);

  let qmp: QmpClient;
  try {
    qmp = await QmpClient.connect(opts.monitorPath, {
      ...opts.qmp,
      name: opts.name,
      retryUntilMs: timeoutMs,
      timeoutMs,
      signal,
    });
  } catch (e) {
    if (opts.signal?.aborted) {
      return fail(virError(ErrorCode.OPERATION_ABORTED, ErrorDomain.QEMU, 'starting QEMU was aborted'));
    }
    // Give a QEMU that is dying a moment to finish, so the error can say so (and carry its last words).
    if (!cs.exit) await Promise.race([cs.exited, new Promise((r) => setTimeout(r, 200).unref())]);
    const tail = readLogTail(opts.logPath, logOffset);
    if (cs.exit) {
      const connected = e instanceof VirError && /End of file from qemu monitor/.test(e.message);
      const prefix = connected ? 'qemu unexpectedly closed the monitor' : 'process exited while connecting to monitor';
      return fail(virError(ErrorCode.INTERNAL_ERROR, ErrorDomain.QEMU, `${prefix}: ${tail || exitText(cs.exit)}`));
    }
    if (!exitAc.signal.aborted && signal.aborted) {
      return fail(
        virError(
          ErrorCode.OPERATION_TIMEOUT,
          ErrorDomain.QEMU,
          `QEMU monitor did not come up within ${timeoutMs} ms${tail ? `: ${tail}` : ''}`,
        ),
      );
    }
    return fail(e instanceof VirError ? e : virError(ErrorCode.INTERNAL_ERROR, ErrorDomain.QEMU, String(e)));
  }
  // Only now: while starting, the child must keep this process alive (a failed start waits for it).
  if (detached) child.unref();
  return new QemuProcess({
    pid,
    startTime,
    qmp,
    child,
    name: opts.name,
    logPath: opts.logPath,
    logOffset,
    pidfilePath: opts.pidfilePath,
  });
}

export interface ReconnectQemuOptions {
  pid: number;
  monitorPath: string;
  /** /proc/PID/stat start time recorded at spawn: guards against the pid having been reused. */
  startTime?: string;
  name?: string;
  /** The log, for error and crash reports (logOffset: where this QEMU's output starts). */
  logPath?: string;
  logOffset?: number;
  pidfilePath?: string;
  /** Deadline for the monitor handshake (default 10 s). */
  timeoutMs?: number;
  signal?: AbortSignal;
  qmp?: Pick<QmpConnectOptions, 'capabilities' | 'commandTimeoutMs' | 'idPrefix'>;
}

/**
 * Re-attaches to a QEMU started earlier. Returns null when it is gone: no such pid, a zombie, or a
 * different process (start time differs), or it died while we connected. Rejects when QEMU runs but its
 * monitor cannot be reached.
 */
export async function reconnectQemu(opts: ReconnectQemuOptions): Promise<QemuProcess | null> {
  const first = procLiveness(opts.pid, opts.startTime);
  if (first.state !== 'alive' || !first.stat) return null;
  let qmp: QmpClient;
  try {
    qmp = await QmpClient.connect(opts.monitorPath, {
      ...opts.qmp,
      name: opts.name,
      timeoutMs: opts.timeoutMs ?? 10_000,
      signal: opts.signal,
    });
  } catch (e) {
    if (procLiveness(opts.pid, first.stat.startTime).state !== 'alive') return null;
    throw e;
  }
  if (procLiveness(opts.pid, first.stat.startTime).state !== 'alive') {
    qmp.close();
    return null;
  }
  return new QemuProcess({
    pid: opts.pid,
    startTime: first.stat.startTime,
    qmp,
    child: null,
    name: opts.name,
    logPath: opts.logPath,
    logOffset: opts.logOffset,
    pidfilePath: opts.pidfilePath,
  });
}
