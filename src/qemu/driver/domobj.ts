// The driver's domain list (libvirt's virDomainObjList): one DomainObj per known domain, indexed by
// name, UUID and (while running) id, with libvirt's lookup errors and listAllDomains filters.

import type { DomainDef } from '../../conf/domain/index.js';
import type { DomainRef } from '../../driver/api.js';
import { DomainState, type DomainStateValue, ListDomainsFlags as LF } from '../../driver/constants.js';
import { ErrorCode, ErrorDomain, type VirError, virError } from '../../util/errors.js';
import { JobLock } from './job.js';
import type { RunState } from './runstate.js';

export class DomainObj {
  private current: DomainDef | null;
  /** Reads and parses the definition on first use (configs listed from the index, not parsed at open). */
  private loadDef: (() => DomainDef) | null = null;
  private readonly stubName: string;
  private readonly stubUUID: string;
  /** Persistent config that takes effect at the next start (libvirt's newDef), while running. */
  newDef: DomainDef | null = null;
  persistent = false;
  autostart = false;
  id = -1;
  state: DomainStateValue = DomainState.SHUTOFF;
  reason = 0;
  /** Process, monitor and paths while active. */
  run: RunState | null = null;
  readonly job = new JobLock();
  /** Set once removed from the list (a racing job must not resurrect it). */
  removed = false;

  constructor(def: DomainDef) {
    this.current = def;
    this.stubName = def.name;
    this.stubUUID = def.uuid;
  }

  /**
   * A domain known by name and UUID whose definition is parsed only when something needs it
   * (`load` must return a definition with this name and UUID, or throw).
   */
  static deferred(name: string, uuid: string, load: () => DomainDef): DomainObj {
    const o = new DomainObj({ name, uuid } as DomainDef);
    o.current = null;
    o.loadDef = load;
    return o;
  }

  /** Current definition: the live one while running, the persistent one otherwise. */
  get def(): DomainDef {
    if (!this.current) {
      const load = this.loadDef;
      if (!load) throw new Error(`domain '${this.stubName}' has no definition`);
      this.current = load();
      this.loadDef = null;
    }
    return this.current;
  }
  set def(d: DomainDef) {
    this.current = d;
    this.loadDef = null;
  }
  /** False while the definition is still on disk, not parsed. */
  hasDef(): boolean {
    return this.current !== null;
  }

  get name(): string {
    return this.current ? this.current.name : this.stubName;
  }
  get uuid(): string {
    return this.current ? this.current.uuid : this.stubUUID;
  }
  isActive(): boolean {
    return this.id !== -1;
  }
  /** The persistent definition (newDef while running, def otherwise). */
  persistentDef(): DomainDef {
    return this.newDef ?? this.def;
  }
  ref(): DomainRef {
    return { name: this.name, uuid: this.uuid, id: this.id };
  }
  setState(state: DomainStateValue, reason: number): void {
    this.state = state;
    this.reason = reason;
  }
}

export function notRunning(): VirError {
  return virError(ErrorCode.OPERATION_INVALID, ErrorDomain.QEMU, 'domain is not running');
}

export function noDomainByName(name: string): VirError {
  return virError(ErrorCode.NO_DOMAIN, ErrorDomain.QEMU, `no domain with matching name '${name}'`);
}
export function noDomainByUUID(uuid: string, name?: string): VirError {
  return virError(ErrorCode.NO_DOMAIN, ErrorDomain.QEMU, `no domain with matching uuid '${uuid}'${name !== undefined ? ` (${name})` : ''}`);
}
export function noDomainByID(id: number): VirError {
  return virError(ErrorCode.NO_DOMAIN, ErrorDomain.QEMU, `no domain with matching id ${id}`);
}

export class DomainList {
  private byUUID = new Map<string, DomainObj>();
  private byName = new Map<string, DomainObj>();

  get size(): number {
    return this.byUUID.size;
  }
  all(): DomainObj[] {
    return [...this.byUUID.values()];
  }
  findByName(name: string): DomainObj | undefined {
    return this.byName.get(name);
  }
  findByUUID(uuid: string): DomainObj | undefined {
    return this.byUUID.get(uuid.toLowerCase());
  }
  findByID(id: number): DomainObj | undefined {
    if (id < 0) return undefined;
    for (const d of this.byUUID.values()) if (d.id === id) return d;
    return undefined;
  }

  /**
   * libvirt's duplicate rules: the same UUID under another name, or the same name under another
   * UUID, is refused. Returns the existing object for a same-name-same-UUID match.
   */
  checkDuplicate(name: string, uuid: string): DomainObj | undefined {
    const byUuid = this.findByUUID(uuid);
    if (byUuid) {
      if (byUuid.name !== name) {
        throw virError(ErrorCode.OPERATION_FAILED, ErrorDomain.DOMAIN, `domain '${byUuid.name}' is already defined with uuid ${byUuid.uuid}`);
      }
      return byUuid;
    }
    const byName = this.findByName(name);
    if (byName) {
      throw virError(ErrorCode.OPERATION_FAILED, ErrorDomain.DOMAIN, `domain '${name}' already exists with uuid ${byName.uuid}`);
    }
    return undefined;
  }

  add(obj: DomainObj): void {
    this.byUUID.set(obj.uuid.toLowerCase(), obj);
    this.byName.set(obj.name, obj);
  }
  remove(obj: DomainObj): void {
    obj.removed = true;
    if (this.byUUID.get(obj.uuid.toLowerCase()) === obj) this.byUUID.delete(obj.uuid.toLowerCase());
    if (this.byName.get(obj.name) === obj) this.byName.delete(obj.name);
  }
}

/** virConnectListAllDomains filtering (each flag group filters only when one of its flags is set). */
export function matchesListFlags(d: DomainObj, flags: number, hasManagedSave = false, snapshots = 0, checkpoints = 0): boolean {
  const group = (a: number, b: number, first: boolean) => {
    const mask = a | b;
    if ((flags & mask) === 0 || (flags & mask) === mask) return true;
    return flags & a ? first : !first;
  };
  if (!group(LF.ACTIVE, LF.INACTIVE, d.isActive())) return false;
  if (!group(LF.PERSISTENT, LF.TRANSIENT, d.persistent)) return false;
  const stateMask = LF.RUNNING | LF.PAUSED | LF.SHUTOFF | LF.OTHER;
  if (flags & stateMask) {
    const s = d.state;
    const ok =
      (flags & LF.RUNNING && s === DomainState.RUNNING) ||
      (flags & LF.PAUSED && s === DomainState.PAUSED) ||
      (flags & LF.SHUTOFF && s === DomainState.SHUTOFF) ||
      (flags & LF.OTHER && s !== DomainState.RUNNING && s !== DomainState.PAUSED && s !== DomainState.SHUTOFF);
    if (!ok) return false;
  }
  if (!group(LF.MANAGEDSAVE, LF.NO_MANAGEDSAVE, hasManagedSave)) return false;
  if (!group(LF.AUTOSTART, LF.NO_AUTOSTART, d.autostart)) return false;
  if (!group(LF.HAS_SNAPSHOT, LF.NO_SNAPSHOT, snapshots > 0)) return false;
  if (!group(LF.HAS_CHECKPOINT, LF.NO_CHECKPOINT, checkpoints > 0)) return false;
  return true;
}
