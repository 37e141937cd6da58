// Domain monitoring commands: list, dominfo, domstate (virsh-domain-monitor.c layouts).
import type { Domain } from '../api/domain.js';
import { ListDomainsFlags as L } from '../driver/constants.js';
import type { Ctl } from './ctl.js';
import { stateReasonToString, stateToString } from './strings.js';
import { formatTable } from './table.js';
import type { ParsedCmd } from './vsh.js';
import { optBool } from './vsh.js';

const FILTERS: Array<[string, number]> = [
  ['persistent', L.PERSISTENT],
  ['transient', L.TRANSIENT],
  ['with-managed-save', L.MANAGEDSAVE],
  ['without-managed-save', L.NO_MANAGEDSAVE],
  ['autostart', L.AUTOSTART],
  ['no-autostart', L.NO_AUTOSTART],
  ['with-snapshot', L.HAS_SNAPSHOT],
  ['without-snapshot', L.NO_SNAPSHOT],
  ['with-checkpoint', L.HAS_CHECKPOINT],
  ['without-checkpoint', L.NO_CHECKPOINT],
  ['state-running', L.RUNNING],
  ['state-paused', L.PAUSED],
  ['state-shutoff', L.SHUTOFF],
  ['state-other', L.OTHER],
];

function unescapeXML(s: string): string {
  return s.replace(/&(lt|gt|amp|quot|apos|#\d+|#x[0-9a-fA-F]+);/g, (_, e: string) => {
    if (e === 'lt') return '<';
    if (e === 'gt') return '>';
    if (e === 'amp') return '&';
    if (e === 'quot') return '"';
    if (e === 'apos') return "'";
    return String.fromCodePoint(e[1] === 'x' ? Number.parseInt(e.slice(2), 16) : Number.parseInt(e.slice(1), 10));
  });
}

/** The domain's <title> (virshGetDomainDescription with title=true), "" when it has none. */
async function domainTitle(dom: Domain): Promise<string> {
  const xml = await dom.getXMLDesc(0);
  const m = /<title>([^<]*)<\/title>/.exec(xml);
  return m ? unescapeXML(m[1]) : '';
}

/** Active domains by id, then inactive ones by name, case-insensitively (virshDomainSorter). */
function sortDomains(doms: Domain[]): Domain[] {
  return doms.sort((a, b) => {
    const ia = a.id;
    const ib = b.id;
    if (ia === -1 && ib === -1) return a.name.toLowerCase() < b.name.toLowerCase() ? -1 : a.name.toLowerCase() > b.name.toLowerCase() ? 1 : 0;
    if (ia !== -1 && ib !== -1) return ia - ib;
    return ia !== -1 ? -1 : 1;
  });
}

export async function cmdList(ctl: Ctl, cmd: ParsedCmd): Promise<boolean> {
  let flags: number = L.ACTIVE;
  if (optBool(cmd, 'inactive') || optBool(cmd, 'state-shutoff')) flags = L.INACTIVE;
  if (optBool(cmd, 'all')) flags = L.INACTIVE | L.ACTIVE;
  for (const [name, f] of FILTERS) if (optBool(cmd, name)) flags |= f;
  ctl.exclusive(cmd, 'table', 'name');
  ctl.exclusive(cmd, 'table', 'uuid');
  ctl.exclusive(cmd, 'table', 'id');
  const optUUID = optBool(cmd, 'uuid');
  const optName = optBool(cmd, 'name');
  const optID = optBool(cmd, 'id');
  const optTitle = optBool(cmd, 'title');
  const table = optBool(cmd, 'table') || (!optUUID && !optName && !optID);

  let doms: Domain[];
  try {
    doms = sortDomains(await ctl.connection().listAllDomains(flags));
  } catch (e) {
    ctl.error('Failed to list domains');
    throw e;
  }

  if (ctl.json) {
    const out: Array<Record<string, unknown>> = [];
    for (const d of doms) {
      const st = await d.getState(0).catch(() => null);
      if (!st) continue;
      const o: Record<string, unknown> = { id: d.id === -1 ? null : d.id, name: d.name, uuid: d.uuid, state: stateToString(st.state) };
      if (optTitle) o.title = await domainTitle(d);
      out.push(o);
    }
    ctl.printJSON(out);
    return true;
  }

  if (table) {
    const rows: string[][] = [];
    for (const d of doms) {
      const st = await d.getState(0).catch(() => null);
      if (!st) continue; // removed in the meantime
      const row = [d.id === -1 ? '-' : String(d.id), d.name, stateToString(st.state)];
      if (optTitle) row.push(await domainTitle(d));
      rows.push(row);
    }
    const header = optTitle ? ['Id', 'Name', 'State', 'Title'] : ['Id', 'Name', 'State'];
    ctl.print(formatTable(header, rows, !ctl.g.quiet));
    return true;
  }

  let out = '';
  for (const d of doms) {
    let sep = '';
    let line = '';
    if (optUUID) {
      line += d.uuid;
      sep = ' ';
    }
    if (optID) {
      if (d.id === -1 && !optUUID && !optName) continue;
      line += sep + (d.id === -1 ? '-' : String(d.id));
      sep = ' ';
    }
    if (optName) line += sep + d.name;
    out += `${line}\n`;
  }
  ctl.print(out);
  return true;
}

