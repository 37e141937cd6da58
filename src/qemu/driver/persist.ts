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
import { attr, child, children, escapeText, parseXml, serializeNode } from '../../util/xml.js';
import type { QemuDirs } from '../dirs.js';

const STATE_NAMES = ['nostate', 'running', 'blocked', 'paused', 'shutdown', 'shutoff', 'crashed', 'pmsuspended'] as const;

export function stateName(s: number): string {
  return STATE_NAMES[s] ?? 'nostate';
}
export function stateFromName(s: string | undefined): DomainStateValue {
  const i = STATE_NAMES.indexOf((s ?? '') as (typeof STATE_NAMES)[number]);
  return (i < 0 ? DomainState.NOSTATE : i) as DomainStateValue;
}

const esc = (s: string) => escapeText(s).replace(/'/g, '&apos;');

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

async function xmlFiles(dir: string): Promise<string[]> {
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

// ---- status XML ------------------------------------------------------------------------------------

export interface StatusRecord {
  state: DomainStateValue;
  reason: number;
  pid: number;
  startTime: string | null;
  monitorPath: string;
  libDir: string;
  logPath: string;
  /** Another process asked this QEMU to go away (destroy): its exit is not a crash. */
  stopCause: string | null;
  /** The domain has a persistent config (false: transient). */
  persistent: boolean;
  fakeReboot: boolean;
  /** The live <domain> element text. */
  domainXML: string;
}

export function formatStatus(r: Omit<StatusRecord, 'domainXML'>, domainXML: string): string {
  const attrs = [
    `state='${stateName(r.state)}'`,
    `reason='${r.reason}'`,
    `pid='${r.pid}'`,
  ];
  const lines = [`<domstatus ${attrs.join(' ')}>`];
  lines.push(`  <monitor path='${esc(r.monitorPath)}' type='unix'/>`);
  lines.push(
    `  <tsvirt starttime='${esc(r.startTime ?? '')}' libDir='${esc(r.libDir)}' log='${esc(r.logPath)}' persistent='${r.persistent ? 'yes' : 'no'}'` +
      `${r.stopCause ? ` stopCause='${esc(r.stopCause)}'` : ''}${r.fakeReboot ? " fakeReboot='yes'" : ''}/>`,
  );
  for (const l of domainXML.replace(/\n+$/, '').split('\n')) lines.push(`  ${l}`);
  lines.push('</domstatus>', '');
  return lines.join('\n');
}

export function parseStatus(text: string, file: string): StatusRecord {
  const root = parseXml(text, file);
  const mon = child(root, 'monitor');
  const ts = child(root, 'tsvirt');
  const dom = children(root, 'domain')[0];
  if (!dom) throw new Error(`${file}: no <domain> in status XML`);
  return {
    state: stateFromName(attr(root, 'state')),
    reason: Number(attr(root, 'reason') ?? 0) || 0,
    pid: Number(attr(root, 'pid') ?? 0) || 0,
    startTime: attr(ts, 'starttime') || null,
    monitorPath: attr(mon, 'path') ?? '',
    libDir: attr(ts, 'libDir') ?? '',
    logPath: attr(ts, 'log') ?? '',
    stopCause: attr(ts, 'stopCause') ?? null,
    persistent: attr(ts, 'persistent') !== 'no',
    fakeReboot: attr(ts, 'fakeReboot') === 'yes',
    domainXML: serializeNode(dom).join('\n'),
  };
}

export async function writeStatus(dirs: QemuDirs, name: string, r: Omit<StatusRecord, 'domainXML'>, domainXML: string): Promise<void> {
  await writeFileAtomic(statusPath(dirs, name), formatStatus(r, domainXML), { mode: 0o600 });
}

export async function readStatusFile(dirs: QemuDirs, name: string): Promise<StatusRecord | null> {
  try {
    return parseStatus(await readFile(statusPath(dirs, name), 'utf8'), statusPath(dirs, name));
  } catch {
    return null;
  }
}

export async function readStatuses(dirs: QemuDirs): Promise<Array<{ name: string; rec: StatusRecord }>> {
  const out: Array<{ name: string; rec: StatusRecord }> = [];
  for (const f of await xmlFiles(dirs.stateDir)) {
    const name = f.slice(0, -4);
    const rec = await readStatusFile(dirs, name);
    if (rec) out.push({ name, rec });
  }
  return out;
}

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
