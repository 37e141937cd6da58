// Domain management commands: define, undefine, create, start, shutdown, destroy, reboot, reset,
// suspend, resume, autostart, dumpxml, domid, domuuid, domname, domxml-to-native, domxml-from-native.
import { readFile } from 'node:fs/promises';
import type { Domain } from '../api/domain.js';
import {
  DomainCreateFlags,
  DomainDefineFlags,
  DomainDestroyFlags,
  DomainShutdownFlags,
  DomainUndefineFlags,
  DomainXMLFlags,
} from '../driver/constants.js';
import { describeErrno } from '../util/errors.js';
import { BY_ALL, BY_ID, BY_NAME, BY_UUID, type Ctl, Reported } from './ctl.js';
import type { ParsedCmd } from './vsh.js';
import { optBool, optString } from './vsh.js';

/** virFileReadAll as virsh reports it. */
async function readInput(ctl: Ctl, path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code ? describeErrno(code) : String(e);
    ctl.error(code === 'EISDIR' ? `Failed to read file '${path}': ${why}` : `Failed to open file '${path}': ${why}`);
    throw new Reported();
  }
}

/** Runs a domain API call; on failure prints virsh's "Failed to …" line before libvirt's error. */
async function attempt<T>(ctl: Ctl, failure: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    ctl.error(failure);
    throw e;
  }
}

export async function cmdDefine(ctl: Ctl, cmd: ParsedCmd): Promise<boolean> {
  const file = optString(cmd, 'file') as string;
  let flags = 0;
  if (optBool(cmd, 'validate')) flags |= DomainDefineFlags.VALIDATE;
  const xml = await readInput(ctl, file);
  const dom = await attempt(ctl, `Failed to define domain from ${file}`, () => ctl.connection().defineXML(xml, flags));
  ctl.printExtra(`Domain '${dom.name}' defined from ${file}\n`);
  return true;
}

export async function cmdCreate(ctl: Ctl, cmd: ParsedCmd): Promise<boolean> {
  const file = optString(cmd, 'file') as string;
  let flags = 0;
  if (optBool(cmd, 'paused')) flags |= DomainCreateFlags.START_PAUSED;
  if (optBool(cmd, 'autodestroy')) flags |= DomainCreateFlags.START_AUTODESTROY;
  if (optBool(cmd, 'validate')) flags |= DomainCreateFlags.START_VALIDATE;
  if (optBool(cmd, 'reset-nvram')) flags |= DomainCreateFlags.START_RESET_NVRAM;
  if (optString(cmd, 'pass-fds') !== undefined) return passFdsUnsupported(ctl);
  const xml = await readInput(ctl, file);
  const dom = await attempt(ctl, `Failed to create domain from ${file}`, () => ctl.connection().createXML(xml, flags));
  ctl.printExtra(`Domain '${dom.name}' created from ${file}\n`);
  if (optBool(cmd, 'console')) return runConsole(ctl, dom);
  return true;
}

function passFdsUnsupported(ctl: Ctl): boolean {
  ctl.error('passing file descriptors (--pass-fds) is not supported by tsvirt');
  return false;
}

async function runConsole(ctl: Ctl, dom: Domain): Promise<boolean> {
  const { runConsole: run } = await import('./console.js');
  return run(ctl, dom, null, 0);
}

export async function cmdStart(ctl: Ctl, cmd: ParsedCmd): Promise<boolean> {
  const dom = await ctl.optDomain(cmd, BY_NAME | BY_UUID);
  if ((await dom.getID()) !== -1) {
    ctl.error('Domain is already active');
    return false;
  }
  let flags = 0;
  if (optBool(cmd, 'paused')) flags |= DomainCreateFlags.START_PAUSED;
  if (optBool(cmd, 'autodestroy')) flags |= DomainCreateFlags.START_AUTODESTROY;
  if (optBool(cmd, 'bypass-cache')) flags |= DomainCreateFlags.START_BYPASS_CACHE;
  if (optBool(cmd, 'force-boot')) flags |= DomainCreateFlags.START_FORCE_BOOT;
  if (optBool(cmd, 'reset-nvram')) flags |= DomainCreateFlags.START_RESET_NVRAM;
  if (optString(cmd, 'pass-fds') !== undefined) return passFdsUnsupported(ctl);
  await attempt(ctl, `Failed to start domain '${dom.name}'`, () => dom.create(flags));
  ctl.printExtra(`Domain '${dom.name}' started\n`);
  if (optBool(cmd, 'console')) return runConsole(ctl, dom);
  return true;
}

