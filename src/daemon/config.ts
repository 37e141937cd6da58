// tsvirtd's settings: command line, the config file (libvirtd.conf syntax: `key = value`,
// strings in quotes, lists in brackets, # comments) and libvirt's defaults per mode.
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

export type Mode = 'system' | 'session';

export interface DaemonConfig {
  mode: Mode;
  configFile: string | null;
  /** read-write socket path, and the read-only one (system mode only, null to skip). */
  socketRw: string;
  socketRo: string | null;
  sockRwPerms: number;
  sockRoPerms: number;
  sockGroup: string | null;
  listenTcp: boolean;
  listenAddr: string;
  tcpPort: number;
  maxClients: number;
  maxClientRequests: number;
  maxMessageSize: number;
  maxQueuedBytes: number;
  keepaliveInterval: number;
  keepaliveCount: number;
  pidFile: string | null;
  verbose: boolean;
  /** A module exporting openDriver(opts) to serve instead of the QEMU driver (testing, other drivers). */
  driverModule: string | null;
  /** Exit after this many idle seconds with no clients and no running guests (0 = never). */
  timeout: number;
}

export type ConfValue = string | number | string[];

/** Parses libvirtd.conf-style text. */
export function parseConf(text: string, file = 'config'): Map<string, ConfValue> {
  const out = new Map<string, ConfValue>();
  // Join bracketed lists that span lines.
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    let line = stripComment(lines[i]).trim();
    if (!line) continue;
    if (line.includes('[') && !line.includes(']')) {
      while (i + 1 < lines.length && !line.includes(']')) line += ` ${stripComment(lines[++i]).trim()}`;
    }
    const m = /^([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.+)$/.exec(line);
    if (!m) throw new Error(`${file}:${i + 1}: expecting 'key = value'`);
    out.set(m[1], parseValue(m[2].trim(), `${file}:${i + 1}`));
  }
  return out;
}

function stripComment(s: string): string {
  let q = false;
  for (let i = 0; i < s.length; i++) {
    if (s[i] === '"') q = !q;
    else if (s[i] === '#' && !q) return s.slice(0, i);
  }
  return s;
}

function parseValue(v: string, where: string): ConfValue {
  if (v.startsWith('"')) {
    if (!v.endsWith('"') || v.length < 2) throw new Error(`${where}: unterminated string`);
    return v.slice(1, -1);
  }
  if (v.startsWith('[')) {
    if (!v.endsWith(']')) throw new Error(`${where}: unterminated list`);
    const inner = v.slice(1, -1).trim();
    if (!inner) return [];
    return inner.split(',').map((x) => {
      const t = x.trim();
      if (!t.startsWith('"') || !t.endsWith('"')) throw new Error(`${where}: list items must be strings`);
      return t.slice(1, -1);
    });
  }
  if (/^-?\d+$/.test(v)) return Number(v);
  throw new Error(`${where}: cannot parse value ${v}`);
}

function runtimeDir(): string {
  return process.env.XDG_RUNTIME_DIR || join(process.env.HOME || homedir(), '.cache');
}
function configDir(): string {
  return process.env.XDG_CONFIG_HOME || join(process.env.HOME || homedir(), '.config');
}

export const USAGE = `Usage: tsvirtd [options]
  --system            system instance (root): /run/libvirt/virtqemud-sock and -sock-ro
  --session           per-user instance: $XDG_RUNTIME_DIR/libvirt/virtqemud-sock
  -f, --config FILE   configuration file (default virtqemud.conf of the instance)
  -l, --listen        also listen on TCP (listen_tcp; auth_tcp must be "none")
  --socket PATH       read-write socket path;  --ro-socket PATH  read-only socket path ('' for none)
  -p, --pid-file FILE pid file
  -t, --timeout SECS  exit after SECS idle seconds
  --driver-module M   serve the driver from module M (exports openDriver)
  -v, --verbose       log to stderr
  -h, --help          this text`;

