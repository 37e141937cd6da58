// On-disk state of a driver instance, all written atomically:
//   configDir/NAME.xml                 persistent definitions (inactive XML)
//   configDir/autostart/NAME.xml       symlink → ../NAME.xml, as libvirt does
//   stateDir/NAME.xml                  status XML of a running domain (<domstatus> + live <domain>)
//   stateDir/next-id                   next domain id, so ids never repeat while guests run
import { lstat, mkdir, readdir, readFile, readlink } from 'node:fs/promises';
import { join } from 'node:path';
import { DomainState, type DomainStateValue } from '../../driver/constants.js';
import { symlinkAtomic, unlinkDurable, writeFileAtomic } from '../../util/atomic.js';
import { ErrorDomain, fromSystemError } from '../../util/errors.js';
import type { QemuDirs } from '../dirs.js';

const STATE_NAMES = ['nostate', 'running', 'blocked', 'paused', 'shutdown', 'shutoff', 'crashed', 'pmsuspended'] as const;

export function stateName(s: number): string {
  return STATE_NAMES[s] ?? 'nostate';
}
export function stateFromName(s: string | undefined): DomainStateValue {
  const i = STATE_NAMES.indexOf((s ?? '') as (typeof STATE_NAMES)[number]);
  return (i < 0 ? DomainState.NOSTATE : i) as DomainStateValue;
}

export const configPath = (dirs: QemuDirs, name: string) => join(dirs.configDir, `${name}.xml`);
export const autostartPath = (dirs: QemuDirs, name: string) => join(dirs.autostartDir, `${name}.xml`);
export const statusPath = (dirs: QemuDirs, name: string) => join(dirs.stateDir, `${name}.xml`);

/** libvirt's warning header on files it owns. */
function header(name: string, cmd: string): string {
  return (
    '<!--\n' +
    'WARNING: THIS IS AN AUTO-GENERATED FILE. CHANGES TO IT ARE LIKELY TO BE\n' +
    'OVERWRITTEN AND LOST. Changes to this xml configuration should be made using:\n' +
    `  ${cmd} ${name}\n` +
    'or other application using the libvirt API.\n' +
    '-->\n\n'
  );
}

export async function writeConfig(dirs: QemuDirs, name: string, xml: string): Promise<void> {
  try {
    await writeFileAtomic(configPath(dirs, name), header(name, 'virsh edit') + xml, { mode: 0o600 });
  } catch (e) {
    throw fromSystemError(`cannot write config file '${configPath(dirs, name)}'`, e, ErrorDomain.DOMAIN);
  }
}

export async function removeConfig(dirs: QemuDirs, name: string): Promise<void> {
  await unlinkDurable(configPath(dirs, name));
  await unlinkDurable(autostartPath(dirs, name));
}

export async function setAutostartLink(dirs: QemuDirs, name: string, on: boolean): Promise<void> {
  if (on) {
    await mkdir(dirs.autostartDir, { recursive: true });
    try {
      await symlinkAtomic(configPath(dirs, name), autostartPath(dirs, name));
    } catch (e) {
      throw fromSystemError(`Failed to create symlink '${autostartPath(dirs, name)}' to '${configPath(dirs, name)}'`, e, ErrorDomain.QEMU);
    }
  } else {
    try {
      await unlinkDurable(autostartPath(dirs, name));
    } catch (e) {
      throw fromSystemError(`Failed to delete symlink '${autostartPath(dirs, name)}'`, e, ErrorDomain.QEMU);
    }
  }
}

export async function xmlFiles(dir: string): Promise<string[]> {
  try {
    return (await readdir(dir)).filter((n) => n.endsWith('.xml') && !n.startsWith('.')).sort();
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
}

export interface StoredConfig {
  name: string;
  xml: string;
}

export async function readConfigs(dirs: QemuDirs): Promise<StoredConfig[]> {
  const names = await xmlFiles(dirs.configDir);
  const out = await Promise.all(
    names.map(async (f) => {
      try {
        return { name: f.slice(0, -4), xml: await readFile(join(dirs.configDir, f), 'utf8') };
      } catch {
        return null;
      }
    }),
  );
  return out.filter((x): x is StoredConfig => x !== null);
}

/** Every file name in stateDir (status XML, last states, next-id …); none when it does not exist. */
export async function stateDirFiles(dirs: QemuDirs): Promise<string[]> {
  try {
    return (await readdir(dirs.stateDir)).filter((n) => !n.startsWith('.')).sort();
  } catch {
    return [];
  }
}

/** Names with an autostart link (a dangling link still counts, as libvirt only checks its presence). */
export async function readAutostartNames(dirs: QemuDirs): Promise<Set<string>> {
  const out = new Set<string>();
  for (const f of await xmlFiles(dirs.autostartDir)) {
    try {
      await lstat(join(dirs.autostartDir, f));
      out.add(f.slice(0, -4));
    } catch {
      /* raced with removal */
    }
  }
  return out;
}

export async function isAutostartLink(dirs: QemuDirs, name: string): Promise<boolean> {
  try {
    await readlink(autostartPath(dirs, name));
    return true;
  } catch {
    return false;
  }
}

// ---- status XML (format and parse in status.ts, loaded when a domain runs) -------------------------------

export async function removeStatus(dirs: QemuDirs, name: string): Promise<void> {
  await unlinkDurable(statusPath(dirs, name)).catch(() => false);
}

// ---- ids -------------------------------------------------------------------------------------------

export async function readNextId(dirs: QemuDirs): Promise<number> {
  try {
    const n = Number.parseInt((await readFile(join(dirs.stateDir, 'next-id'), 'utf8')).trim(), 10);
    return Number.isSafeInteger(n) && n > 0 ? n : 1;
  } catch {
    return 1;
  }
}

export async function writeNextId(dirs: QemuDirs, next: number): Promise<void> {
  await writeFileAtomic(join(dirs.stateDir, 'next-id'), `${next}\n`, { mode: 0o600, noSync: true });
}

// ---- last state of an inactive persistent domain --------------------------------------------------
// libvirtd keeps why a domain stopped (shutdown, destroyed, crashed …) in memory while it lives; an
// embedded root is opened by one short process after another, so the state and reason are kept in
// stateDir/NAME.laststate until the domain starts again or is undefined.

export const lastStatePath = (dirs: QemuDirs, name: string) => join(dirs.stateDir, `${name}.laststate`);

export async function writeLastState(dirs: QemuDirs, name: string, state: number, reason: number): Promise<void> {
  await writeFileAtomic(lastStatePath(dirs, name), `${JSON.stringify({ state: stateName(state), reason })}\n`, { mode: 0o600 });
}

export function parseLastState(text: string): { state: DomainStateValue; reason: number } | null {
  try {
    const j = JSON.parse(text) as { state?: unknown; reason?: unknown };
    if (typeof j.state !== 'string' || typeof j.reason !== 'number' || !Number.isInteger(j.reason)) return null;
    return { state: stateFromName(j.state), reason: j.reason };
  } catch {
    return null;
  }
}

export async function readLastState(dirs: QemuDirs, name: string): Promise<{ state: DomainStateValue; reason: number } | null> {
  try {
    return parseLastState(await readFile(lastStatePath(dirs, name), 'utf8'));
  } catch {
    return null;
  }
}

export async function removeLastState(dirs: QemuDirs, name: string): Promise<void> {
  await unlinkDurable(lastStatePath(dirs, name)).catch(() => false);
}