const MODES: Record<string, number> = {
  acpi: DomainShutdownFlags.ACPI_POWER_BTN,
  agent: DomainShutdownFlags.GUEST_AGENT,
  initctl: DomainShutdownFlags.INITCTL,
  signal: DomainShutdownFlags.SIGNAL,
  paravirt: DomainShutdownFlags.PARAVIRT,
};

/** --mode acpi,agent,… → flags (virDomainShutdownFlagValues and virDomainRebootFlagValues agree). */
function modeFlags(ctl: Ctl, cmd: ParsedCmd, reboot: boolean): number {
  const mode = optString(cmd, 'mode');
  if (mode === undefined) return 0;
  let flags = 0;
  for (const m of mode.split(',')) {
    const f = MODES[m];
    if (f === undefined) {
      // virsh's two messages differ by a comma.
      ctl.error(`Unknown mode ${m} value, expecting 'acpi', 'agent', 'initctl', 'signal'${reboot ? '' : ','} or 'paravirt'`);
      throw new Reported();
    }
    flags |= f;
  }
  return flags;
}

export async function cmdShutdown(ctl: Ctl, cmd: ParsedCmd): Promise<boolean> {
  const flags = modeFlags(ctl, cmd, false);
  const dom = await ctl.optDomain(cmd);
  await attempt(ctl, `Failed to shutdown domain '${dom.name}'`, () => dom.shutdown(flags));
  ctl.printExtra(`Domain '${dom.name}' is being shutdown\n`);
  return true;
}

export async function cmdReboot(ctl: Ctl, cmd: ParsedCmd): Promise<boolean> {
  const flags = modeFlags(ctl, cmd, true);
  const dom = await ctl.optDomain(cmd);
  await attempt(ctl, `Failed to reboot domain '${dom.name}'`, () => dom.reboot(flags));
  ctl.printExtra(`Domain '${dom.name}' is being rebooted\n`);
  return true;
}

export async function cmdReset(ctl: Ctl, cmd: ParsedCmd): Promise<boolean> {
  const dom = await ctl.optDomain(cmd);
  await attempt(ctl, `Failed to reset domain '${dom.name}'`, () => dom.reset(0));
  ctl.printExtra(`Domain '${dom.name}' was reset\n`);
  return true;
}

export async function cmdDestroy(ctl: Ctl, cmd: ParsedCmd): Promise<boolean> {
  const dom = await ctl.optDomain(cmd);
  let flags = 0;
  if (optBool(cmd, 'graceful')) flags |= DomainDestroyFlags.GRACEFUL;
  if (optBool(cmd, 'remove-logs')) flags |= 2; // VIR_DOMAIN_DESTROY_REMOVE_LOGS
  await attempt(ctl, `Failed to destroy domain '${dom.name}'`, () => dom.destroy(flags));
  ctl.printExtra(`Domain '${dom.name}' destroyed\n`);
  return true;
}

export async function cmdSuspend(ctl: Ctl, cmd: ParsedCmd): Promise<boolean> {
  const dom = await ctl.optDomain(cmd);
  await attempt(ctl, `Failed to suspend domain '${dom.name}'`, () => dom.suspend());
  ctl.printExtra(`Domain '${dom.name}' suspended\n`);
  return true;
}

export async function cmdResume(ctl: Ctl, cmd: ParsedCmd): Promise<boolean> {
  const dom = await ctl.optDomain(cmd);
  await attempt(ctl, `Failed to resume domain '${dom.name}'`, () => dom.resume());
  ctl.printExtra(`Domain '${dom.name}' resumed\n`);
  return true;
}

export async function cmdAutostart(ctl: Ctl, cmd: ParsedCmd): Promise<boolean> {
  const dom = await ctl.optDomain(cmd);
  const on = !optBool(cmd, 'disable');
  await attempt(
    ctl,
    on ? `Failed to mark domain '${dom.name}' as autostarted` : `Failed to unmark domain '${dom.name}' as autostarted`,
    () => dom.setAutostart(on),
  );
  ctl.printExtra(on ? `Domain '${dom.name}' marked as autostarted\n` : `Domain '${dom.name}' unmarked as autostarted\n`);
  return true;
}

