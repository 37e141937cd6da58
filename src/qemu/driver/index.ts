// The QEMU driver behind the HypervisorDriver interface: embedded (qemu:///embed?root=…) in the
// caller's process, or system/session inside tsvirtd. openQemuDriver() loads the domain list from
// disk, reconnects to guests left running by an earlier process, and returns a connection; several
// roots can be open at once, and opening the same root twice shares one driver instance.

import { readFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import type { Duplex } from 'node:stream';
import type {
  DomainCapsQuery,
  DomainEvent,
  DomainInfo,
  DomainRef,
  DomainStateInfo,
  EventSubscription,
  HypervisorDriver,
  NodeInfo,
  QemuMonitorEvent,
} from '../../driver/api.js';
import {
  DefinedDetail,
  DomainCreateFlags,
  DomainDefineFlags,
  DomainDestroyFlags,
  DomainShutdownFlags,
  DomainState,
  DomainUndefineFlags,
  DomainXMLFlags,
  LifecycleEvent,
  PausedReason,
  QemuMonitorCommandFlags,
  ResumedDetail,
  RunningReason,
  SuspendedDetail,
  UndefinedDetail,
} from '../../driver/constants.js';
import type { PreflightProblem } from '../../security/index.js';
import { ErrorCode, ErrorDomain, invalidArg, operationInvalid, VirError, virError } from '../../util/errors.js';
import type { DriverMode } from '../dirs.js';
import { domainLibDir } from '../dirs.js';
import { type DomainObj, DomainObj as DomainObjClass, matchesListFlags, noDomainByID, noDomainByName, noDomainByUUID, notRunning } from './domobj.js';
import { lifecycleIfLoaded, loadCapsXML, loadLifecycle } from './lazy.js';
import { checkMonitorCommand, compactJSON } from './monjson.js';
import * as persist from './persist.js';
import { type DriverOpenOptions, QemuDriverState } from './state.js';

export interface OpenQemuDriverOptions {
  mode: DriverMode;
  /** Embedded root (absolute); required for mode 'embed'. */
  root?: string;
  /** The URI the connection reports (getURI). */
  uri?: string;
  env?: NodeJS.ProcessEnv;
  /** Greeting deadline when reconnecting to running guests at open (default 1500 ms). */
  reconnectTimeoutMs?: number;
}

const LIB_VERSION = 9_000_000;

function checkFlags(flags: number, allowed: number, fn: string): void {
  const bad = flags & ~allowed;
  if (bad) throw invalidArg(`unsupported flags (0x${bad.toString(16)}) in function ${fn}`, ErrorDomain.QEMU);
}

// ---- driver instances, shared per root ------------------------------------------------------------------

const instances = new Map<string, Promise<QemuDriverState>>();

function instanceKey(o: OpenQemuDriverOptions): string {
  return o.mode === 'embed' ? `embed:${o.root}` : o.mode;
}

async function acquireState(o: OpenQemuDriverOptions): Promise<QemuDriverState> {
  const key = instanceKey(o);
  let p = instances.get(key);
  if (!p) {
    p = (async () => {
      const st = await QemuDriverState.create(o as DriverOpenOptions);
      const running = await st.loadFromDisk();
      if (running.length) {
        const { reconnectDomain } = await loadLifecycle();
        const timeout = o.reconnectTimeoutMs ?? 1500;
        await Promise.all(running.map((obj) => obj.job.run(() => reconnectDomain(st, obj, timeout).catch(() => false))));
      }
      return st;
    })();
    instances.set(key, p);
    p.catch(() => instances.delete(key));
  }
  const st = await p;
  st.refs++;
  return st;
}

function releaseState(st: QemuDriverState, o: OpenQemuDriverOptions): void {
  st.refs--;
  if (st.refs > 0) return;
  instances.delete(instanceKey(o));
  st.closed = true;
  lifecycleIfLoaded()?.detachAll(st);
  st.events.closeAll();
  st.monitorEvents.closeAll();
}

/** Opens the QEMU driver for a URI flavour; tsvirtd and the embedded connection both use this. */
export async function openQemuDriver(opts: OpenQemuDriverOptions): Promise<QemuDriver> {
  if (opts.mode === 'embed' && !opts.root) {
    throw virError(ErrorCode.INVALID_ARG, ErrorDomain.URI, "Missing URI parameter 'root'");
  }
  const st = await acquireState(opts);
  return new QemuDriver(st, opts);
}

export class QemuDriver implements HypervisorDriver {
  private closed = false;
  private subs = new Set<EventSubscription<unknown>>();

  constructor(
    readonly state: QemuDriverState,
    private readonly opts: OpenQemuDriverOptions,
  ) {}

  private get st(): QemuDriverState {
    if (this.closed) throw virError(ErrorCode.INVALID_CONN, ErrorDomain.NONE, 'virConnect');
    return this.state;
  }

  /** The domain object for a ref (by UUID, as libvirt's qemuDomainObjFromDomain); its definition may be unparsed. */
  private obj(ref: DomainRef): DomainObj {
    const o = this.st.domains.findByUUID(ref.uuid);
    if (!o) throw noDomainByUUID(ref.uuid, ref.name);
    return o;
  }

  /** The domain object with its definition parsed. */
  private objDef(ref: DomainRef): Promise<DomainObj> {
    return this.st.withDef(this.obj(ref));
  }

  /** Runs `fn` under the domain's job lock; the object is re-checked once the lock is held. */
  private job<T>(ref: DomainRef, fn: (o: DomainObj) => Promise<T>): Promise<T> {
    const o = this.obj(ref);
    return o.job.run(async () => {
      if (o.removed) throw noDomainByUUID(ref.uuid, ref.name);
      await this.st.withDef(o);
      return fn(o);
    });
  }

  // ---- connection ------------------------------------------------------------------------------------

  async getURI(): Promise<string> {
    return this.st.uri;
  }
  async getType(): Promise<string> {
    return 'QEMU';
  }
  /** The default emulator's version from its (cached) capabilities; a failed probe is an error, as in libvirt. */
  async getVersion(): Promise<number> {
    return this.st.defaultVersion();
  }
  async getLibVersion(): Promise<number> {
    return LIB_VERSION;
  }
  async getHostname(): Promise<string> {
    return hostname();
  }
  async getCapabilities(): Promise<string> {
    const [{ hostCapabilitiesXML }, sec] = await Promise.all([loadCapsXML(), this.st.securityManager()]);
    return hostCapabilitiesXML(this.st, sec.models());
  }
  async getDomainCapabilities(q: DomainCapsQuery): Promise<string> {
    return (await loadCapsXML()).domainCapabilitiesXML(this.st, q);
  }
  async nodeGetInfo(): Promise<NodeInfo> {
    const { readNodeInfo } = await import('../../host/nodeinfo.js');
    return readNodeInfo();
  }

  // ---- lookups ---------------------------------------------------------------------------------------

  async listAllDomains(flags = 0): Promise<DomainRef[]> {
    const all = this.st.domains.all().filter((d) => matchesListFlags(d, flags));
    return all.map((d) => d.ref());
  }
  async lookupByName(name: string): Promise<DomainRef> {
    const o = this.st.domains.findByName(name);
    if (!o) throw noDomainByName(name);
    return o.ref();
  }
  async lookupByUUID(uuid: string): Promise<DomainRef> {
    const o = this.st.domains.findByUUID(uuid);
    if (!o) throw noDomainByUUID(uuid.toLowerCase());
    return o.ref();
  }
  async lookupByID(id: number): Promise<DomainRef> {
    const o = this.st.domains.findByID(id);
    if (!o) throw noDomainByID(id);
    return o.ref();
  }

  // ---- define / undefine -----------------------------------------------------------------------------

  async defineXML(xml: string, flags = 0): Promise<DomainRef> {
    checkFlags(flags, 1, 'qemuDomainDefineXMLFlags');
    const st = this.st;
    if (flags & DomainDefineFlags.VALIDATE) await (await import('../../conf/schema.js')).validateDomainSchema(xml);
    const { def } = await st.parseNew(xml);
    const existing = st.domains.checkDuplicate(def.name, def.uuid);
    if (existing) {
      return existing.job.run(async () => {
        const text = st.format(def, { inactive: true, secure: true });
        await persist.writeConfig(st.dirs, def.name, text);
        if (existing.isActive()) existing.newDef = def;
        else existing.def = def;
        const wasPersistent = existing.persistent;
        existing.persistent = true;
        if (existing.removed) st.domains.add(existing);
        existing.removed = false;
        if (existing.isActive()) await (await loadLifecycle()).saveStatus(st, existing);
        st.lifecycle(existing, LifecycleEvent.DEFINED, wasPersistent ? DefinedDetail.UPDATED : DefinedDetail.ADDED);
        return existing.ref();
      });
    }
    const obj = new DomainObjClass(def);
    obj.persistent = true;
    // Reserve the name/UUID while the file is written; a failed write leaves nothing behind.
    st.domains.add(obj);
    try {
      await obj.job.run(async () => {
        await persist.writeConfig(st.dirs, def.name, st.format(def, { inactive: true, secure: true }));
        await persist.removeLastState(st.dirs, def.name); // left by an earlier domain of this name
      });
    } catch (e) {
      st.domains.remove(obj);
      throw e;
    }
    st.lifecycle(obj, LifecycleEvent.DEFINED, DefinedDetail.ADDED);
    return obj.ref();
  }

  async undefine(ref: DomainRef, flags = 0): Promise<void> {
    const F = DomainUndefineFlags;
    checkFlags(flags, F.MANAGED_SAVE | F.SNAPSHOTS_METADATA | F.NVRAM | F.KEEP_NVRAM | F.CHECKPOINTS_METADATA | F.TPM | F.KEEP_TPM, 'qemuDomainUndefineFlags');
    const st = this.st;
    await this.job(ref, async (o) => {
      if (!o.persistent) throw operationInvalid('cannot undefine transient domain');
      await persist.removeConfig(st.dirs, o.name);
      await persist.removeLastState(st.dirs, o.name);
      o.autostart = false;
      st.lifecycle(o, LifecycleEvent.UNDEFINED, UndefinedDetail.REMOVED);
      if (o.isActive()) {
        o.persistent = false;
        o.newDef = null;
        await (await loadLifecycle()).saveStatus(st, o);
      } else {
        st.domains.remove(o);
      }
    });
  }

  // ---- start -----------------------------------------------------------------------------------------

  async create(ref: DomainRef, flags = 0, signal?: AbortSignal): Promise<DomainRef> {
    const F = DomainCreateFlags;
    checkFlags(flags, F.START_PAUSED | F.START_AUTODESTROY | F.START_BYPASS_CACHE | F.START_FORCE_BOOT | F.START_VALIDATE | F.START_RESET_NVRAM, 'qemuDomainCreateWithFlags');
    return this.job(ref, async (o) => {
      if (o.isActive()) throw operationInvalid('domain is already running');
      await (await loadLifecycle()).startDomain(this.st, o, { paused: (flags & F.START_PAUSED) !== 0, signal });
      return o.ref();
    });
  }

  async createXML(xml: string, flags = 0, signal?: AbortSignal): Promise<DomainRef> {
    const F = DomainCreateFlags;
    checkFlags(flags, F.START_PAUSED | F.START_AUTODESTROY | F.START_BYPASS_CACHE | F.START_VALIDATE | F.START_RESET_NVRAM, 'qemuDomainCreateXML');
    const st = this.st;
    if (flags & F.START_VALIDATE) await (await import('../../conf/schema.js')).validateDomainSchema(xml);
    const { def } = await st.parseNew(xml);
    const existing = st.domains.checkDuplicate(def.name, def.uuid);
    if (existing) {
      return existing.job.run(async () => {
        if (existing.isActive()) throw operationInvalid(`domain '${def.name}' is already active`);
        // A persistent domain started with a transient definition: the config stays for later.
        existing.newDef = null;
        const saved = existing.def;
        existing.def = def;
        try {
          await (await loadLifecycle()).startDomain(st, existing, { paused: (flags & F.START_PAUSED) !== 0, signal });
        } catch (e) {
          existing.def = saved;
          throw e;
        }
        existing.newDef = saved;
        return existing.ref();
      });
    }
    const obj = new DomainObjClass(def);
    st.domains.add(obj);
    return obj.job.run(async () => {
      try {
        await (await loadLifecycle()).startDomain(st, obj, { paused: (flags & F.START_PAUSED) !== 0, signal });
      } catch (e) {
        if (!obj.isActive()) st.domains.remove(obj);
        throw e;
      }
      return obj.ref();
    });
  }

  /** Starts every autostart domain that is not running (tsvirtd calls this once at daemon start). */
  async autostartAll(): Promise<Array<{ name: string; error?: VirError }>> {
    const st = this.st;
    const todo = st.domains.all().filter((d) => d.autostart && d.persistent && !d.isActive());
    return Promise.all(
      todo.map((o) =>
        o.job.run(async () => {
          if (o.isActive() || o.removed) return { name: o.name };
          try {
            await st.withDef(o);
            await (await loadLifecycle()).startDomain(st, o, { paused: false });
            return { name: o.name };
          } catch (e) {
            return { name: o.name, error: e instanceof VirError ? e : virError(ErrorCode.INTERNAL_ERROR, ErrorDomain.QEMU, String(e)) };
          }
        }),
      ),
    );
  }

  // ---- stop ------------------------------------------------------------------------------------------

  async shutdown(ref: DomainRef, flags = 0): Promise<void> {
    const F = DomainShutdownFlags;
    checkFlags(flags, F.ACPI_POWER_BTN | F.GUEST_AGENT, 'qemuDomainShutdownFlags');
    await this.job(ref, async (o) => {
      if (flags & F.GUEST_AGENT && !(flags & F.ACPI_POWER_BTN)) {
        throw virError(ErrorCode.ARGUMENT_UNSUPPORTED, ErrorDomain.QEMU, 'QEMU guest agent is not configured');
      }
      if (!o.isActive()) throw notRunning();
      const proc = await (await loadLifecycle()).ensureAttached(this.st, o);
      if (o.state !== DomainState.RUNNING) throw notRunning();
      await proc.qmp.execute('system_powerdown');
    });
  }

  async reboot(ref: DomainRef, flags = 0): Promise<void> {
    const F = DomainShutdownFlags;
    checkFlags(flags, F.ACPI_POWER_BTN | F.GUEST_AGENT, 'qemuDomainReboot');
    await this.job(ref, async (o) => {
      if (flags & F.GUEST_AGENT && !(flags & F.ACPI_POWER_BTN)) {
        throw virError(ErrorCode.ARGUMENT_UNSUPPORTED, ErrorDomain.QEMU, 'QEMU guest agent is not configured');
      }
      if (!o.isActive()) throw notRunning();
      const proc = await (await loadLifecycle()).ensureAttached(this.st, o);
      if (!o.run) throw notRunning();
      o.run.fakeReboot = true;
      await (await loadLifecycle()).saveStatus(this.st, o);
      await proc.qmp.execute('system_powerdown');
    });
  }

  async reset(ref: DomainRef, flags = 0): Promise<void> {
    checkFlags(flags, 0, 'qemuDomainReset');
    await this.job(ref, async (o) => {
      if (!o.isActive()) throw notRunning();
      const proc = await (await loadLifecycle()).ensureAttached(this.st, o);
      await proc.qmp.execute('system_reset');
      if (o.run) o.run.fakeReboot = false;
    });
  }

  async destroy(ref: DomainRef, flags = 0, signal?: AbortSignal): Promise<void> {
    checkFlags(flags, DomainDestroyFlags.GRACEFUL, 'qemuDomainDestroyFlags');
    await this.job(ref, async (o) => {
      if (!o.isActive()) throw notRunning();
      await (await loadLifecycle()).destroyDomain(this.st, o, (flags & DomainDestroyFlags.GRACEFUL) !== 0, signal);
    });
  }

  async suspend(ref: DomainRef): Promise<void> {
    await this.job(ref, async (o) => {
      if (!o.isActive()) throw notRunning();
      if (o.state === DomainState.PMSUSPENDED) throw operationInvalid('domain is pmsuspended');
      if (o.state === DomainState.PAUSED) return;
      const proc = await (await loadLifecycle()).ensureAttached(this.st, o);
      if (o.run) o.run.pausedReason = PausedReason.USER;
      await proc.qmp.execute('stop');
      if ((o.state as number) !== DomainState.PAUSED) {
        o.setState(DomainState.PAUSED, PausedReason.USER);
        this.st.lifecycle(o, LifecycleEvent.SUSPENDED, SuspendedDetail.PAUSED);
      } else o.reason = PausedReason.USER;
      await (await loadLifecycle()).saveStatus(this.st, o);
    });
  }

  async resume(ref: DomainRef): Promise<void> {
    await this.job(ref, async (o) => {
      if (!o.isActive()) throw notRunning();
      if (o.state === DomainState.PMSUSPENDED) throw operationInvalid('domain is pmsuspended');
      if (o.state === DomainState.RUNNING) throw operationInvalid('domain is already running');
      const proc = await (await loadLifecycle()).ensureAttached(this.st, o);
      try {
        await proc.qmp.execute('cont');
      } catch (e) {
        const why = o.run?.errorText;
        if (why) throw virError(ErrorCode.OPERATION_FAILED, ErrorDomain.QEMU, `resuming after a crash needs a reset or destroy: ${why}`);
        throw e;
      }
      if ((o.state as number) !== DomainState.RUNNING) {
        o.setState(DomainState.RUNNING, RunningReason.UNPAUSED);
        this.st.lifecycle(o, LifecycleEvent.RESUMED, ResumedDetail.UNPAUSED);
      }
      await (await loadLifecycle()).saveStatus(this.st, o);
    });
  }

  // ---- information -----------------------------------------------------------------------------------

  async getXMLDesc(ref: DomainRef, flags = 0): Promise<string> {
    const F = DomainXMLFlags;
    checkFlags(flags, F.SECURE | F.INACTIVE | F.UPDATE_CPU | F.MIGRATABLE, 'qemuDomainGetXMLDesc');
    const o = await this.objDef(ref);
    const inactive = (flags & F.INACTIVE) !== 0 || !o.isActive();
    const def = flags & F.INACTIVE && o.newDef ? o.newDef : o.def;
    return this.st.format(def, { inactive, secure: (flags & F.SECURE) !== 0 });
  }

  async getState(ref: DomainRef, flags = 0): Promise<DomainStateInfo> {
    checkFlags(flags, 0, 'qemuDomainGetState');
    const o = this.obj(ref);
    return { state: o.state, reason: o.reason };
  }

  async getInfo(ref: DomainRef): Promise<DomainInfo> {
    const o = await this.objDef(ref);
    let cpuTime = 0n;
    if (o.isActive() && o.run) {
      try {
        const stat = await readFile(`/proc/${o.run.pid}/stat`, 'utf8');
        const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        const ticks = BigInt(rest[11]) + BigInt(rest[12]); // utime + stime
        cpuTime = (ticks * 1_000_000_000n) / 100n;
      } catch {
        /* gone meanwhile */
      }
    }
    const def = o.def;
    return {
      state: o.state,
      maxMem: def.memory,
      memory: o.isActive() ? def.currentMemory || def.memory : def.currentMemory || def.memory,
      nrVirtCpu: def.vcpu.current ?? def.vcpu.max,
      cpuTime,
    };
  }

  async getAutostart(ref: DomainRef): Promise<boolean> {
    return this.obj(ref).autostart;
  }

  async setAutostart(ref: DomainRef, autostart: boolean): Promise<void> {
    await this.job(ref, async (o) => {
      if (!o.persistent) throw operationInvalid('cannot set autostart for transient domain');
      if (o.autostart === autostart) return;
      await persist.setAutostartLink(this.st.dirs, o.name, autostart);
      o.autostart = autostart;
    });
  }

  async isActive(ref: DomainRef): Promise<boolean> {
    return this.obj(ref).isActive();
  }
  async isPersistent(ref: DomainRef): Promise<boolean> {
    return this.obj(ref).persistent;
  }

  // ---- isolation preflight (tsvirt domain-preflight) -------------------------------------------------

  /**
   * What would keep QEMU, as the configured user, from using the domain's files (a parent directory
   * without o+x, an unreadable image …), checked the way a start checks them. Nothing is changed.
   */
  async preflightDomain(ref: DomainRef): Promise<PreflightProblem[]> {
    const o = await this.objDef(ref);
    const { preflightDef } = await import('./isolation.js');
    return preflightDef(this.st, o.isActive() ? o.def : o.persistentDef());
  }

  /** preflightDomain's result as `tsvirt domain-preflight` prints it. */
  async preflightReport(ref: DomainRef): Promise<{ problems: PreflightProblem[]; text: string }> {
    const problems = await this.preflightDomain(ref);
    const { formatPreflight } = await import('../../security/index.js');
    return { problems, text: formatPreflight(ref.name, problems) };
  }

  // ---- native formats --------------------------------------------------------------------------------

  async domainXMLToNative(format: string, xml: string, flags = 0): Promise<string> {
    checkFlags(flags, 0, 'qemuConnectDomainXMLToNative');
    if (format !== 'qemu-argv') throw invalidArg(`Unsupported config type ${format}`, ErrorDomain.QEMU);
    const st = this.st;
    const { def, caps } = await st.parseNew(xml);
    const [{ loadBuilder, splitCommand }, { createHost }, { commandToString }] = await Promise.all([loadLifecycle(), import('./host.js'), import('./native.js')]);
    const { build, prepare } = await loadBuilder();
    const live = st.clone(def);
    live.id = -1;
    const libDir = domainLibDir(st.dirs, -1, def.name);
    const host = createHost({ drv: st, libDir, monitorPath: `${libDir}/monitor.sock`, pretend: true });
    const prepared = prepare(live, caps, host, st.cfg) ?? live;
    const cmd = splitCommand(build(prepared, caps, host, st.cfg), st.emulatorOf(def));
    return commandToString(cmd.envList, [cmd.argv0, ...cmd.args]);
  }

  async domainXMLFromNative(_format: string, _config: string, _flags = 0): Promise<string> {
    // Removed from the QEMU driver in libvirt 5.5.0: the driver has no such entry point.
    throw virError(ErrorCode.NO_SUPPORT, ErrorDomain.NONE, 'virConnectDomainXMLFromNative');
  }

  // ---- monitor and console ---------------------------------------------------------------------------

  async qemuMonitorCommand(ref: DomainRef, cmd: string, flags = 0, signal?: AbortSignal): Promise<string> {
    checkFlags(flags, QemuMonitorCommandFlags.HMP, 'qemuDomainQemuMonitorCommand');
    return this.job(ref, async (o) => {
      if (!o.isActive()) throw notRunning();
      const proc = await (await loadLifecycle()).ensureAttached(this.st, o);
      // HMP: the text human-monitor-command returned, \r\n line ends included, as libvirt returns it.
      if (flags & QemuMonitorCommandFlags.HMP) return proc.qmp.hmp(cmd, { signal });
      checkMonitorCommand(cmd);
      return compactJSON(await proc.qmp.executeRawText(cmd, { signal }));
    });
  }

  async openConsole(ref: DomainRef, devName: string | null, flags = 0): Promise<Duplex> {
    checkFlags(flags, 1 | 2, 'qemuDomainOpenConsole');
    const o = await this.objDef(ref);
    if (!o.isActive()) throw notRunning();
    const { openConsoleStream } = await import('./console.js');
    return openConsoleStream(o, devName);
  }

  // ---- events ----------------------------------------------------------------------------------------

  domainEvents(dom?: DomainRef | null): EventSubscription<DomainEvent> {
    const uuid = dom?.uuid.toLowerCase();
    const sub = this.st.events.subscribe((e) => !uuid || e.dom.uuid.toLowerCase() === uuid);
    return this.track(sub);
  }

  qemuMonitorEvents(dom?: DomainRef | null, event?: string | null, _flags = 0): EventSubscription<QemuMonitorEvent> {
    const uuid = dom?.uuid.toLowerCase();
    const sub = this.st.monitorEvents.subscribe((e) => (!uuid || e.dom.uuid.toLowerCase() === uuid) && (!event || e.event === event));
    return this.track(sub);
  }

  private track<T>(sub: EventSubscription<T>): EventSubscription<T> {
    this.subs.add(sub as EventSubscription<unknown>);
    const close = sub.close.bind(sub);
    sub.close = () => {
      this.subs.delete(sub as EventSubscription<unknown>);
      close();
    };
    return sub;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const s of [...this.subs]) s.close();
    releaseState(this.state, this.opts);
  }
}

export type { DomainObj };
