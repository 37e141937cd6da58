// Host and hypervisor commands: version, uri, hostname, nodeinfo, capabilities, domcapabilities.
import type { Ctl } from './ctl.js';
import { versionString } from './strings.js';
import type { ParsedCmd } from './vsh.js';
import { optBool, optString } from './vsh.js';

/** The libvirt release tsvirt's API and behaviour correspond to (what virsh prints as its library). */
const LIBRARY_VERSION = 9_000_000;

async function call<T>(ctl: Ctl, failure: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    ctl.error(failure);
    throw e;
  }
}

export async function cmdVersion(ctl: Ctl, cmd: ParsedCmd): Promise<boolean> {
  const conn = ctl.connection();
  const type = await call(ctl, 'failed to get hypervisor type', () => conn.getType());
  const hv = await call(ctl, 'failed to get the hypervisor version', () => conn.getVersion());
  let daemon: number | null = null;
  let daemonFailed = false;
  if (optBool(cmd, 'daemon')) {
    daemon = await conn.getLibVersion().catch(() => {
      daemonFailed = true;
      return null;
    });
  }
  const lib = versionString(LIBRARY_VERSION);
  if (ctl.json) {
    ctl.printJSON({
      compiledAgainst: lib,
      library: lib,
      api: { type, version: lib },
      hypervisor: hv === 0 ? null : { type, version: versionString(hv) },
      ...(optBool(cmd, 'daemon') ? { daemon: daemon === null ? null : versionString(daemon) } : {}),
    });
    return !daemonFailed;
  }
  let out = `Compiled against library: libvirt ${lib}\nUsing library: libvirt ${lib}\nUsing API: ${type} ${lib}\n`;
  out += hv === 0 ? `Cannot extract running ${type} hypervisor version\n` : `Running hypervisor: ${type} ${versionString(hv)}\n`;
  ctl.print(out);
  if (daemonFailed) {
    ctl.error('failed to get the daemon version');
  } else if (daemon !== null) {
    ctl.print(`Running against daemon: ${versionString(daemon)}\n`);
  }
  return true;
}

export async function cmdURI(ctl: Ctl): Promise<boolean> {
  const uri = await call(ctl, 'failed to get URI', () => ctl.connection().getURI());
  if (ctl.json) ctl.printJSON({ uri });
  else ctl.print(`${uri}\n`);
  return true;
}

export async function cmdHostname(ctl: Ctl): Promise<boolean> {
  const hostname = await call(ctl, 'failed to get hostname', () => ctl.connection().getHostname());
  if (ctl.json) ctl.printJSON({ hostname });
  else ctl.print(`${hostname}\n`);
  return true;
}

export async function cmdNodeinfo(ctl: Ctl): Promise<boolean> {
  const i = await call(ctl, 'failed to get node information', () => ctl.connection().nodeInfo());
  if (ctl.json) {
    ctl.printJSON({
      model: i.model, cpus: i.cpus, mhz: i.mhz, sockets: i.sockets, coresPerSocket: i.cores,
      threadsPerCore: i.threads, numaCells: i.nodes, memory: i.memory,
    });
    return true;
  }
  const f = (label: string, v: string) => `${label.padEnd(20)} ${v}\n`;
  let out = f('CPU model:', i.model) + f('CPU(s):', String(i.cpus));
  if (i.mhz) out += f('CPU frequency:', `${i.mhz} MHz`);
  out += f('CPU socket(s):', String(i.sockets));
  out += f('Core(s) per socket:', String(i.cores));
  out += f('Thread(s) per core:', String(i.threads));
  out += f('NUMA cell(s):', String(i.nodes));
  out += f('Memory size:', `${i.memory} KiB`);
  ctl.print(out);
  return true;
}

export async function cmdCapabilities(ctl: Ctl): Promise<boolean> {
  const caps = await call(ctl, 'failed to get capabilities', () => ctl.connection().getCapabilities());
  ctl.print(`${caps}\n`);
  return true;
}

export async function cmdDomCapabilities(ctl: Ctl, cmd: ParsedCmd): Promise<boolean> {
  const caps = await call(ctl, 'failed to get emulator capabilities', () =>
    ctl.connection().getDomainCapabilities({
      virttype: optString(cmd, 'virttype') ?? null,
      emulatorbin: optString(cmd, 'emulatorbin') ?? null,
      arch: optString(cmd, 'arch') ?? null,
      machine: optString(cmd, 'machine') ?? null,
      flags: 0,
    }),
  );
  ctl.print(`${caps}\n`);
  return true;
}
