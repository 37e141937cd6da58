// One QEMU driver instance (libvirt's virQEMUDriver): its directories and config, the domain list
// loaded from disk, events, the id counter, capabilities, and the glue the lifecycle code uses.
import { readFileSync } from 'node:fs';
import { chown, mkdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { DomainCgroup } from '../../cgroup/index.js';
import type { DomainDef } from '../../conf/domain/index.js';
import type { DomainEvent, QemuMonitorEvent } from '../../driver/api.js';
import { DomainState, LifecycleEvent } from '../../driver/constants.js';
import type { GuestSecurityInput, ManagerHost, SecurityManager } from '../../security/index.js';
import { writeFileAtomic } from '../../util/atomic.js';
import { readConfFile } from '../../util/conffile.js';
import { ErrorCode, ErrorDomain, fromSystemError, virError } from '../../util/errors.js';
import type { QemuCaps } from '../caps/types.js';
import { configFromConf, defaultConfig, type QemuDriverConfig } from '../config.js';
import { type DriverMode, type QemuDirs, qemuDirs } from '../dirs.js';
import { currentBuild, type DirStamp, type IndexEntry, identities, readIndex, sameDir, sameIdentity, stampTrusted, writeIndex } from './configindex.js';
import { DomainList, DomainObj } from './domobj.js';
import { EventBus } from './events.js';
import { confNow, loadConf, loadQemuDomain, loadStatus } from './lazy.js';
import * as persist from './persist.js';
import type { RunState } from './runstate.js';

/** What tsvirt-caps-summary.json keeps per emulator: the caps file it summarises and its small fields. */
interface CapsSummary {
  file: { ino: number; size: number; mtimeMs: number };
  caps: Omit<QemuCaps, 'accel' | 'flags'> & { flags: string[] };
}

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
  ) {}

  private securityP: Promise<SecurityManager> | undefined;
  private securityNow: SecurityManager | undefined;

  /**
   * The security drivers (primary + DAC) chosen from qemu.conf for this instance, created on first
   * use: they load the native xattr addon and read the user database.
   */
  securityManager(): Promise<SecurityManager> {
    this.securityP ??= (async () => {
      const { createSecurityManager } = await import('../../security/index.js');
      const m = await createSecurityManager(this.cfg, { privileged: this.cfg.privileged, mode: this.mode }, this.opts.securityHost);
      this.securityNow = m;
      return m;
    })();
    return this.securityP;
  }

  /** The security manager once created (code that runs after a start or reconnect). */
  get security(): SecurityManager {
    if (!this.securityNow) throw virError(ErrorCode.INTERNAL_ERROR, ErrorDomain.QEMU, 'security manager not initialized');
    return this.securityNow;
  }

  /** QEMU's uid/gid (the DAC driver's), e.g. for ownership of per-domain files. */
  async qemuIds(): Promise<{ uid: number; gid: number }> {
    const m = (await this.securityManager()).models().find((x) => x.model === 'dac');
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
    const st = new QemuDriverState(opts.mode, dirs, cfg, uri, opts);
    // A security driver named in qemu.conf, or QEMU's user/group, must exist at open, as libvirt
    // refuses to initialize otherwise; with neither set nothing can fail and the manager waits.
    const isRoot = (x: string) => x === 'root' || x === '0' || x === '+0';
    const qemuNotRoot = cfg.privileged && !(isRoot(cfg.user) && isRoot(cfg.group));
    if (cfg.securityDriverNames.length > 0 || qemuNotRoot || opts.securityHost) await st.securityManager();
    if (qemuNotRoot) {
      // As libvirt's qemuStateInitialize: the directories QEMU itself works in belong to its user.
      const { uid, gid } = await st.qemuIds();
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

  async parse(xml: string, live = false): Promise<DomainDef> {
    return (await loadConf()).parseDomainXML(xml, { live, skipValidate: live });
  }
  /**
   * Parses a definition from the user and applies the QEMU defaults and validation (which need the
   * emulator's capabilities, so the emulator is read from a first, unvalidated parse).
   */
  async parseNew(xml: string): Promise<{ def: DomainDef; caps: QemuCaps }> {
    const [{ parseDomainXML }, { qemuPostParse, qemuValidate }] = await Promise.all([loadConf(), loadQemuDomain()]);
    const first = parseDomainXML(xml, { skipValidate: true });
    const caps = await this.capsFor(first);
    const def = parseDomainXML(xml, {
      // qemu.conf and the daemon's environment pick the default audio backend (QEMU_AUDIO_DRV)
      postParse: (d) => qemuPostParse(d, caps, { cfg: this.cfg, env: process.env }),
      validate: (d) => qemuValidate(d, caps),
    });
    return { def, caps };
  }
  /** Formats a definition (a definition exists only once the XML module is loaded). */
  format(def: DomainDef, opts: { inactive?: boolean; secure?: boolean; status?: boolean } = {}): string {
    return confNow().formatDomainXML(def, opts);
  }
  /** Makes sure a domain's definition is parsed (configs listed from the index are parsed on first use). */
  async withDef(obj: DomainObj): Promise<DomainObj> {
    if (!obj.hasDef()) {
      await loadConf();
      obj.def;
    }
    return obj;
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

  /**
   * The default emulator's version (virConnectGetVersion), from its cached capabilities. The caps
   * cache file is large; a summary of it (every field but the per-accelerator machine and CPU model
   * lists) is kept beside it and used while the cache file is the same one and still valid.
   */
  async defaultVersion(): Promise<number> {
    const emulator = defaultEmulator();
    if (!this.capsCache.has(emulator)) {
      try {
        const v = await this.summaryVersion(emulator);
        if (v !== null) return v;
      } catch {
        /* no usable summary */
      }
    }
    const caps = await this.caps(emulator);
    await this.writeSummary(emulator, caps).catch(() => {});
    return caps.version;
  }

  private summaryPath(): string {
    return join(this.dirs.cacheDir, 'tsvirt-caps-summary.json');
  }

  private async summaryVersion(emulator: string): Promise<number | null> {
    const store = await import('../caps/store.js');
    const [text, st] = await Promise.all([readFile(this.summaryPath(), 'utf8'), stat(store.capsCacheFile(this.dirs.cacheDir, emulator))]);
    const all = JSON.parse(text) as Record<string, CapsSummary>;
    const sum = all[emulator];
    if (!sum || sum.file.ino !== st.ino || sum.file.size !== st.size || sum.file.mtimeMs !== st.mtimeMs) return null;
    const caps = { ...sum.caps, flags: new Set(sum.caps.flags), accel: {} } as QemuCaps;
    if (caps.emulator !== emulator || !(await store.capsStillValid(caps, await store.readCapsHostState()))) return null;
    return caps.version;
  }

  private async writeSummary(emulator: string, caps: QemuCaps): Promise<void> {
    const store = await import('../caps/store.js');
    const st = await stat(store.capsCacheFile(this.dirs.cacheDir, emulator));
    let all: Record<string, CapsSummary> = {};
    try {
      all = JSON.parse(await readFile(this.summaryPath(), 'utf8')) as Record<string, CapsSummary>;
    } catch {
      all = {};
    }
    const { accel: _accel, flags, ...rest } = caps;
    all[emulator] = { file: { ino: st.ino, size: st.size, mtimeMs: st.mtimeMs }, caps: { ...rest, flags: [...flags] } };
    await writeFileAtomic(this.summaryPath(), JSON.stringify(all), { mode: 0o600, noSync: true });
  }

  private async loadCaps(emulator: string): Promise<QemuCaps> {
    try {
      await stat(emulator);
    } catch (e) {
      throw fromSystemError(`Cannot check QEMU binary ${emulator}`, e, ErrorDomain.QEMU);
    }
    const { getQemuCaps } = await import('../caps/store.js');
    return getQemuCaps(emulator, this.dirs.cacheDir);
  }

  // ---- loading from disk ----------------------------------------------------------------------------

  /**
   * Reads persistent configs, autostart links, status XML and last states (no reconnecting yet).
   * Configs whose name and UUID the index knows are not parsed now (see configindex.ts).
   */
  async loadFromDisk(): Promise<DomainObj[]> {
    const [files, autostart, stateFiles, nextId] = await Promise.all([
      persist.xmlFiles(this.dirs.configDir),
      persist.readAutostartNames(this.dirs),
      persist.stateDirFiles(this.dirs),
      persist.readNextId(this.dirs),
    ]);
    this.nextId = nextId;
    const build = files.length ? await currentBuild() : '';
    const scannedAt = Date.now();
    const [index, dirStat] = files.length
      ? await Promise.all([readIndex(this.dirs, build), stat(this.dirs.configDir).catch(() => null)])
      : [{ entries: new Map<string, IndexEntry>(), dir: null, others: [] }, null];
    const dir: DirStamp | null = dirStat ? { ino: dirStat.ino, mtimeMs: dirStat.mtimeMs, ctimeMs: dirStat.ctimeMs, scannedAt } : null;
    const quiet = !!(dir && index.dir && sameDir(index.dir, dir) && stampTrusted(index.dir));
    let entries: IndexEntry[] = [];
    let changed = index.entries.size !== files.length;
    if (quiet && !changed && files.every((f) => index.entries.has(f))) {
      entries = files.map((f) => index.entries.get(f)!);
    } else {
      const ids = await identities(this.dirs.configDir, files);
      for (let i = 0; i < files.length; i++) {
        const file = files[i];
        const id = ids[i];
        if (!id) {
          changed = true;
          continue;
        }
        const known = index.entries.get(file);
        if (known && sameIdentity(known, id)) {
          entries.push(known);
          continue;
        }
        changed = true;
        const conf = await loadConf();
        let name: string | null = null;
        let uuid: string | null = null;
        try {
          const def = conf.parseDomainXML(readFileSync(join(this.dirs.configDir, file), 'utf8'), {});
          name = def.name;
          uuid = def.uuid;
        } catch {
          /* libvirt logs and skips configs it cannot parse */
        }
        entries.push({ file, ...id, name, uuid });
      }
    }
    for (const e of entries) {
      if (e.name === null || e.uuid === null) continue;
      const name = e.name;
      const uuid = e.uuid;
      if (`${name}.xml` !== e.file || this.domains.findByUUID(uuid) || this.domains.findByName(name)) continue;
      const path = join(this.dirs.configDir, e.file);
      const obj = DomainObj.deferred(name, uuid, () => this.readConfig(path, name, uuid));
      obj.persistent = true;
      obj.autostart = autostart.has(name);
      this.domains.add(obj);
    }
    // Rewritten when an entry changed, or when this scan can give the next one a trusted stamp.
    if (files.length && (changed || (!quiet && dir && stampTrusted(dir)))) {
      await writeIndex(this.dirs, build, dir, entries, index.others).catch(() => {});
    }

    const running: DomainObj[] = [];
    const statusNames = stateFiles.filter((f) => f.endsWith('.xml')).map((f) => f.slice(0, -4));
    if (statusNames.length) {
      const [{ readStatusFile }] = await Promise.all([loadStatus(), loadConf()]);
      for (const name of statusNames) {
        const rec = await readStatusFile(this.dirs, name);
        if (!rec) continue;
        let live: DomainDef;
        try {
          live = await this.parse(rec.domainXML, true);
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
          try {
            obj.newDef = obj.def;
          } catch {
            obj.newDef = null;
          }
          obj.def = live;
        }
        obj.id = live.id;
        obj.setState(rec.state, rec.reason);
        if (live.id >= this.nextId) this.nextId = live.id + 1;
        running.push(obj);
      }
    }
    for (const f of stateFiles) {
      if (!f.endsWith('.laststate')) continue;
      const obj = this.domains.findByName(f.slice(0, -'.laststate'.length));
      if (!obj || obj.isActive() || !obj.persistent) continue;
      const last = await persist.readLastState(this.dirs, obj.name);
      if (last) obj.setState(last.state, last.reason);
    }
    return running;
  }

  /** The persistent definition of a domain listed from the index, parsed now. */
  private readConfig(path: string, name: string, uuid: string): DomainDef {
    let def: DomainDef;
    try {
      def = confNow().parseDomainXML(readFileSync(path, 'utf8'), {});
    } catch (e) {
      throw virError(ErrorCode.INTERNAL_ERROR, ErrorDomain.QEMU, `cannot read the definition of domain '${name}' from ${path}: ${(e as Error).message}`);
    }
    if (def.name !== name || def.uuid.toLowerCase() !== uuid.toLowerCase()) {
      throw virError(ErrorCode.INTERNAL_ERROR, ErrorDomain.QEMU, `the definition of domain '${name}' in ${path} changed behind the driver's back`);
    }
    return def;
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

  async releaseIsolation(run: RunState): Promise<void> {
    if (!run.security && !run.cgroup) return;
    await releaseIsolationOf(await this.securityManager(), run);
  }

  /** Marks a domain shut off (reason), restores its persistent definition, removes runtime files. */
  async markStopped(obj: DomainObj, reason: number, detail: number, emit = true): Promise<void> {
    const run = obj.run;
    // Queued status writes see obj.run !== run and skip; the file is gone before the state says
    // shut off, so no process ever finds a status file for a domain reported as stopped.
    obj.run = null;
    await this.statusWrites.get(obj);
    // Why it stopped outlives this process (the next one reads it, as libvirtd would remember it);
    // written before the status file goes, so whoever finds no status file finds the reason.
    if (obj.persistent) await persist.writeLastState(this.dirs, obj.name, DomainState.SHUTOFF, reason).catch(() => {});
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
  if (cg) {
    const { removeDomainCgroup } = await import('../../cgroup/index.js');
    await removeDomainCgroup(cg).catch(() => {});
  }
}

const ARCH_EMULATOR: Record<string, string> = { x64: 'x86_64', arm64: 'aarch64', ia32: 'i386' };

/** The emulator libvirt picks when the XML names none: qemu-system-ARCH in /usr/bin. */
export function defaultEmulator(arch?: string): string {
  const a = arch ?? ARCH_EMULATOR[process.arch] ?? process.arch;
  return `/usr/bin/qemu-system-${a}`;
}
