// Domain lifecycle against real QEMU processes (libvirt's qemu_process.c): start, attach to the
// monitor and follow its events, reconnect to QEMUs started by an earlier process, stop.
import { appendFile, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { DomainDef } from '../../conf/domain/index.js';
import {
  CrashedDetail,
  DomainState,
  LifecycleEvent,
  PausedReason,
  ResumedDetail,
  RunningReason,
  ShutdownDetail,
  ShutoffReason,
  StartedDetail,
  StoppedDetail,
  SuspendedDetail,
} from '../../driver/constants.js';
import { ErrorCode, ErrorDomain, internalError, type VirError, virError } from '../../util/errors.js';
import type { QemuCaps } from '../caps/types.js';
import type { QemuDriverConfig } from '../config.js';
import { domainLibDir, UNIX_PATH_MAX } from '../dirs.js';
import type { QmpEvent } from '../monitor/qmp.js';
import type { GuestCrashInfo } from '../process/crash.js';
import { logTimestamp } from '../process/log.js';
import { procLiveness } from '../process/proc.js';
import type { QemuExit, QemuProcess } from '../process/qemu-process.js';
import { reconnectQemu, spawnQemu } from '../process/spawn.js';
import { type DomainObj, notRunning } from './domobj.js';
import { initGraphicsPasswords } from './graphics-live.js';
import { createHost, type RealHost } from './host.js';
import { type Isolation, launchArgv, prepareIsolation, reattachIsolation, setLiveSeclabels } from './isolation.js';
import * as persist from './persist.js';
import { newRunState, type RunState, type StopCause } from './runstate.js';
import { type QemuDriverState, releaseIsolationOf } from './state.js';
import { readStatusFile, writeStatus } from './status.js';

/** What the QEMU process objects of attached domains are, per RunState. */
const procs = new WeakMap<RunState, QemuProcess>();

export function procOf(run: RunState | null): QemuProcess | undefined {
  return run ? procs.get(run) : undefined;
}

export interface BuiltCommand {
  env: Record<string, string> | Array<[string, string]>;
  argv: string[];
  fds?: number[];
}

/** The QEMU prepare step and the pure command builder. */
export async function loadBuilder(): Promise<{
  build: (def: DomainDef, caps: QemuCaps, host: RealHost, cfg: QemuDriverConfig) => BuiltCommand;
  prepare: (def: DomainDef, caps: QemuCaps, host: RealHost, cfg: QemuDriverConfig) => DomainDef | undefined;
}> {
  const [{ buildCommandLine }, { prepareDomainForStart }] = await Promise.all([import('../command/index.js'), import('../domain/prepare.js')]);
  return { build: buildCommandLine, prepare: prepareDomainForStart };
}

/** Splits the builder's output into env record, emulator and arguments. */
export function splitCommand(cmd: BuiltCommand, emulator: string): { env: Record<string, string>; envList: Array<[string, string]>; argv0: string; args: string[] } {
  const envList = Array.isArray(cmd.env) ? cmd.env : Object.entries(cmd.env);
  const env = Object.fromEntries(envList);
  const hasBinary = cmd.argv.length > 0 && !cmd.argv[0].startsWith('-');
  return { env, envList, argv0: hasBinary ? cmd.argv[0] : emulator, args: hasBinary ? cmd.argv.slice(1) : cmd.argv };
}

// ---- status XML --------------------------------------------------------------------------------------

export function saveStatus(drv: QemuDriverState, obj: DomainObj): Promise<void> {
  const run = obj.run;
  if (!run) return Promise.resolve();
  const rec = {
    state: obj.state,
    reason: obj.reason,
    pid: run.pid,
    startTime: run.startTime,
    monitorPath: run.monitorPath,
    libDir: run.libDir,
    logPath: run.logPath,
    stopCause: run.stopCause,
    persistent: obj.persistent,
    fakeReboot: run.fakeReboot,
  };
  const xml = drv.format(obj.def, { status: true });
  const prev = drv.statusWrites.get(obj) ?? Promise.resolve();
  // A write queued before the domain stopped must not recreate the file markStopped removes.
  const next = prev
    .then(async () => {
      if (obj.run !== run) return;
      await writeStatus(drv.dirs, obj.name, rec, xml);
      run.statusWritten = true;
    })
    .catch(() => {});
  drv.statusWrites.set(obj, next);
  return next;
}

// ---- start -------------------------------------------------------------------------------------------

export interface StartOptions {
  paused: boolean;
  signal?: AbortSignal;
}

/** Starts QEMU for an inactive domain: -S, monitor, then `cont` (unless paused). */
export async function startDomain(drv: QemuDriverState, obj: DomainObj, opts: StartOptions): Promise<void> {
  const def = obj.def;
  const emulator = drv.emulatorOf(def);
  const caps = await drv.caps(emulator);
  const { build, prepare } = await loadBuilder();
  const id = await drv.allocateId();
  let live = drv.clone(def);
  live.id = id;
  const libDir = domainLibDir(drv.dirs, id, def.name);
  const monitorPath = join(libDir, 'monitor.sock');
  if (Buffer.byteLength(monitorPath) > UNIX_PATH_MAX) {
    throw internalError(`UNIX socket path '${monitorPath}' too long`);
  }
  await mkdir(libDir, { recursive: true, mode: 0o750 });
  const host = createHost({ drv, libDir, monitorPath, pretend: false });
  let proc: QemuProcess;
  let iso: Isolation | undefined;
  const logPath = join(drv.dirs.logDir, `${def.name}.log`);
  try {
    await host.reservePorts(live);
    live = prepare(live, caps, host, drv.cfg) ?? live;
    const built = build(live, caps, host, drv.cfg);
    const cmd = splitCommand(built, emulator);
    host.checkSocketPaths(cmd.args);
    const extraFiles: string[] = [];
    if (cmd.args.some((a) => a.includes('master-key.aes'))) {
      // qemuDomainMasterKeyCreate: 32 random bytes QEMU reads as the secret that wraps other secrets.
      const key = join(libDir, 'master-key.aes');
      await writeFile(key, host.masterKey(), { mode: 0o600 });
      extraFiles.push(key);
    }
    iso = await prepareIsolation(drv, live, libDir, extraFiles);
    setLiveSeclabels(live, iso.guest.seclabels, iso.implicit);
    const argv = launchArgv(iso, cmd.argv0, cmd.args);
    proc = await spawnQemu({
      emulator: argv[0],
      argv: argv.slice(1),
      env: cmd.env,
      fds: built.fds ?? [],
      logPath,
      monitorPath,
      detached: true,
      signal: opts.signal,
      name: def.name,
      logHeader: 'tsvirt (libvirt 9.0.0 compatible)',
      // The log shows QEMU's env and argv, not the cgroup/setpriv wrapper it is exec'd through.
      logCommand: { argv0: cmd.argv0, argv: cmd.args },
    });
  } catch (e) {
    host.close();
    if (iso) await releaseIsolationOf(await drv.securityManager(), { security: iso.guest, cgroup: iso.cgroup });
    await import('node:fs/promises').then((f) => f.rm(libDir, { recursive: true, force: true })).catch(() => {});
    throw e;
  }
  host.close();
  const run = newRunState({ pid: proc.pid, startTime: proc.startTime, monitorPath, libDir, logPath, logOffset: proc.logOffset });
  run.starting = true;
  run.child = proc.child !== null;
  run.security = iso.guest;
  run.cgroup = iso.cgroup;
  if (obj.persistent) obj.newDef = def;
  obj.def = live;
  obj.id = id;
  obj.run = run;
  obj.setState(DomainState.PAUSED, PausedReason.STARTING_UP);
  attach(drv, obj, run, proc);
  try {
    await refreshPtys(drv, obj, proc);
    await initGraphicsPasswords(proc.qmp, obj.def, drv.cfg, opts.signal);
    if (!opts.paused) {
      // The status file write (fsync) overlaps with `cont`.
      obj.setState(DomainState.RUNNING, RunningReason.BOOTED);
      await Promise.all([proc.qmp.execute('cont', undefined, { signal: opts.signal }), saveStatus(drv, obj)]);
    } else {
      obj.setState(DomainState.PAUSED, PausedReason.USER);
      await saveStatus(drv, obj);
    }
  } catch (e) {
    run.stopCause = 'failed';
    await proc.stop({ graceful: false }).catch(() => {});
    await run.done;
    throw e;
  } finally {
    run.starting = false;
  }
  drv.lifecycle(obj, LifecycleEvent.STARTED, StartedDetail.BOOTED);
  if (opts.paused) drv.lifecycle(obj, LifecycleEvent.SUSPENDED, SuspendedDetail.PAUSED);
}

/** Fills in pty paths of serial/console/channel devices from query-chardev (only when there are any). */
async function refreshPtys(_drv: QemuDriverState, obj: DomainObj, proc: QemuProcess): Promise<void> {
  const d = obj.def.devices;
  const chrs = [...d.serials, ...d.parallels, ...d.channels, ...d.consoles];
  if (!chrs.some((c) => c.source.type === 'pty')) return;
  const list = await proc.qmp.execute<Array<{ label: string; filename: string }>>('query-chardev');
  const byLabel = new Map(list.map((c) => [c.label, c.filename]));
  for (const c of chrs) {
    if (c.source.type !== 'pty') continue;
    const alias = c.info.alias;
    const fn = alias ? byLabel.get(`char${alias}`) : undefined;
    if (fn?.startsWith('pty:')) c.source.path = fn.slice(4);
  }
  // The console on serial0 shares the serial's pty.
  for (const con of d.consoles) {
    if (con.source.type === 'pty' && !con.source.path && d.serials[0]?.source.type === 'pty') con.source.path = d.serials[0].source.path;
  }
}

// ---- attach / events ----------------------------------------------------------------------------------

export function attach(drv: QemuDriverState, obj: DomainObj, run: RunState, proc: QemuProcess): void {
  procs.set(run, proc);
  run.qmp = proc.qmp;
  run.kill = async (force, signal) => {
    await proc.stop({ graceful: !force, signal });
    return true;
  };
  proc.qmp.on('event', (e) => onMonitorEvent(drv, obj, run, e));
  proc.on('guest-crash', (c) => onGuestCrash(drv, obj, run, c));
  run.exited = proc.exited.then(() => {});
  run.done = proc.exited.then((exit) => onExit(drv, obj, run, exit));
}

function onMonitorEvent(drv: QemuDriverState, obj: DomainObj, run: RunState, e: QmpEvent): void {
  if (obj.run !== run) return;
  drv.monitorEvents.emit({
    dom: obj.ref(),
    event: e.event,
    seconds: e.timestamp.seconds,
    micros: e.timestamp.microseconds,
    details: e.data && Object.keys(e.data).length ? JSON.stringify(e.data) : null,
  });
  switch (e.event) {
    case 'SHUTDOWN': {
      run.guestShutdown = true;
      if (run.fakeReboot) {
        run.fakeReboot = false;
        void fakeReboot(drv, obj, run);
        return;
      }
      const guest = e.data.guest === true;
      obj.setState(DomainState.SHUTDOWN, 0);
      drv.lifecycle(obj, LifecycleEvent.SHUTDOWN, guest ? ShutdownDetail.GUEST : ShutdownDetail.HOST);
      if (!run.stopCause) run.stopCause = 'shutdown';
      // on_poweroff: QEMU runs with -no-shutdown, so the driver ends it.
      void procOf(run)?.stop({ graceful: false }).catch(() => {});
      return;
    }
    case 'STOP': {
      if (run.guestShutdown || run.starting) return;
      if (obj.state === DomainState.RUNNING) {
        const reason = run.pausedReason ?? PausedReason.UNKNOWN;
        run.pausedReason = null;
        obj.setState(DomainState.PAUSED, reason);
        drv.lifecycle(obj, LifecycleEvent.SUSPENDED, SuspendedDetail.PAUSED);
        void saveStatus(drv, obj);
      }
      return;
    }
    case 'RESUME': {
      if (run.starting || run.guestShutdown) return;
      if (obj.state !== DomainState.RUNNING) {
        obj.setState(DomainState.RUNNING, RunningReason.UNPAUSED);
        drv.lifecycle(obj, LifecycleEvent.RESUMED, ResumedDetail.UNPAUSED);
        void saveStatus(drv, obj);
      }
      return;
    }
    case 'RESET':
      drv.events.emit({ kind: 'reboot', dom: obj.ref() });
      return;
  }
}

function onGuestCrash(drv: QemuDriverState, obj: DomainObj, run: RunState, c: GuestCrashInfo): void {
  if (obj.run !== run) return;
  run.errorText = c.message;
  void appendFile(run.logPath, `${logTimestamp()}: ${c.message}\n`).catch(() => {});
  if (c.status === 'guest-panicked') {
    obj.setState(DomainState.CRASHED, 1);
    drv.lifecycle(obj, LifecycleEvent.CRASHED, CrashedDetail.PANICKED);
    if (obj.def.onCrash === 'destroy' || obj.def.onCrash === 'coredump-destroy') {
      run.stopCause = 'crashed';
      void procOf(run)?.stop({ graceful: false }).catch(() => {});
      return;
    }
  } else {
    // KVM internal error: QEMU stopped the vCPUs and keeps them stopped until a reset.
    obj.setState(DomainState.PAUSED, PausedReason.CRASHED);
    drv.lifecycle(obj, LifecycleEvent.CRASHED, CrashedDetail.PANICKED);
  }
  void saveStatus(drv, obj);
}

async function fakeReboot(drv: QemuDriverState, obj: DomainObj, run: RunState): Promise<void> {
  const proc = procOf(run);
  if (!proc) return;
  try {
    await proc.qmp.execute('system_reset');
    const st = await proc.qmp.execute<{ status: string }>('query-status');
    run.guestShutdown = false;
    if (st.status !== 'running') await proc.qmp.execute('cont');
    obj.setState(DomainState.RUNNING, RunningReason.BOOTED);
    drv.lifecycle(obj, LifecycleEvent.RESUMED, ResumedDetail.UNPAUSED);
    await saveStatus(drv, obj);
  } catch {
    run.stopCause = 'shutdown';
    await proc.stop({ graceful: false }).catch(() => {});
  }
}

const CAUSE: Record<StopCause, [number, number, string]> = {
  destroyed: [ShutoffReason.DESTROYED, StoppedDetail.DESTROYED, 'destroyed'],
  shutdown: [ShutoffReason.SHUTDOWN, StoppedDetail.SHUTDOWN, 'shutdown'],
  crashed: [ShutoffReason.CRASHED, StoppedDetail.CRASHED, 'crashed'],
  failed: [ShutoffReason.FAILED, StoppedDetail.FAILED, 'failed'],
};

async function onExit(drv: QemuDriverState, obj: DomainObj, run: RunState, exit: QemuExit | null): Promise<void> {
  if (obj.run !== run) return;
  let cause = run.stopCause;
  if (!cause) {
    // Another process may have destroyed it: its intent is in the status file.
    const rec = await readStatusFile(drv.dirs, obj.name);
    if (rec?.stopCause && rec.pid === run.pid) cause = rec.stopCause as StopCause;
  }
  if (!cause) cause = exit?.reason ?? 'crashed';
  if (obj.run !== run) return;
  const [reason, detail, text] = CAUSE[cause];
  if (cause === 'crashed' && exit?.message) run.errorText = exit.message;
  void appendFile(run.logPath, `${logTimestamp()}: shutting down, reason=${text}\n`).catch(() => {});
  await drv.markStopped(obj, reason, detail, cause !== 'failed');
}

// ---- reconnect -----------------------------------------------------------------------------------------

/**
 * Re-attaches to a running domain's QEMU (started by an earlier process) and brings its state up to
 * date: gone → shut off (crashed unless a stop was recorded); guest powered off meanwhile (-no-shutdown
 * leaves QEMU paused in 'shutdown') → ended now, shut off (shutdown). Returns false when the monitor is
 * held by another process (the domain stays known as running from its status file).
 */
export async function reconnectDomain(drv: QemuDriverState, obj: DomainObj, timeoutMs: number): Promise<boolean> {
  const rec = await readStatusFile(drv.dirs, obj.name);
  if (!rec) {
    // Another process cleaned it up already, leaving why it stopped.
    const last = obj.persistent ? await persist.readLastState(drv.dirs, obj.name) : null;
    await drv.markStopped(obj, last?.state === DomainState.SHUTOFF ? last.reason : ShutoffReason.UNKNOWN, StoppedDetail.SHUTDOWN, false);
    return true;
  }
  const run = obj.run ?? newRunState({ pid: rec.pid, startTime: rec.startTime, monitorPath: rec.monitorPath, libDir: rec.libDir, logPath: rec.logPath });
  run.fakeReboot = rec.fakeReboot;
  if (!run.security) {
    const re = await reattachIsolation(drv, obj.def);
    run.security = re.guest;
    run.cgroup = re.cgroup;
  }
  run.statusWritten = true;
  obj.run = run;
  obj.setState(rec.state, rec.reason);
  let proc: QemuProcess | null;
  try {
    proc = await reconnectQemu({
      pid: rec.pid,
      monitorPath: rec.monitorPath,
      startTime: rec.startTime ?? undefined,
      name: obj.name,
      logPath: rec.logPath,
      timeoutMs,
    });
  } catch {
    if (procLiveness(rec.pid, rec.startTime).state !== 'alive') proc = null;
    else return false;
  }
  if (!proc) {
    const cause = (rec.stopCause as StopCause | null) ?? 'crashed';
    const [reason, detail] = CAUSE[cause];
    await drv.markStopped(obj, reason, detail);
    return true;
  }
  attach(drv, obj, run, proc);
  const st = await proc.qmp.execute<{ status: string; running: boolean }>('query-status').catch(() => null);
  if (!st) return true; // it is going away; onExit handles it
  if (st.status === 'shutdown') {
    run.guestShutdown = true;
    if (run.fakeReboot) {
      run.fakeReboot = false;
      await fakeReboot(drv, obj, run);
      return true;
    }
    run.stopCause = run.stopCause ?? 'shutdown';
    obj.setState(DomainState.SHUTDOWN, 0);
    await proc.stop({ graceful: false }).catch(() => {});
    await run.done;
    return true;
  }
  if (st.status === 'internal-error' || st.status === 'guest-panicked') {
    await proc.crash.check().catch(() => null);
    return true;
  }
  if (st.running && obj.state !== DomainState.RUNNING) {
    obj.setState(DomainState.RUNNING, RunningReason.UNPAUSED);
    void saveStatus(drv, obj);
  } else if (!st.running && obj.state === DomainState.RUNNING) {
    obj.setState(DomainState.PAUSED, PausedReason.UNKNOWN);
    void saveStatus(drv, obj);
  }
  return true;
}

/** For operations that need the monitor: attach now if another process had it earlier. */
export async function ensureAttached(drv: QemuDriverState, obj: DomainObj): Promise<QemuProcess> {
  let p = procOf(obj.run);
  if (p) return p;
  await reconnectDomain(drv, obj, 5_000);
  if (!obj.isActive()) throw notRunning();
  p = procOf(obj.run);
  if (!p) {
    throw virError(
      ErrorCode.OPERATION_TIMEOUT,
      ErrorDomain.QEMU,
      `cannot acquire state change lock: the monitor of domain '${obj.name}' is held by another process`,
    );
  }
  return p;
}

// ---- stop ------------------------------------------------------------------------------------------------

export async function destroyDomain(drv: QemuDriverState, obj: DomainObj, graceful: boolean, signal?: AbortSignal): Promise<void> {
  const run = obj.run;
  if (!run) throw notRunning();
  run.stopCause = 'destroyed';
  const proc = procOf(run);
  if (proc) {
    try {
      await proc.stop({ graceful, signal });
    } catch (e) {
      if (graceful) run.stopCause = null;
      throw e;
    }
    await run.done;
    return;
  }
  // Not attached (another process holds the monitor): record the intent, then signal the pid.
  await saveStatus(drv, obj);
  const alive = () => procLiveness(run.pid, run.startTime).state === 'alive';
  const waitGone = async (ms: number) => {
    const end = Date.now() + ms;
    let step = 1;
    while (alive()) {
      if (Date.now() > end || signal?.aborted) return false;
      await new Promise((r) => setTimeout(r, step));
      step = Math.min(step * 2, 50);
    }
    return true;
  };
  const send = (sig: NodeJS.Signals) => {
    if (!alive()) return;
    try {
      process.kill(run.pid, sig);
    } catch {
      /* gone */
    }
  };
  send('SIGTERM');
  if (!(await waitGone(10_000))) {
    if (graceful) {
      throw virError(ErrorCode.SYSTEM_ERROR, ErrorDomain.NONE, `Failed to terminate process ${run.pid} with SIGTERM: Device or resource busy`);
    }
    send('SIGKILL');
    if (!(await waitGone(5_000))) {
      throw virError(ErrorCode.SYSTEM_ERROR, ErrorDomain.NONE, `Failed to terminate process ${run.pid} with SIGKILL: Device or resource busy`);
    }
  }
  if (obj.run === run) await drv.markStopped(obj, ShutoffReason.DESTROYED, StoppedDetail.DESTROYED);
}

/** Detaches from every attached QEMU (they keep running), e.g. when the last connection closes. */
export function detachAll(drv: QemuDriverState): void {
  for (const obj of drv.domains.all()) {
    const p = procOf(obj.run);
    if (p && obj.run) {
      procs.delete(obj.run);
      obj.run.qmp = null;
      p.detach();
    }
  }
}