export function loadConfig(argv: string[]): DaemonConfig {
  let mode: Mode = process.getuid?.() === 0 ? 'system' : 'session';
  let configFile: string | null = null;
  let listen = false;
  let socketRw: string | null = null;
  let socketRo: string | null | undefined;
  let pidFile: string | null | undefined;
  let verbose = false;
  let driverModule: string | null = null;
  let timeout = 0;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const val = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`option ${a} needs a value`);
      return v;
    };
    switch (a) {
      case '--system': mode = 'system'; break;
      case '--session': mode = 'session'; break;
      case '-f': case '--config': configFile = val(); break;
      case '-l': case '--listen': listen = true; break;
      case '--socket': socketRw = val(); break;
      case '--ro-socket': socketRo = val() || null; break;
      case '-p': case '--pid-file': pidFile = val() || null; break;
      case '-t': case '--timeout': timeout = Number(val()); break;
      case '--driver-module': driverModule = val(); break;
      case '-v': case '--verbose': verbose = true; break;
      case '-d': case '--daemon': break;
      default: throw new Error(`unknown option ${a}`);
    }
  }
  const defaultConf = mode === 'system' ? '/etc/libvirt/virtqemud.conf' : join(configDir(), 'libvirt/virtqemud.conf');
  let conf = new Map<string, ConfValue>();
  const file = configFile ?? defaultConf;
  try {
    conf = parseConf(readFileSync(file, 'utf8'), file);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT' || configFile) throw e;
  }
  const num = (k: string, dflt: number): number => {
    const v = conf.get(k);
    if (v === undefined) return dflt;
    if (typeof v !== 'number') throw new Error(`${file}: ${k} must be a number`);
    return v;
  };
  const str = (k: string, dflt: string | null): string | null => {
    const v = conf.get(k);
    if (v === undefined) return dflt;
    if (typeof v !== 'string') throw new Error(`${file}: ${k} must be a string`);
    return v;
  };
  const perms = (k: string, dflt: number): number => {
    const v = str(k, null);
    if (v === null) return dflt;
    if (!/^0?[0-7]{3,4}$/.test(v)) throw new Error(`${file}: ${k}: bad permissions ${v}`);
    return Number.parseInt(v, 8);
  };
  const sockDir = str('unix_sock_dir', mode === 'system' ? '/run/libvirt' : join(runtimeDir(), 'libvirt')) as string;
  const authTcp = str('auth_tcp', 'none');
  const listenTcp = listen && num('listen_tcp', 1) !== 0;
  if (listenTcp && authTcp !== 'none') throw new Error(`auth_tcp = "${authTcp}" is not supported by tsvirtd (only "none")`);
  return {
    mode,
    configFile: configFile ?? (conf.size ? file : null),
    socketRw: socketRw ?? join(sockDir, 'virtqemud-sock'),
    socketRo: socketRo !== undefined ? socketRo : mode === 'system' ? join(sockDir, 'virtqemud-sock-ro') : null,
    sockRwPerms: perms('unix_sock_rw_perms', 0o700),
    sockRoPerms: perms('unix_sock_ro_perms', 0o777),
    sockGroup: str('unix_sock_group', null),
    listenTcp,
    listenAddr: str('listen_addr', '0.0.0.0') as string,
    tcpPort: Number(conf.get('tcp_port') ?? 16509),
    maxClients: num('max_clients', 5000),
    maxClientRequests: num('max_client_requests', 5),
    maxMessageSize: num('max_message_size', 33554432 + 4),
    maxQueuedBytes: num('max_queued_bytes', 64 * 1024 * 1024),
    keepaliveInterval: num('keepalive_interval', 5),
    keepaliveCount: num('keepalive_count', 5),
    pidFile: pidFile !== undefined ? pidFile : mode === 'system' ? '/run/virtqemud.pid' : join(runtimeDir(), 'libvirt/virtqemud.pid'),
    verbose,
    driverModule,
    timeout,
  };
}
