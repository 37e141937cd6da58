// The SELinux driver: basic confinement and sVirt (security_selinux.c's rules).
//
// Label computation and bookkeeping live here and are pure apart from the injected SelinuxKernel:
// - dynamic: the base domain context (svirt_t for kvm, svirt_tcg_t for TCG, or <baselabel>) with a
//   unique MCS category pair "s0:cA,cB" (A<B, never reused while a guest holding it runs); images get
//   the image context with the same pair.
// - static: the given label; with relabel='yes' images get the image context with the label's level;
//   relabel='no' leaves files alone.
// - exclusive images get the guest's image label, <shareable/> ones the shared image context
//   (svirt_image_t:s0, every guest may write), <readonly/> ones and kernels/firmware the read-only
//   content context (virt_content_t:s0). Originals are remembered in trusted.libvirt.security.selinux.
import { randomInt } from 'node:crypto';
import { existsSync } from 'node:fs';
import { ErrorCode, ErrorDomain, VirError, virError } from '../util/errors.js';
import type { RestoreIssue, SecurityDriver } from './driver.js';
import { recallLabel, rememberLabel } from './remember.js';
import type { SelinuxKernel } from './selinux-kernel.js';
import type { GuestPath, GuestSecurityInput, LaunchSpec, SecLabel, SecModel } from './types.js';

export interface Context {
  user: string;
  role: string;
  type: string;
  /** MLS/MCS level or range, e.g. "s0", "s0:c1,c2", "s0-s0:c0.c1023". */
  level: string;
}

export function parseContext(s: string): Context {
  const parts = s.split(':');
  if (parts.length < 3 || parts.slice(0, 3).some((p) => p === ''))
    throw virError(ErrorCode.INTERNAL_ERROR, ErrorDomain.SECURITY, `unable to parse security context '${s}'`);
  return { user: parts[0], role: parts[1], type: parts[2], level: parts.slice(3).join(':') };
}

export function formatContext(c: Context): string {
  return c.level ? `${c.user}:${c.role}:${c.type}:${c.level}` : `${c.user}:${c.role}:${c.type}`;
}

/** Replaces the level of a context. */
export function withLevel(ctx: string, level: string): string {
  return formatContext({ ...parseContext(ctx), level });
}

export interface McsRange {
  sens: string;
  catMin: number;
  catMax: number;
}

/** The categories this process may hand out, from the high end of its own range ("s0-s0:c0.c1023"). */
export function parseMcsRange(level: string | undefined): McsRange {
  const def = { sens: 's0', catMin: 0, catMax: 1023 };
  if (!level) return def;
  const high = level.includes('-') ? level.slice(level.indexOf('-') + 1) : level;
  const m = /^(s\d+)(?::c(\d+)\.c(\d+))?$/.exec(high);
  if (!m) return def;
  if (m[2] === undefined) return { ...def, sens: m[1] };
  return { sens: m[1], catMin: Number(m[2]), catMax: Number(m[3]) };
}

/** "s0:c3,c7" → [3, 7]; undefined if the level is not a category pair. */
export function parseMcsPair(level: string): [number, number] | undefined {
  const m = /^s\d+:c(\d+),c(\d+)$/.exec(level);
  if (m) return [Number(m[1]), Number(m[2])];
  const one = /^s\d+:c(\d+)$/.exec(level);
  return one ? [Number(one[1]), Number(one[1])] : undefined;
}

/** Hands out unique MCS category pairs; a pair stays taken until released. */
export class McsAllocator {
  private readonly used = new Set<string>();
  constructor(readonly range: McsRange = { sens: 's0', catMin: 0, catMax: 1023 }) {}

  get inUse(): ReadonlySet<string> {
    return this.used;
  }

  /** A fresh "s0:cA,cB" with A<B, not in use; marks it used. */
  allocate(random: (n: number) => number = (n) => randomInt(n)): string {
    const { sens, catMin, catMax } = this.range;
    const span = catMax - catMin + 1;
    const pairs = (span * (span - 1)) / 2;
    if (span < 2 || this.used.size >= pairs)
      throw virError(ErrorCode.INTERNAL_ERROR, ErrorDomain.SECURITY, 'unable to allocate a unique MCS category pair: all are in use');
    for (let attempt = 0; attempt < 100000; attempt++) {
      const a = catMin + random(span);
      const b = catMin + random(span);
      if (a === b) continue;
      const level = `${sens}:c${Math.min(a, b)},c${Math.max(a, b)}`;
      if (this.used.has(level)) continue;
      this.used.add(level);
      return level;
    }
    throw virError(ErrorCode.INTERNAL_ERROR, ErrorDomain.SECURITY, 'unable to allocate a unique MCS category pair');
  }