export async function cmdUndefine(ctl: Ctl, cmd: ParsedCmd): Promise<boolean> {
  if (optBool(cmd, 'delete-storage-volume-snapshots') && !optBool(cmd, 'remove-all-storage')) {
    ctl.error('Option --remove-all-storage is required by option --delete-storage-volume-snapshots');
    return false;
  }
  ctl.exclusive(cmd, 'nvram', 'keep-nvram');
  ctl.exclusive(cmd, 'tpm', 'keep-tpm');
  ctl.exclusive(cmd, 'storage', 'remove-all-storage');
  let flags = 0;
  if (optBool(cmd, 'managed-save')) flags |= DomainUndefineFlags.MANAGED_SAVE;
  if (optBool(cmd, 'snapshots-metadata')) flags |= DomainUndefineFlags.SNAPSHOTS_METADATA;
  if (optBool(cmd, 'checkpoints-metadata')) flags |= DomainUndefineFlags.CHECKPOINTS_METADATA;
  if (optBool(cmd, 'nvram')) flags |= DomainUndefineFlags.NVRAM;
  if (optBool(cmd, 'keep-nvram')) flags |= DomainUndefineFlags.KEEP_NVRAM;
  if (optBool(cmd, 'tpm')) flags |= DomainUndefineFlags.TPM;
  if (optBool(cmd, 'keep-tpm')) flags |= DomainUndefineFlags.KEEP_TPM;
  const dom = await ctl.optDomain(cmd);
  if (optString(cmd, 'storage') !== undefined || optBool(cmd, 'remove-all-storage') || optBool(cmd, 'wipe-storage')) {
    ctl.error('removing storage volumes is not supported by tsvirt (it has no storage pool driver)');
    return false;
  }
  await attempt(ctl, `Failed to undefine domain '${dom.name}'`, () => dom.undefine(flags));
  ctl.printExtra(`Domain '${dom.name}' has been undefined\n`);
  return true;
}

export async function cmdDumpXML(ctl: Ctl, cmd: ParsedCmd): Promise<boolean> {
  let flags = 0;
  if (optBool(cmd, 'inactive')) flags |= DomainXMLFlags.INACTIVE;
  if (optBool(cmd, 'security-info')) flags |= DomainXMLFlags.SECURE;
  if (optBool(cmd, 'update-cpu')) flags |= DomainXMLFlags.UPDATE_CPU;
  if (optBool(cmd, 'migratable')) flags |= DomainXMLFlags.MIGRATABLE;
  const dom = await ctl.optDomain(cmd);
  const xml = await dom.getXMLDesc(flags);
  const xpath = optString(cmd, 'xpath');
  if (xpath !== undefined) {
    const { xpathSelect } = await import('./xpath.js');
    ctl.print(xpathSelect(xml, xpath, optBool(cmd, 'wrap')));
    return true;
  }
  ctl.print(xml);
  return true;
}

export async function cmdDomid(ctl: Ctl, cmd: ParsedCmd): Promise<boolean> {
  const dom = await ctl.optDomain(cmd, BY_NAME | BY_UUID);
  const id = dom.id;
  ctl.print(id === -1 ? '-\n' : `${id}\n`);
  return true;
}

export async function cmdDomuuid(ctl: Ctl, cmd: ParsedCmd): Promise<boolean> {
  const dom = await ctl.optDomain(cmd, BY_NAME | BY_ID);
  ctl.print(`${dom.uuid}\n`);
  return true;
}

export async function cmdDomname(ctl: Ctl, cmd: ParsedCmd): Promise<boolean> {
  const dom = await ctl.optDomain(cmd, BY_ID | BY_UUID);
  ctl.print(`${dom.name}\n`);
  return true;
}

export async function cmdDomXMLToNative(ctl: Ctl, cmd: ParsedCmd): Promise<boolean> {
  const format = optString(cmd, 'format') as string;
  ctl.exclusive(cmd, 'domain', 'xml');
  const domName = optString(cmd, 'domain');
  const file = optString(cmd, 'xml');
  let xml: string;
  if (domName !== undefined) {
    const dom = await ctl.lookupDomain(domName, BY_ALL);
    xml = await dom.getXMLDesc(0);
  } else if (file !== undefined) {
    xml = await readInput(ctl, file);
  } else {
    ctl.error('need either domain or domain XML');
    return false;
  }
  ctl.print(await ctl.connection().domainXMLToNative(format, xml, 0));
  return true;
}

export async function cmdDomXMLFromNative(ctl: Ctl, cmd: ParsedCmd): Promise<boolean> {
  const format = optString(cmd, 'format') as string;
  const file = optString(cmd, 'config') as string;
  const config = await readInput(ctl, file);
  ctl.print(await ctl.connection().domainXMLFromNative(format, config, 0));
  return true;
}
