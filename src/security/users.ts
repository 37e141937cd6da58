// User and group resolution for qemu.conf's user=/group= (virGetUserID/virGetGroupID/virGetGroupList).
// "+N" means the numeric id N with no lookup; a name is looked up in /etc/passwd and /etc/group, then
// through `getent` (NSS: LDAP, sssd …); a bare number that names nobody is taken as an id.
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { ErrorCode, ErrorDomain, virError } from '../util/errors.js';

const execFileP = promisify(execFile);

export interface PasswdEntry {
  name: string;
  uid: number;
  gid: number;
  home: string;
}
export interface GroupEntry {
  name: string;
  gid: number;
  members: string[];
}

export interface UserDb {
  passwd: PasswdEntry[];
  group: GroupEntry[];
}

export function parsePasswd(text: string): PasswdEntry[] {
  const out: PasswdEntry[] = [];
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const f = line.split(':');
    if (f.length < 7) continue;
    out.push({ name: f[0], uid: Number(f[2]), gid: Number(f[3]), home: f[5] });
  }
  return out;
}

export function parseGroup(text: string): GroupEntry[] {
  const out: GroupEntry[] = [];
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const f = line.split(':');
    if (f.length < 4) continue;
    out.push({ name: f[0], gid: Number(f[2]), members: f[3] ? f[3].split(',').filter(Boolean) : [] });
  }
  return out;
}

async function getent(db: 'passwd' | 'group', key: string): Promise<string | undefined> {
  try {
    const { stdout } = await execFileP('getent', [db, key]);
    return stdout.trim() || undefined;
  } catch {
    return undefined;
  }
}

/** Loads the local user database (/etc/passwd, /etc/group). */
export async function loadUserDb(etc = '/etc'): Promise<UserDb> {
  const [p, g] = await Promise.all([
    readFile(`${etc}/passwd`, 'utf8').catch(() => ''),
    readFile(`${etc}/group`, 'utf8').catch(() => ''),
  ]);
  return { passwd: parsePasswd(p), group: parseGroup(g) };
}

const isId = (s: string) => /^\d+$/.test(s);

/** virGetUserID(): resolves `user=` to a uid. */
export async function resolveUser(spec: string, db: UserDb): Promise<PasswdEntry | { name: undefined; uid: number; gid: number; home: string }> {
  if (spec.startsWith('+')) {
    const n = spec.slice(1);
    if (!isId(n)) throw virError(ErrorCode.INVALID_ARG, ErrorDomain.SECURITY, `Failed to parse user '${spec}'`);
    const uid = Number(n);
    return db.passwd.find((e) => e.uid === uid) ?? { name: undefined, uid, gid: -1, home: '/' };
  }
  let e = db.passwd.find((x) => x.name === spec);
  if (!e) {
    const line = await getent('passwd', spec);
    if (line) e = parsePasswd(line)[0];
  }
  if (e) return e;
  if (isId(spec)) {
    const uid = Number(spec);
    return db.passwd.find((x) => x.uid === uid) ?? { name: undefined, uid, gid: -1, home: '/' };
  }
  throw virError(ErrorCode.INVALID_ARG, ErrorDomain.SECURITY, `Failed to parse user '${spec}'`);
}

/** virGetGroupID(): resolves `group=` to a gid. */
export async function resolveGroup(spec: string, db: UserDb): Promise<number> {
  if (spec.startsWith('+')) {
    const n = spec.slice(1);
    if (!isId(n)) throw virError(ErrorCode.INVALID_ARG, ErrorDomain.SECURITY, `Failed to parse group '${spec}'`);
    return Number(n);
  }
  let e = db.group.find((x) => x.name === spec);
  if (!e) {
    const line = await getent('group', spec);
    if (line) e = parseGroup(line)[0];
  }
  if (e) return e.gid;
  if (isId(spec)) return Number(spec);
  throw virError(ErrorCode.INVALID_ARG, ErrorDomain.SECURITY, `Failed to parse group '${spec}'`);
}

/**
 * virGetGroupList(): the supplementary groups QEMU gets — the primary gid plus every group listing the
 * user as a member (getgrouplist). A user without a passwd entry gets just the gid.
 */
export function groupList(userName: string | undefined, gid: number, db: UserDb): number[] {
  const out = new Set<number>([gid]);
  if (userName) for (const g of db.group) if (g.members.includes(userName)) out.add(g.gid);
  return [...out];
}

export interface ResolvedIds {
  uid: number;
  gid: number;
  groups: number[];
  userName?: string;
}

/** Resolves user=/group= of qemu.conf into ids plus the user's supplementary groups. */
export async function resolveIds(user: string, group: string, db?: UserDb): Promise<ResolvedIds> {
  const d = db ?? (await loadUserDb());
  const u = await resolveUser(user, d);
  const gid = await resolveGroup(group, d);
  return { uid: u.uid, gid, groups: groupList(u.name, gid, d), userName: u.name };
}

/** libvirt's "+UID:+GID" DAC label. */
export function formatDacLabel(uid: number, gid: number): string {
  return `+${uid}:+${gid}`;
}

/** Parses a DAC label: "+107:+107", "107:107" or "qemu:kvm" (names resolved through db). */
export async function parseDacLabel(label: string, db?: UserDb): Promise<{ uid: number; gid: number }> {
  const i = label.indexOf(':');
  if (i <= 0 || i === label.length - 1)
    throw virError(ErrorCode.INVALID_ARG, ErrorDomain.SECURITY, `failed to parse DAC seclabel '${label}' for domain`);
  const u = label.slice(0, i);
  const g = label.slice(i + 1);
  const numeric = (s: string) => (s.startsWith('+') ? s.slice(1) : s);
  if (isId(numeric(u)) && isId(numeric(g))) return { uid: Number(numeric(u)), gid: Number(numeric(g)) };
  const d = db ?? (await loadUserDb());
  return { uid: (await resolveUser(u, d)).uid, gid: await resolveGroup(g, d) };
}
