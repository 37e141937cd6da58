// Device ACL of a guest's cgroup: qemu.conf's cgroup_device_acl (default list below), the guest's block
// devices, and PTYs (char major 136), as libvirt's qemu_cgroup.c sets them up.
import type { Stats } from 'node:fs';
import { stat } from 'node:fs/promises';

/** libvirt 9's default cgroup_device_acl (the seed's list plus /dev/userfaultfd). */
export const DEFAULT_DEVICE_ACL: readonly string[] = [
  '/dev/null', '/dev/full', '/dev/zero', '/dev/random', '/dev/urandom', '/dev/ptmx', '/dev/kvm', '/dev/userfaultfd',
];

/** Major number of /dev/pts/N (UNIX98 PTY slaves). */
export const DEVICE_PTY_MAJOR = 136;

export interface DeviceRule {
  type: 'c' | 'b';
  major: number;
  /** undefined = every minor ("*"). */
  minor?: number;
  /** Subset of "rwm". */
  perms: string;
  /** Path the rule came from, for messages. */
  path?: string;
}

/** "c 1:3 rw" — the devices.list / devices.allow syntax of cgroup v1. */
export function formatRule(r: DeviceRule): string {
  return `${r.type} ${r.major}:${r.minor === undefined ? '*' : r.minor} ${r.perms}`;
}

export function parseRule(line: string): DeviceRule | undefined {
  const m = /^([cba]) (\d+|\*):(\d+|\*) ([rwm]+)$/.exec(line.trim());
  if (!m || m[1] === 'a' || m[2] === '*') return undefined;
  return { type: m[1] as 'c' | 'b', major: Number(m[2]), minor: m[3] === '*' ? undefined : Number(m[3]), perms: m[4] };
}

/** Linux dev_t split as glibc encodes it (major/minor of st_rdev). */
export function devMajor(rdev: number): number {
  return Number(((BigInt(rdev) >> 8n) & 0xfffn) | ((BigInt(rdev) >> 32n) & ~0xfffn));
}
export function devMinor(rdev: number): number {
  return Number((BigInt(rdev) & 0xffn) | ((BigInt(rdev) >> 12n) & ~0xffn));
}

/** The rule for a device node, or undefined when the path is missing or not a device. */
export async function ruleForPath(path: string, perms: string): Promise<DeviceRule | undefined> {
  let st: Stats;
  try {
    st = await stat(path);
  } catch {
    return undefined; // libvirt skips missing ACL entries (e.g. /dev/kvm on a TCG-only host)
  }
  if (st.isCharacterDevice()) return { type: 'c', major: devMajor(st.rdev), minor: devMinor(st.rdev), perms, path };
  if (st.isBlockDevice()) return { type: 'b', major: devMajor(st.rdev), minor: devMinor(st.rdev), perms, path };
  return undefined;
}

export interface GuestDevice {
  path: string;
  readonly?: boolean;
}

/**
 * The full allow-list: the ACL (rw), the guest's block/char devices (r or rw), all PTYs (rw).
 * Duplicates are merged (permissions united). Order: ACL, guest devices, PTYs.
 */
export async function computeDeviceAcl(acl: readonly string[], devices: readonly GuestDevice[]): Promise<DeviceRule[]> {
  const out: DeviceRule[] = [];
  const add = (r: DeviceRule) => {
    const same = out.find((x) => x.type === r.type && x.major === r.major && x.minor === r.minor);
    if (!same) out.push(r);
    else same.perms = [...'rwm'].filter((c) => same.perms.includes(c) || r.perms.includes(c)).join('');
  };
  for (const p of acl) {
    const r = await ruleForPath(p, 'rw');
    if (r) add(r);
  }
  for (const d of devices) {
    const r = await ruleForPath(d.path, d.readonly ? 'r' : 'rw');
    if (r) add(r);
  }
  add({ type: 'c', major: DEVICE_PTY_MAJOR, perms: 'rw', path: '/dev/pts/*' });
  return out;
}
