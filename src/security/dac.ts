// The DAC driver: QEMU's uid/gid/groups and the ownership of the files it uses (security_dac.c's rules).
//
// - Dynamic label "+UID:+GID" from qemu.conf user=/group=; a static <seclabel model='dac'> names its own.
// - Before start every relabelled path is chowned to the image label. Exclusive paths (not <readonly/>,
//   not <shareable/>, not a lower backing layer) first remember their owner in trusted.libvirt.security.dac
//   with a reference count (./remember.ts) when remember_owner=1; readonly/shared paths are chowned but
//   never remembered nor restored (other guests may use them).
// - After stop exclusive paths get the remembered owner back once the count reaches 0; with nothing
//   remembered they go to root:root, as libvirt does.
// - dynamic_ownership=0 or relabel='no' leaves every file alone.
import type { Stats } from 'node:fs';
import { chown, stat } from 'node:fs/promises';
import { ErrorCode, ErrorDomain, VirError, virError } from '../util/errors.js';
import type { RestoreIssue, SecurityDriver } from './driver.js';
import { recallLabel, rememberLabel } from './remember.js';
import type { GuestPath, GuestSecurityInput, LaunchSpec, SecLabel, SecModel } from './types.js';
import { type UserDb, formatDacLabel, groupList, loadUserDb, parseDacLabel } from './users.js';

export interface DacOptions {
  uid: number;
  gid: number;
  /** Supplementary groups of the configured user. */
  groups: number[];
  dynamicOwnership: boolean;
  rememberOwner: boolean;
  /** User database for static labels naming users (default: loaded from /etc on demand). */
  userDb?: UserDb;
}

const DAC_KINDS = new Set(['disk', 'backing', 'kernel', 'initrd', 'dtb', 'nvram', 'chardev', 'log', 'tpm', 'hostdev', 'memory', 'socket']);

/** Does DAC chown this path at all? (loader firmware, directories and qemu:commandline paths: no.) */
export function dacRelabels(p: GuestPath): boolean {
  return DAC_KINDS.has(p.kind) && !p.norelabel && !p.directory;
}

/**
 * Is the owner of this path remembered and restored? Disks: unless <readonly/>, <shareable/> or a lower
 * backing layer. Kernel, initrd and dtb: always (libvirt does; the reference count covers guests sharing one).
 */
export function isExclusive(p: GuestPath): boolean {
  if (p.kind === 'backing') return false;
  if (p.kind === 'kernel' || p.kind === 'initrd' || p.kind === 'dtb') return true;
  return !p.readonly && !p.shared;
}

interface Undo {
  path: string;
  remembered: boolean;
  uid: number;
  gid: number;
}

function errnoCode(e: unknown): string | undefined {
  return (e as NodeJS.ErrnoException)?.code;
}

export class DacDriver implements SecurityDriver {
  readonly name = 'dac';
  constructor(readonly opts: DacOptions) {}

  model(): SecModel {
    const l = formatDacLabel(this.opts.uid, this.opts.gid);
    return { model: 'dac', doi: '0', baselabels: [{ type: 'kvm', label: l }, { type: 'qemu', label: l }] };
  }

  async genLabel(guest: GuestSecurityInput, sec: SecLabel): Promise<void> {
    if (sec.type === 'none') return;
    if (sec.type === 'static') {
      if (!sec.label)
        throw virError(ErrorCode.INTERNAL_ERROR, ErrorDomain.SECURITY, `missing label for static security driver in domain ${guest.name}`);
      await parseDacLabel(sec.label, this.opts.userDb);
    } else {
      if (sec.imagelabel && sec.label)
        throw virError(ErrorCode.INTERNAL_ERROR, ErrorDomain.SECURITY, 'security image label already defined for VM');
      sec.label = formatDacLabel(this.opts.uid, this.opts.gid);
    }
    if (sec.relabel && !sec.imagelabel) sec.imagelabel = sec.label;
  }

  async reserveLabel(): Promise<void> {}
  async releaseLabel(): Promise<void> {}

  /** The uid/gid QEMU runs as (the label), and its supplementary groups. */
  async ids(sec: SecLabel | undefined): Promise<{ uid: number; gid: number; groups: number[] }> {
    if (sec && sec.type === 'static' && sec.label) {
      const { uid, gid } = await parseDacLabel(sec.label, this.opts.userDb);
      if (uid === this.opts.uid && gid === this.opts.gid) return { uid, gid, groups: this.opts.groups };
      const db = this.opts.userDb ?? (await loadUserDb());
      const name = db.passwd.find((e) => e.uid === uid)?.name;
      return { uid, gid, groups: groupList(name, gid, db) };
    }
    return { uid: this.opts.uid, gid: this.opts.gid, groups: this.opts.groups };
  }

  /** The owner images get (imagelabel, else label, else the configured ids). */
  async imageIds(sec: SecLabel | undefined): Promise<{ uid: number; gid: number }> {
    const l = sec?.imagelabel ?? (sec?.type === 'static' ? sec.label : undefined);
    if (l) return parseDacLabel(l, this.opts.userDb);
    return { uid: this.opts.uid, gid: this.opts.gid };
  }