  /** Marks a level taken (reconnect). Throws if it already is. */
  reserve(level: string): void {
    if (this.used.has(level))
      throw virError(ErrorCode.INTERNAL_ERROR, ErrorDomain.SECURITY, `MCS level for existing domain label ${level} already reserved`);
    this.used.add(level);
  }

  release(level: string): void {
    this.used.delete(level);
  }
}

export interface SelinuxContexts {
  /** Base process context for KVM guests. */
  kvmDomain: string;
  /** Base process context for TCG guests. */
  tcgDomain: string;
  /** Image context (exclusive images get it with the guest's level; shared ones at s0). */
  image: string;
  /** Read-only content context. */
  content: string;
}

export const DEFAULT_CONTEXTS: SelinuxContexts = {
  kvmDomain: 'system_u:system_r:svirt_t:s0',
  tcgDomain: 'system_u:system_r:svirt_tcg_t:s0',
  image: 'system_u:object_r:svirt_image_t:s0',
  content: 'system_u:object_r:virt_content_t:s0',
};

/** Reads virtual_domain_context / virtual_image_context from the policy, falling back to the defaults. */
export function loadContexts(kernel: SelinuxKernel): SelinuxContexts {
  const lines = (s: string | undefined) => (s ?? '').split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
  const dom = lines(kernel.policyContextFile('virtual_domain_context'));
  const img = lines(kernel.policyContextFile('virtual_image_context'));
  return {
    kvmDomain: dom[0] ?? DEFAULT_CONTEXTS.kvmDomain,
    tcgDomain: dom[1] ?? dom[0] ?? DEFAULT_CONTEXTS.tcgDomain,
    image: img[0] ?? DEFAULT_CONTEXTS.image,
    content: img[1] ?? DEFAULT_CONTEXTS.content,
  };
}

/** Which file label a path gets under a guest's image label. undefined = not relabelled. */
export function selinuxPathLabel(p: GuestPath, imagelabel: string, ctx: SelinuxContexts): string | undefined {
  if (p.norelabel || p.directory || p.kind === 'commandline' || p.kind === 'other' || p.kind === 'emulator' || p.kind === 'private') return undefined;
  if (p.kind === 'kernel' || p.kind === 'initrd' || p.kind === 'dtb' || p.kind === 'loader') return ctx.content;
  if (p.shared) return ctx.image;
  if (p.readonly || p.kind === 'backing') return ctx.content;
  return imagelabel;
}

const exclusive = (p: GuestPath) =>
  !p.readonly && !p.shared && p.kind !== 'backing' && p.kind !== 'kernel' && p.kind !== 'initrd' && p.kind !== 'dtb' && p.kind !== 'loader';

export interface SelinuxOptions {
  kernel: SelinuxKernel;
  rememberOwner: boolean;
  /** Shared allocator (one per driver instance). */
  mcs?: McsAllocator;
  contexts?: SelinuxContexts;
}

export class SelinuxDriver implements SecurityDriver {
  readonly name = 'selinux';
  readonly mcs: McsAllocator;
  readonly contexts: SelinuxContexts;
  private readonly kernel: SelinuxKernel;

  constructor(private readonly o: SelinuxOptions) {
    this.kernel = o.kernel;
    this.contexts = o.contexts ?? loadContexts(o.kernel);
    const cur = o.kernel.currentContext();
    this.mcs = o.mcs ?? new McsAllocator(parseMcsRange(cur ? parseContext(cur).level : undefined));
  }

  model(): SecModel {
    return {
      model: 'selinux',
      doi: '0',
      baselabels: [
        { type: 'kvm', label: this.contexts.kvmDomain },
        { type: 'qemu', label: this.contexts.tcgDomain },
      ],
    };
  }

  private baseFor(guest: GuestSecurityInput): string {
    return guest.virtType === 'kvm' ? this.contexts.kvmDomain : this.contexts.tcgDomain;
  }

  async genLabel(guest: GuestSecurityInput, sec: SecLabel): Promise<void> {
    if (sec.type === 'none') return;
    if (sec.type === 'dynamic') {
      if (sec.label && sec.imagelabel)
        throw virError(ErrorCode.INTERNAL_ERROR, ErrorDomain.SECURITY, 'security label already defined for VM');
      const level = this.mcs.allocate();
      sec.label = withLevel(sec.baselabel ?? this.baseFor(guest), level);
      sec.imagelabel = withLevel(this.contexts.image, level);
      return;
    }
    if (!sec.label)
      throw virError(ErrorCode.INTERNAL_ERROR, ErrorDomain.SECURITY, `missing label for static security driver in domain ${guest.name}`);
    const c = parseContext(sec.label);
    if (sec.relabel && !sec.imagelabel) sec.imagelabel = withLevel(this.contexts.image, c.level);
  }

