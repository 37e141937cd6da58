// Status XML of running domains (stateDir/NAME.xml): <domstatus> with the live <domain>, written
// atomically at every state change and read back by the next process to reconnect.
import { readFile } from 'node:fs/promises';
import type { DomainStateValue } from '../../driver/constants.js';
import { writeFileAtomic } from '../../util/atomic.js';
import { attr, child, children, escapeText, parseXml, serializeNode } from '../../util/xml.js';
import type { QemuDirs } from '../dirs.js';
import { stateFromName, stateName, statusPath, xmlFiles } from './persist.js';

const esc = (s: string) => escapeText(s).replace(/'/g, '&apos;');

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

