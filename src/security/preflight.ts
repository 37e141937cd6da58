// Preflight (beyond libvirt): before QEMU starts, walk every path the guest needs and report each one
// the QEMU user could not reach or use — typically a parent directory without o+x — with the fix.
// Permission bits are checked as the kernel would for that uid and its groups (POSIX ACLs aside);
// paths DAC is about to chown to the QEMU user are judged by their owner bits.
import { stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Stats } from 'node:fs';
import { dacRelabels } from './dac.js';
import type { GuestPath } from './types.js';

export interface PreflightIdentity {
  uid: number;
  gid: number;
  groups: number[];
  /** QEMU keeps its capabilities (root): DAC checks are bypassed and nothing is reported. */
  keepCaps?: boolean;
}

export interface PreflightOptions {
  /** DAC will chown relabelled paths to the QEMU user before start (dynamic_ownership=1, relabel). */
  dacRelabel?: boolean;
}

export interface PreflightProblem {
  /** The guest path that is affected. */
  path: string;
  /** Where it came from ("disk vda", "os/kernel" …). */
  origin?: string;
  /** The directory or file that blocks access. */
  blocker: string;
  /** Human-readable reason. */
  message: string;
  /** Shell command that fixes it. */
  fix: string;
}

type Cls = 'u' | 'g' | 'o';

function classOf(st: Stats, id: PreflightIdentity, ownerOverride?: { uid: number; gid: number }): Cls {
  const uid = ownerOverride?.uid ?? st.uid;
  const gid = ownerOverride?.gid ?? st.gid;
  if (uid === id.uid) return 'u';
  if (gid === id.gid || id.groups.includes(gid)) return 'g';
  return 'o';
}

function bits(mode: number, cls: Cls): number {
  return cls === 'u' ? (mode >> 6) & 7 : cls === 'g' ? (mode >> 3) & 7 : mode & 7;
}

const octal = (m: number) => `0${(m & 0o7777).toString(8).padStart(3, '0')}`;
const permName = (need: number) => `${need & 4 ? 'r' : ''}${need & 2 ? 'w' : ''}${need & 1 ? 'x' : ''}`;
const who = (id: PreflightIdentity) => `uid ${id.uid}, gid ${id.gid}`;

/** The access a path needs: 4=r 2=w 1=x. */
function needed(p: GuestPath): number {
  if (p.directory) return p.readonly ? 5 : 7;
  if (p.kind === 'emulator') return 5;
  return p.readonly ? 4 : 6;
}

/** Ancestors of a path, root first, without the path itself ("/a/b/c" → "/", "/a", "/a/b"). */
export function ancestors(path: string): string[] {
  const out: string[] = [];
  let d = dirname(path);
  while (true) {
    out.unshift(d);
    if (d === '/' || d === '.') break;
    d = dirname(d);
  }
  return out;
}

/**
 * Checks every path for the QEMU identity. One problem per blocking directory or file (a directory that
 * blocks several paths is reported once, naming the first path).
 */
export async function preflight(paths: readonly GuestPath[], id: PreflightIdentity, o: PreflightOptions = {}): Promise<PreflightProblem[]> {
  if (id.keepCaps && id.uid === 0) return [];
  const problems: PreflightProblem[] = [];
  const reported = new Set<string>();
  const statCache = new Map<string, Promise<Stats | undefined>>();
  const st = (p: string) => {
    let v = statCache.get(p);
    if (!v) {
      v = stat(p).catch(() => undefined);
      statCache.set(p, v);
    }
    return v;
  };
  const report = (p: GuestPath, blocker: string, message: string, fix: string) => {
    if (reported.has(`${blocker}\0${fix}`)) return;
    reported.add(`${blocker}\0${fix}`);
    problems.push({ path: p.path, origin: p.origin, blocker, message, fix });
  };

  for (const p of paths) {
    if (!p.path.startsWith('/')) continue;
    let blocked = false;
    for (const dir of ancestors(p.path)) {
      const s = await st(dir);
      if (!s) {
        if (!p.create || dir !== dirname(p.path)) {
          report(p, dir, `${p.origin ?? p.kind} ${p.path}: directory ${dir} does not exist`, `mkdir -p ${dir}`);
          blocked = true;
          break;
        }
        report(p, dir, `${p.origin ?? p.kind} ${p.path}: directory ${dir}, where QEMU must create it, does not exist`, `mkdir -p ${dir}`);
        blocked = true;
        break;
      }
      const cls = classOf(s, id);
      if ((bits(s.mode, cls) & 1) === 0) {
        report(p, dir,
          `QEMU (${who(id)}) cannot reach ${p.origin ?? p.kind} ${p.path}: directory ${dir} (owner ${s.uid}:${s.gid}, mode ${octal(s.mode)}) has no search (x) permission for it`,
          `chmod ${cls}+x ${dir}`);
        blocked = true;
        break;
      }
    }
    if (blocked) continue;
    const s = await st(p.path);
    if (!s) {
      if (p.kind === 'private' || p.kind === 'channel-dir') continue; // the driver creates these for QEMU
      if (p.create) {
        const parent = dirname(p.path);
        const ps = await st(parent);
        if (ps && (bits(ps.mode, classOf(ps, id)) & 3) !== 3)
          report(p, parent,
            `QEMU (${who(id)}) cannot create ${p.origin ?? p.kind} ${p.path}: directory ${parent} (owner ${ps.uid}:${ps.gid}, mode ${octal(ps.mode)}) is not writable for it`,
            `chown ${id.uid}:${id.gid} ${parent}`);
        continue;
      }
      report(p, p.path, `${p.origin ?? p.kind} ${p.path} does not exist`, `create ${p.path} or fix the path in the domain XML`);
      continue;
    }
    const willOwn = o.dacRelabel && dacRelabels(p) ? { uid: id.uid, gid: id.gid } : undefined;
    const need = needed(p) | (s.isDirectory() ? 1 : 0);
    const have = bits(s.mode, classOf(s, id, willOwn));
    const missing = need & ~have;
    if (missing) {
      const cls = classOf(s, id, willOwn);
      report(p, p.path,
        `QEMU (${who(id)}) cannot ${missing & 2 ? 'write' : 'read'} ${p.origin ?? p.kind} ${p.path} (owner ${s.uid}:${s.gid}, mode ${octal(s.mode)}): needs ${permName(need)}`,
        `chmod ${cls}+${permName(missing)} ${p.path}`);
    }
  }
  return problems;
}

/** The text `tsvirt domain-preflight NAME` prints and a failed start quotes. */
export function formatPreflight(name: string, problems: readonly PreflightProblem[]): string {
  if (problems.length === 0) return `Domain '${name}': preflight found no problems\n`;
  const lines = [`Domain '${name}': QEMU would not be able to use ${problems.length === 1 ? 'this path' : `these ${problems.length} paths`}:`];
  for (const p of problems) lines.push(`  - ${p.message}`, `    fix: ${p.fix}`);
  return `${lines.join('\n')}\n`;
}
