// One QEMU driver instance (libvirt's virQEMUDriver): its directories and config, the domain list
// loaded from disk, events, the id counter, capabilities, and the glue the lifecycle code uses.
import { chown, mkdir, rename, rm, stat } from 'node:fs/promises';
import { type DomainCgroup, removeDomainCgroup } from '../../cgroup/index.js';
import type { DomainDef } from '../../conf/domain/index.js';
import { formatDomainXML, parseDomainXML } from '../../conf/domain/index.js';
import type { DomainEvent, QemuMonitorEvent } from '../../driver/api.js';
import { DomainState, LifecycleEvent } from '../../driver/constants.js';
import { createSecurityManager, type GuestSecurityInput, type ManagerHost, type SecurityManager } from '../../security/index.js';
import { readConfFile } from '../../util/conffile.js';
import { ErrorDomain, fromSystemError } from '../../util/errors.js';
import { getQemuCaps } from '../caps/store.js';
import type { QemuCaps } from '../caps/types.js';
import { configFromConf, defaultConfig, type QemuDriverConfig } from '../config.js';
import { type DriverMode, type QemuDirs, qemuDirs } from '../dirs.js';
import { qemuPostParse } from '../domain/postparse.js';
import { qemuValidate } from '../domain/validate.js';
import { DomainList, DomainObj } from './domobj.js';
import { EventBus } from './events.js';
import * as persist from './persist.js';
import type { RunState } from './runstate.js';

export interface DriverOpenOptions {
  mode: DriverMode;
  root?: string;
  uri?: string;
  /** Environment for XDG/HOME resolution (default process.env). */
  env?: NodeJS.ProcessEnv;
  /** Monitor greeting deadline when reconnecting to running guests at open (default 1500 ms). */
  reconnectTimeoutMs?: number;
  /** Host facts for the security manager (default: detected: SELinux/AppArmor state, user database). */
  securityHost?: ManagerHost;
}

export class QemuDriverState {
  readonly domains = new DomainList();
  readonly events = new EventBus<DomainEvent>();
  readonly monitorEvents = new EventBus<QemuMonitorEvent>();
  nextId = 1;
  refs = 0;
  closed = false;
  private capsCache = new Map<string, Promise<QemuCaps>>();
  /** The last status-file write per domain (writes are chained so they land in order). */
  readonly statusWrites = new WeakMap<DomainObj, Promise<void>>();

  constructor(
    readonly mode: DriverMode,
    readonly dirs: QemuDirs,
    readonly cfg: QemuDriverConfig,
    readonly uri: string,
    readonly opts: DriverOpenOptions,
    /** The security drivers (primary + DAC) chosen from qemu.conf for this instance. */
    readonly security: SecurityManager,
  ) {}

  /** QEMU's uid/gid (the DAC driver's), e.g. for ownership of per-domain files. */
  qemuIds(): { uid: number; gid: number } {
    const m = this.security.models().find((x) => x.model === 'dac');
    const l = m?.baselabels[0]?.label ?? '+0:+0';
    const [u, g] = l.split(':').map((x) => Number(x.replace(/^\+/, '')));
    return { uid: u || 0, gid: g || 0 };
  }

  static async create(opts: DriverOpenOptions): Promise<QemuDriverState> {
    const env = opts.env ?? process.env;
    const dirs = qemuDirs(opts.mode, opts.root ?? null, env);
    for (const d of dirs.create) {
      try {
        await mkdir(d, { recursive: true, mode: 0o755 });
      } catch (e) {
        throw fromSystemError(`Failed to create directory '${d}'`, e, ErrorDomain.QEMU);
      }
    }
    const base = defaultConfig({
      privileged: opts.mode === 'system' || (opts.mode === 'embed' && process.getuid?.() === 0),
      root: dirs.root ?? undefined,
      env,
    });
    const entries = await readConfFile(dirs.confFile);
    const cfg = configFromConf(base, entries);
    const uri = opts.uri ?? (opts.mode === 'embed' ? `qemu:///embed?root=${dirs.root}` : `qemu:///${opts.mode}`);
    const security = await createSecurityManager(cfg, { privileged: cfg.privileged, mode: opts.mode }, opts.securityHost);
    const st = new QemuDriverState(opts.mode, dirs, cfg, uri, opts, security);
    if (cfg.privileged) {
      // As libvirt's qemuStateInitialize: the directories QEMU itself works in belong to its user.
      const { uid, gid } = st.qemuIds();
      if (uid !== 0 || gid !== 0) {
        for (const d of [dirs.libDir, dirs.cacheDir]) {
          try {
            await chown(d, uid, gid);
          } catch (e) {
            throw fromSystemError(`unable to set ownership of '${d}' to ${uid}:${gid}`, e, ErrorDomain.QEMU);
          }
        }
      }
    }
    return st;
  }

