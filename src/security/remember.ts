// Remembered labels in extended attributes, libvirt's scheme (security_util.c), so a daemon restart or a
// second daemon on the same host sees the same state:
//
//   trusted.libvirt.security.<driver>            original label ("+UID:+GID" for dac, a context for selinux)
//   trusted.libvirt.security.ref_<driver>        how many running domains use the path (decimal)
//   trusted.libvirt.security.timestamp_<driver>  host boot time (seconds since the epoch) when it was set
//
// The first remember stores the original label and sets the count to 1; later ones only increment it.
// Recall decrements it, and when it reaches 0 returns the original label and removes all three attributes.
// Attributes whose timestamp is not this boot's are stale (the host rebooted with them set) and are dropped.
import { getAttribute, removeAttribute, setAttribute } from '@napi-rs/xattr';
import { readFileSync } from 'node:fs';
import { ErrorCode, ErrorDomain, virError } from '../util/errors.js';

const NS = 'trusted';

export const attrName = (driver: string) => `${NS}.libvirt.security.${driver}`;
export const refAttrName = (driver: string) => `${NS}.libvirt.security.ref_${driver}`;
export const timestampAttrName = (driver: string) => `${NS}.libvirt.security.timestamp_${driver}`;

let bootTime: string | undefined;
/** Host boot time in seconds since the epoch (/proc/stat btime; stable across processes). */
export function hostBootTime(): string {
  if (bootTime === undefined) {
    const m = /^btime\s+(\d+)/m.exec(readFileSync('/proc/stat', 'utf8'));
    if (!m) throw virError(ErrorCode.SYSTEM_ERROR, ErrorDomain.SECURITY, 'Unable to get host boot time');
    bootTime = m[1];
  }
  return bootTime;
}

/** errno of a @napi-rs/xattr failure ("… (os error 61)"). */
function errnoOf(e: unknown): number | undefined {
  const m = /os error (\d+)/.exec(String((e as Error)?.message ?? e));
  return m ? Number(m[1]) : undefined;
}
const ENOENT = 2;
const ENODATA = 61;
const ENOTSUP = 95;
const ENOSYS = 38;

export class XattrUnsupported extends Error {}

function sysError(what: string, name: string, path: string, e: unknown) {
  return virError(ErrorCode.SYSTEM_ERROR, ErrorDomain.SECURITY, `${what} XATTR ${name} on ${path}: ${(e as Error).message}`);
}

async function getX(path: string, name: string): Promise<string | undefined> {
  try {
    const v = await getAttribute(path, name);
    return v === null ? undefined : v.toString('utf8');
  } catch (e) {
    const n = errnoOf(e);
    if (n === ENODATA) return undefined;
    if (n === ENOTSUP || n === ENOSYS) throw new XattrUnsupported(path);
    throw sysError('Unable to get', name, path, e);
  }
}

async function setX(path: string, name: string, value: string): Promise<void> {
  try {
    await setAttribute(path, name, value);
  } catch (e) {
    const n = errnoOf(e);
    if (n === ENOTSUP || n === ENOSYS) throw new XattrUnsupported(path);
    throw sysError('Unable to set', name, path, e);
  }
}

async function removeX(path: string, name: string): Promise<void> {
  try {
    await removeAttribute(path, name);
  } catch (e) {
    const n = errnoOf(e);
    if (n === ENODATA || n === ENOENT) return;
    if (n === ENOTSUP || n === ENOSYS) throw new XattrUnsupported(path);
    throw sysError('Unable to remove', name, path, e);
  }
}

/** Removes every remembered-label attribute of `driver` from `path`. */
export async function forgetLabel(driver: string, path: string): Promise<void> {
  await removeX(path, refAttrName(driver));
  await removeX(path, attrName(driver));
  await removeX(path, timestampAttrName(driver));
}

/** True if the attributes were set during this boot; stale ones are removed (returns false). */
async function validTimestamp(driver: string, path: string): Promise<boolean> {
  const ts = await getX(path, timestampAttrName(driver));
  if (ts === hostBootTime()) return true;
  await forgetLabel(driver, path);
  return false;
}

function parseRef(v: string, path: string): number {
  if (!/^\d+$/.test(v)) throw virError(ErrorCode.INTERNAL_ERROR, ErrorDomain.SECURITY, `malformed refcount ${v} on ${path}`);
  return Number(v);
}

/**
 * virSecuritySetRememberedLabel(): records `label` as the original on first use, increments the count.
 * Returns the new count, or 'unsupported' when the file system has no xattrs (the caller then neither
 * remembers nor restores, like libvirt).
 */
export async function rememberLabel(driver: string, path: string, label: string): Promise<number | 'unsupported'> {
  try {
    let ref = await getX(path, refAttrName(driver));
    if (ref !== undefined && !(await validTimestamp(driver, path))) ref = undefined;
    const count = (ref === undefined ? 0 : parseRef(ref, path)) + 1;
    if (count === 1) {
      await setX(path, attrName(driver), label);
      await setX(path, timestampAttrName(driver), hostBootTime());
    }
    await setX(path, refAttrName(driver), String(count));
    return count;
  } catch (e) {
    if (e instanceof XattrUnsupported) return 'unsupported';
    throw e;
  }
}

export interface Recalled {
  /** The original label, present only when the count reached zero. */
  label?: string;
  /** Count after the decrement. */
  refcount: number;
}

/**
 * virSecurityGetRememberedLabel(): decrements the count; at zero returns the original label and clears
 * the attributes. 'none' when nothing (valid) is remembered or xattrs are unsupported.
 */
export async function recallLabel(driver: string, path: string): Promise<Recalled | 'none'> {
  try {
    const ref = await getX(path, refAttrName(driver));
    if (ref === undefined) return 'none';
    if (!(await validTimestamp(driver, path))) return 'none';
    const count = parseRef(ref, path) - 1;
    if (count > 0) {
      await setX(path, refAttrName(driver), String(count));
      return { refcount: count };
    }
    const label = await getX(path, attrName(driver));
    await forgetLabel(driver, path);
    return label === undefined ? { refcount: 0 } : { label, refcount: 0 };
  } catch (e) {
    if (e instanceof XattrUnsupported) return 'none';
    throw e;
  }
}

/** Reads the remembered state without changing it (for tests and diagnostics). */
export async function peekRemembered(driver: string, path: string): Promise<{ label?: string; refcount?: number; timestamp?: string }> {
  try {
    const ref = await getX(path, refAttrName(driver));
    const label = await getX(path, attrName(driver));
    const timestamp = await getX(path, timestampAttrName(driver));
    return { label, refcount: ref === undefined ? undefined : Number(ref), timestamp };
  } catch (e) {
    if (e instanceof XattrUnsupported) return {};
    throw e;
  }
}