function osType(xml: string): string | null {
  const m = /<os\b[^>]*>[\s\S]*?<type\b[^>]*>([^<]*)<\/type>/.exec(xml);
  return m ? m[1].trim() : null;
}

export async function cmdDominfo(ctl: Ctl, cmd: ParsedCmd): Promise<boolean> {
  const dom = await ctl.optDomain(cmd);
  const id = await dom.getID();
  const xml = await dom.getXMLDesc(0).catch(() => null);
  const os = xml ? osType(xml) : null;
  const info = await dom.getInfo();
  const persistent = await dom.isPersistent().catch(() => null);
  const autostart = await dom.getAutostart().catch(() => null);

  if (ctl.json) {
    ctl.printJSON({
      id: id === -1 ? null : id,
      name: dom.name,
      uuid: dom.uuid,
      osType: os,
      state: stateToString(info.state),
      cpus: info.nrVirtCpu,
      cpuTime: Number(info.cpuTime) / 1e9,
      maxMemory: info.maxMem,
      usedMemory: info.memory,
      persistent,
      autostart,
      managedSave: false,
    });
    return true;
  }

  const f = (label: string, v: string) => `${label.padEnd(15)} ${v}\n`;
  let out = f('Id:', id === -1 ? '-' : String(id));
  out += f('Name:', dom.name);
  out += f('UUID:', dom.uuid);
  if (os !== null) out += f('OS Type:', os);
  out += f('State:', stateToString(info.state));
  out += f('CPU(s):', String(info.nrVirtCpu));
  if (info.cpuTime !== 0n) out += f('CPU time:', `${(Number(info.cpuTime) / 1e9).toFixed(1)}s`);
  out += f('Max memory:', info.maxMem === 0xffffffff ? 'no limit' : `${info.maxMem} KiB`);
  out += f('Used memory:', `${info.memory} KiB`);
  out += f('Persistent:', persistent === null ? 'unknown' : persistent ? 'yes' : 'no');
  if (autostart !== null) out += f('Autostart:', autostart ? 'enable' : 'disable');
  out += f('Managed save:', 'no');
  ctl.print(out);
  return true;
}

export async function cmdDomstate(ctl: Ctl, cmd: ParsedCmd): Promise<boolean> {
  const dom = await ctl.optDomain(cmd);
  const st = await dom.getState(0);
  if (ctl.json) {
    ctl.printJSON({ state: stateToString(st.state), reason: stateReasonToString(st.state, st.reason) });
    return true;
  }
  if (optBool(cmd, 'reason')) ctl.print(`${stateToString(st.state)} (${stateReasonToString(st.state, st.reason)})\n`);
  else ctl.print(`${stateToString(st.state)}\n`);
  return true;
}