  // ---- XML ------------------------------------------------------------------------------------------

  parse(xml: string, live = false): DomainDef {
    return parseDomainXML(xml, { live, skipValidate: live });
  }
  /**
   * Parses a definition from the user and applies the QEMU defaults and validation (which need the
   * emulator's capabilities, so the emulator is read from a first, unvalidated parse).
   */
  async parseNew(xml: string): Promise<{ def: DomainDef; caps: QemuCaps }> {
    const first = parseDomainXML(xml, { skipValidate: true });
    const caps = await this.capsFor(first);
    const def = parseDomainXML(xml, {
      // qemu.conf and the daemon's environment pick the default audio backend (QEMU_AUDIO_DRV)
      postParse: (d) => qemuPostParse(d, caps, { cfg: this.cfg, env: process.env }),
      validate: (d) => qemuValidate(d, caps),
    });
    return { def, caps };
  }
  format(def: DomainDef, opts: { inactive?: boolean; secure?: boolean; status?: boolean } = {}): string {
    return formatDomainXML(def, opts);
  }
  clone(def: DomainDef): DomainDef {
    return structuredClone(def);
  }

  // ---- capabilities ---------------------------------------------------------------------------------

  emulatorOf(def: DomainDef): string {
    return def.devices.emulator ?? defaultEmulator(def.os.arch);
  }

  async capsFor(def: DomainDef): Promise<QemuCaps> {
    return this.caps(this.emulatorOf(def));
  }

  /** Capabilities of an emulator: in memory, else the on-disk cache, else a probe. */
  caps(emulator: string): Promise<QemuCaps> {
    let p = this.capsCache.get(emulator);
    if (!p) {
      p = this.loadCaps(emulator);
      this.capsCache.set(emulator, p);
      p.catch(() => this.capsCache.delete(emulator));
    }
    return p;
  }

  private async loadCaps(emulator: string): Promise<QemuCaps> {
    try {
      await stat(emulator);
    } catch (e) {
      throw fromSystemError(`Cannot check QEMU binary ${emulator}`, e, ErrorDomain.QEMU);
    }
    return getQemuCaps(emulator, this.dirs.cacheDir);
  }

  // ---- loading from disk ----------------------------------------------------------------------------

  /** Reads persistent configs, autostart links and status XML (no reconnecting yet). */
  async loadFromDisk(): Promise<DomainObj[]> {
    const [configs, autostart, statuses, nextId] = await Promise.all([
      persist.readConfigs(this.dirs),
      persist.readAutostartNames(this.dirs),
      persist.readStatuses(this.dirs),
      persist.readNextId(this.dirs),
    ]);
    this.nextId = nextId;
    for (const c of configs) {
      let def: DomainDef;
      try {
        def = this.parse(c.xml);
      } catch {
        continue; // libvirt logs and skips configs it cannot parse
      }
      if (def.name !== c.name || this.domains.findByUUID(def.uuid) || this.domains.findByName(def.name)) continue;
      const obj = new DomainObj(def);
      obj.persistent = true;
      obj.autostart = autostart.has(def.name);
      this.domains.add(obj);
    }
    const running: DomainObj[] = [];
    for (const { name, rec } of statuses) {
      let live: DomainDef;
      try {
        live = this.parse(rec.domainXML, true);
      } catch {
        continue;
      }
      if (live.name !== name || live.id < 0) continue;
      let obj = this.domains.findByUUID(live.uuid);
      if (obj && obj.name !== live.name) continue;
      if (!obj) {
        obj = new DomainObj(live);
        obj.persistent = false;
        this.domains.add(obj);
      } else {
        obj.newDef = obj.def;
        obj.def = live;
      }
      obj.id = live.id;
      obj.setState(rec.state, rec.reason);
      if (live.id >= this.nextId) this.nextId = live.id + 1;
      running.push(obj);
    }
    return running;
  }

