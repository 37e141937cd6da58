// Remote URIs as libvirt's remote driver reads them: driver[+transport]://[user@][host][:port]/path?params.
// Decides where to connect and which name to send in CONNECT_OPEN.
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { ErrorCode, ErrorDomain, virError } from '../../util/errors.js';

export type Transport = 'unix' | 'tcp' | 'ssh' | 'tls' | 'ext';

export interface RemoteTarget {
  transport: Transport;
  /** UNIX socket path (unix transport; the remote socket for ssh). */
  socket?: string;
  host?: string;
  port?: number;
  user?: string;
  /** The URI the server is asked to open (CONNECT_OPEN name). */
  name: string;
  readonly: boolean;
  params: URLSearchParams;
}

/** Query parameters consumed by the client and never forwarded to the server. */
const CLIENT_PARAMS = new Set([
  'name', 'command', 'socket', 'auth', 'netcat', 'keyfile', 'no_verify', 'no_tty', 'pkipath', 'known_hosts',
  'known_hosts_verify', 'sshauth', 'tls_priority', 'mode', 'proxy', 'no_sanity',
]);

export function userRuntimeDir(): string {
  return process.env.XDG_RUNTIME_DIR || join(process.env.HOME || homedir(), '.cache');
}

/** The daemon socket libvirt 9's client picks for qemu:///system or qemu:///session. */
export function defaultSocket(path: string, readonly: boolean): string {
  const system = path === '/system' || (path !== '/session' && process.getuid?.() === 0);
  const dir = system ? '/run/libvirt' : join(userRuntimeDir(), 'libvirt');
  const suffix = readonly && system ? '-sock-ro' : '-sock';
  const modular = join(dir, `virtqemud${suffix}`);
  if (existsSync(modular)) return modular;
  return join(dir, `libvirt${suffix}`);
}

export function parseRemoteURI(uri: string, readonly = false): RemoteTarget {
  let u: URL;
  try {
    u = new URL(uri);
  } catch {
    throw virError(ErrorCode.INVALID_ARG, ErrorDomain.URI, `Unable to parse URI ${uri}`);
  }
  const scheme = u.protocol.replace(/:$/, '');
  const [driver, tr] = scheme.split('+', 2);
  const host = u.hostname ? decodeURIComponent(u.hostname.replace(/^\[|\]$/g, '')) : '';
  let transport: Transport;
  if (tr) {
    if (!['unix', 'tcp', 'ssh', 'tls', 'ext', 'libssh', 'libssh2'].includes(tr)) {
      throw virError(ErrorCode.INVALID_ARG, ErrorDomain.REMOTE, `transport in URL not recognised (should be tls|unix|ssh|ext|tcp|libssh2|libssh)`);
    }
    transport = tr === 'libssh' || tr === 'libssh2' ? 'ssh' : (tr as Transport);
  } else transport = host ? 'tls' : 'unix';

  const params = u.searchParams;
  const path = decodeURIComponent(u.pathname || '/');
  const fwd = new URLSearchParams();
  for (const [k, v] of params) if (!CLIENT_PARAMS.has(k)) fwd.append(k, v);
  const q = fwd.toString();
  const name = params.get('name') ?? (driver === 'remote' ? '' : `${driver}://${path}${q ? `?${q}` : ''}`);
  const t: RemoteTarget = { transport, name, readonly, params };
  if (transport === 'unix') {
    t.socket = params.get('socket') ?? defaultSocket(path, readonly);
  } else {
    t.host = host || 'localhost';
    if (u.port) t.port = Number(u.port);
    if (u.username) t.user = decodeURIComponent(u.username);
    if (transport === 'ssh') t.socket = params.get('socket') ?? (path === '/session' ? undefined : readonly ? '/run/libvirt/libvirt-sock-ro' : '/run/libvirt/libvirt-sock');
  }
  return t;
}