  private relabelling(sec: SecLabel): boolean {
    return this.opts.dynamicOwnership && sec.type !== 'none' && sec.relabel;
  }

  /** chowns one path, remembering its owner when asked; returns what to undo on rollback. */
  private async setOwnership(p: GuestPath, uid: number, gid: number, remember: boolean): Promise<Undo | undefined> {
    let st: Stats;
    try {
      st = await stat(p.path);
    } catch (e) {
      if (errnoCode(e) === 'ENOENT' && p.create) return undefined;
      throw virError(ErrorCode.SYSTEM_ERROR, ErrorDomain.SECURITY, `unable to stat: ${p.path}: ${(e as Error).message}`);
    }
    let remembered = false;
    if (remember) {
      const r = await rememberLabel('dac', p.path, formatDacLabel(st.uid, st.gid));
      if (r !== 'unsupported') {
        remembered = true;
        if (r > 1 && (st.uid !== uid || st.gid !== gid)) {
          await recallLabel('dac', p.path);
          throw virError(ErrorCode.OPERATION_INVALID, ErrorDomain.SECURITY, `Setting different DAC user or group on ${p.path} which is already in use`);
        }
      }
    }
    if (st.uid !== uid || st.gid !== gid) {
      try {
        await chown(p.path, uid, gid);
      } catch (e) {
        if (remembered) await recallLabel('dac', p.path).catch(() => {});
        throw virError(ErrorCode.SYSTEM_ERROR, ErrorDomain.SECURITY, `unable to set user and group to '${uid}:${gid}' on '${p.path}': ${(e as Error).message}`);
      }
    }
    return { path: p.path, remembered, uid: st.uid, gid: st.gid };
  }

  /** Rolls one setOwnership back: drop our reference, and give the file back if no one else holds it. */
  private async undo(u: Undo): Promise<void> {
    if (u.remembered) {
      const r = await recallLabel('dac', u.path);
      if (r !== 'none' && r.refcount > 0) return;
    }
    await chown(u.path, u.uid, u.gid);
  }

  /** Gives an exclusive path back to its remembered owner (root:root when nothing is remembered). */
  private async restoreOwnership(p: GuestPath): Promise<void> {
    let uid = 0;
    let gid = 0;
    if (this.opts.rememberOwner) {
      const r = await recallLabel('dac', p.path);
      if (r !== 'none') {
        if (r.refcount > 0) return; // another running guest still uses it
        if (r.label) ({ uid, gid } = await parseDacLabel(r.label));
      }
    }
    try {
      const st = await stat(p.path);
      if (st.uid === uid && st.gid === gid) return;
    } catch (e) {
      if (errnoCode(e) === 'ENOENT') return;
      throw e;
    }
    await chown(p.path, uid, gid);
  }

  async setAllLabel(guest: GuestSecurityInput, sec: SecLabel): Promise<void> {
    if (!this.relabelling(sec)) return;
    const { uid, gid } = await this.imageIds(sec);
    const done: Undo[] = [];
    const seen = new Set<string>();
    try {
      for (const p of guest.paths) {
        if (!dacRelabels(p) || seen.has(p.path)) continue;
        seen.add(p.path);
        const remember = this.opts.rememberOwner && isExclusive(p);
        const u = await this.setOwnership(p, uid, gid, remember);
        if (u && isExclusive(p)) done.push(u);
      }
    } catch (e) {
      for (const u of done.reverse()) await this.undo(u).catch(() => {});
      throw e;
    }
  }

  async restoreAllLabel(guest: GuestSecurityInput, sec: SecLabel): Promise<RestoreIssue[]> {
    if (!this.relabelling(sec)) return [];
    const issues: RestoreIssue[] = [];
    const seen = new Set<string>();
    for (const p of guest.paths) {
      if (!dacRelabels(p) || !isExclusive(p) || seen.has(p.path)) continue;
      seen.add(p.path);
      try {
        await this.restoreOwnership(p);
      } catch (e) {
        issues.push({ path: p.path, model: 'dac', message: e instanceof VirError ? e.message : String((e as Error).message) });
      }
    }
    return issues;
  }

  async setPathLabel(_guest: GuestSecurityInput, sec: SecLabel, p: GuestPath): Promise<void> {
    if (!this.relabelling(sec) || !dacRelabels(p)) return;
    const { uid, gid } = await this.imageIds(sec);
    await this.setOwnership(p, uid, gid, this.opts.rememberOwner && isExclusive(p));
  }

  async restorePathLabel(_guest: GuestSecurityInput, sec: SecLabel, p: GuestPath): Promise<RestoreIssue[]> {
    if (!this.relabelling(sec) || !dacRelabels(p) || !isExclusive(p)) return [];
    try {
      await this.restoreOwnership(p);
      return [];
    } catch (e) {
      return [{ path: p.path, model: 'dac', message: (e as Error).message }];
    }
  }

  async launch(_guest: GuestSecurityInput, sec: SecLabel, spec: LaunchSpec): Promise<void> {
    const ids = await this.ids(sec);
    spec.uid = ids.uid;
    spec.gid = ids.gid;
    spec.groups = ids.groups;
    // Since libvirt 6.0 QEMU running as root keeps its capabilities; a non-root QEMU has none.
    spec.keepCaps = ids.uid === 0;
  }
}