  // ---- ids ------------------------------------------------------------------------------------------

  async allocateId(): Promise<number> {
    // Another process on the same root may have started guests since we loaded.
    const onDisk = await persist.readNextId(this.dirs);
    const id = Math.max(this.nextId, onDisk);
    this.nextId = id + 1;
    await persist.writeNextId(this.dirs, this.nextId);
    return id;
  }

  // ---- events ---------------------------------------------------------------------------------------

  lifecycle(obj: DomainObj, event: number, detail: number): void {
    this.events.emit({ kind: 'lifecycle', dom: obj.ref(), event, detail });
  }

  // ---- cleanup after a domain stopped ---------------------------------------------------------------

  releaseIsolation(run: RunState): Promise<void> {
    return releaseIsolationOf(this.security, run);
  }

  /** Marks a domain shut off (reason), restores its persistent definition, removes runtime files. */
  async markStopped(obj: DomainObj, reason: number, detail: number, emit = true): Promise<void> {
    const run = obj.run;
    // Queued status writes see obj.run !== run and skip; the file is gone before the state says
    // shut off, so no process ever finds a status file for a domain reported as stopped.
    obj.run = null;
    await this.statusWrites.get(obj);
    // Whoever takes the status file away (several processes may share an embedded root) gives the
    // guest's files back and removes its cgroup; a start that failed before any status was written
    // is cleaned up by the process that started it.
    const claim = `${persist.statusPath(this.dirs, obj.name)}.stopping`;
    let owner = false;
    try {
      await rename(persist.statusPath(this.dirs, obj.name), claim);
      owner = true;
    } catch {
      owner = !!run && !run.statusWritten && run.child;
    }
    if (owner && run) await this.releaseIsolation(run);
    await rm(claim, { force: true }).catch(() => {});
    await persist.removeStatus(this.dirs, obj.name);
    const ref = obj.ref();
    obj.id = -1;
    obj.setState(DomainState.SHUTOFF, reason);
    if (obj.newDef) {
      obj.def = obj.newDef;
      obj.newDef = null;
    } else {
      obj.def = { ...obj.def, id: -1 };
    }
    if (emit) this.events.emit({ kind: 'lifecycle', dom: ref, event: LifecycleEvent.STOPPED, detail });
    if (!obj.persistent) this.domains.remove(obj);
    if (run?.libDir) await rm(run.libDir, { recursive: true, force: true }).catch(() => {});
  }
}

/** After QEMU is gone: owners/labels back, labels released, cgroup removed (never throws). */
export async function releaseIsolationOf(security: SecurityManager, run: { security?: GuestSecurityInput; cgroup?: DomainCgroup }): Promise<void> {
  const guest = run.security;
  run.security = undefined;
  if (guest) {
    await security.restoreAllLabel(guest).catch(() => []);
    await security.releaseLabel(guest).catch(() => {});
  }
  const cg = run.cgroup;
  run.cgroup = undefined;
  if (cg) await removeDomainCgroup(cg).catch(() => {});
}

const ARCH_EMULATOR: Record<string, string> = { x64: 'x86_64', arm64: 'aarch64', ia32: 'i386' };

/** The emulator libvirt picks when the XML names none: qemu-system-ARCH in /usr/bin. */
export function defaultEmulator(arch?: string): string {
  const a = arch ?? ARCH_EMULATOR[process.arch] ?? process.arch;
  return `/usr/bin/qemu-system-${a}`;
}