  async reserveLabel(_guest: GuestSecurityInput, sec: SecLabel): Promise<void> {
    if (sec.type !== 'dynamic' || !sec.label) return;
    this.mcs.reserve(parseContext(sec.label).level);
  }

  async releaseLabel(_guest: GuestSecurityInput, sec: SecLabel): Promise<void> {
    if (sec.type === 'dynamic' && sec.label) {
      this.mcs.release(parseContext(sec.label).level);
      sec.label = undefined;
      sec.imagelabel = undefined;
    }
  }

  private relabelling(sec: SecLabel): boolean {
    return sec.type !== 'none' && sec.relabel && !!sec.imagelabel;
  }

  private async setOne(p: GuestPath, label: string, remember: boolean): Promise<(() => Promise<void>) | undefined> {
    if (!existsSync(p.path)) {
      if (p.create) return undefined;
      throw virError(ErrorCode.SYSTEM_ERROR, ErrorDomain.SECURITY, `unable to set security context on '${p.path}': No such file or directory`);
    }
    const current = await this.kernel.getFileLabel(p.path);
    let remembered = false;
    if (remember && current) {
      const r = await rememberLabel('selinux', p.path, current);
      remembered = r !== 'unsupported';
      if (remembered && typeof r === 'number' && r > 1 && current !== label) {
        await recallLabel('selinux', p.path);
        throw virError(ErrorCode.OPERATION_INVALID, ErrorDomain.SECURITY, `Setting different SELinux label on ${p.path} which is already in use`);
      }
    }
    if (current !== label) await this.kernel.setFileLabel(p.path, label);
    return async () => {
      if (remembered) {
        const r = await recallLabel('selinux', p.path);
        if (r !== 'none' && r.refcount > 0) return;
      }
      if (current) await this.kernel.setFileLabel(p.path, current);
    };
  }

  private async restoreOne(p: GuestPath): Promise<void> {
    let original: string | undefined;
    if (this.o.rememberOwner) {
      const r = await recallLabel('selinux', p.path);
      if (r !== 'none') {
        if (r.refcount > 0) return;
        original = r.label;
      }
    }
    original ??= await this.kernel.defaultFileLabel(p.path);
    if (!original)
      throw virError(ErrorCode.INTERNAL_ERROR, ErrorDomain.SECURITY, `no remembered or default SELinux label to restore on ${p.path}`);
    await this.kernel.setFileLabel(p.path, original);
  }

  async setAllLabel(guest: GuestSecurityInput, sec: SecLabel): Promise<void> {
    if (!this.relabelling(sec)) return;
    const undo: Array<() => Promise<void>> = [];
    const seen = new Set<string>();
    try {
      for (const p of guest.paths) {
        const label = selinuxPathLabel(p, sec.imagelabel!, this.contexts);
        if (!label || seen.has(p.path)) continue;
        seen.add(p.path);
        const u = await this.setOne(p, label, this.o.rememberOwner && exclusive(p));
        if (u) undo.push(u);
      }
    } catch (e) {
      for (const u of undo.reverse()) await u().catch(() => {});
      throw e;
    }
  }

  async restoreAllLabel(guest: GuestSecurityInput, sec: SecLabel): Promise<RestoreIssue[]> {
    if (!this.relabelling(sec)) return [];
    const issues: RestoreIssue[] = [];
    const seen = new Set<string>();
    for (const p of guest.paths) {
      // Shared and read-only labels are never restored: other guests may still use the file.
      if (!selinuxPathLabel(p, sec.imagelabel!, this.contexts) || !exclusive(p) || seen.has(p.path)) continue;
      seen.add(p.path);
      try {
        await this.restoreOne(p);
      } catch (e) {
        issues.push({ path: p.path, model: 'selinux', message: e instanceof VirError ? e.message : String(e) });
      }
    }
    return issues;
  }

  async setPathLabel(_guest: GuestSecurityInput, sec: SecLabel, p: GuestPath): Promise<void> {
    if (!this.relabelling(sec)) return;
    const label = selinuxPathLabel(p, sec.imagelabel!, this.contexts);
    if (label) await this.setOne(p, label, this.o.rememberOwner && exclusive(p));
  }

  async restorePathLabel(_guest: GuestSecurityInput, sec: SecLabel, p: GuestPath): Promise<RestoreIssue[]> {
    if (!this.relabelling(sec) || !selinuxPathLabel(p, sec.imagelabel!, this.contexts) || !exclusive(p)) return [];
    try {
      await this.restoreOne(p);
      return [];
    } catch (e) {
      return [{ path: p.path, model: 'selinux', message: (e as Error).message }];
    }
  }

  async launch(_guest: GuestSecurityInput, sec: SecLabel, spec: LaunchSpec): Promise<void> {
    if (sec.type !== 'none' && sec.label) spec.execLabel = sec.label;
  }
}
