// libvirt connection URIs (https://libvirt.org/uri.html), parsed the way virURIParse and the remote
// driver read them:
//
//   driver[+transport]://[user@][host][:port]/[path][?param=value&...]
//
//   qemu:///system  qemu:///session  qemu+unix:///system?socket=/x   local daemon over a UNIX socket
//   qemu:///embed?root=/abs/dir                                     embedded driver, in-process
//   qemu://host/system (TLS)  qemu+tcp://host/system  qemu+ssh://user@host:2222/system?keyfile=...
import { homedir } from 'node:os';
import { isAbsolute, join } from 'node:path';
import { ErrorCode, ErrorDomain, virError } from './util/errors.js';

export interface ParsedURI {
  /** The text given. */
  text: string;
  /** Full scheme, e.g. "qemu+ssh". */
  scheme: string;
  /** Driver part of the scheme, e.g. "qemu". */
  driver: string;
  /** Transport part of the scheme ("ssh", "tcp", ...), or null when none was written. */
  transport: string | null;
  user: string | null;
  /** Host name or address (IPv6 without brackets), or null for none. */
  server: string | null;
  /** Port, or 0 when none was given (as libvirt). */
  port: number;
  /** Path, "" when none. */
  path: string;
  /** Query parameters in order, percent-decoded. */
  params: Array<[string, string]>;
  /** The raw query string (without '?'), or null. */
  query: string | null;
  fragment: string | null;
}

const uriError = (detail: string) => virError(ErrorCode.INTERNAL_ERROR, ErrorDomain.URI, detail);

function pctDecode(s: string, whole: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    throw uriError(`Unable to parse URI ${whole}`);
  }
}

/** Parses a connection URI. A missing scheme or malformed text raises libvirt's errors. */
export function parseURI(text: string): ParsedURI {
  const m = /^([A-Za-z][A-Za-z0-9+.-]*):(.*)$/s.exec(text);
  if (!m) {
    throw virError(ErrorCode.NO_CONNECT, ErrorDomain.NONE, `URI '${text}' does not include a driver name`);
  }
  const scheme = m[1];
  let rest = m[2];
  let fragment: string | null = null;
  const hash = rest.indexOf('#');
  if (hash >= 0) {
    fragment = pctDecode(rest.slice(hash + 1), text);
    rest = rest.slice(0, hash);
  }
  let query: string | null = null;
  const q = rest.indexOf('?');
  if (q >= 0) {
    query = rest.slice(q + 1);
    rest = rest.slice(0, q);
  }
  let user: string | null = null;
  let server: string | null = null;
  let port = 0;
  let path = rest;
  if (rest.startsWith('//')) {
    const auth = rest.slice(2).split('/', 1)[0];
    path = rest.slice(2 + auth.length);
    let hostport = auth;
    const at = auth.lastIndexOf('@');
    if (at >= 0) {
      user = pctDecode(auth.slice(0, at), text);
      hostport = auth.slice(at + 1);
    }
    let host = hostport;
    let portText: string | null = null;
    if (hostport.startsWith('[')) {
      const close = hostport.indexOf(']');
      if (close < 0) throw uriError(`Unable to parse URI ${text}`);
      host = hostport.slice(1, close);
      const after = hostport.slice(close + 1);
      if (after.startsWith(':')) portText = after.slice(1);
      else if (after !== '') throw uriError(`Unable to parse URI ${text}`);
    } else {
      const colon = hostport.lastIndexOf(':');
      if (colon >= 0) {
        host = hostport.slice(0, colon);
        portText = hostport.slice(colon + 1);
      }
    }
    if (portText !== null && portText !== '') {
      if (!/^[0-9]+$/.test(portText) || Number(portText) > 65535) throw uriError(`Unable to parse URI ${text}`);
      port = Number(portText);
    }
    server = host === '' ? null : pctDecode(host, text);
  }
  path = pctDecode(path, text);
  const params: Array<[string, string]> = [];
  if (query !== null) {
    for (const part of query.split(/[&;]/)) {
      if (part === '') continue;
      const eq = part.indexOf('=');
      const name = eq >= 0 ? part.slice(0, eq) : part;
      const value = eq >= 0 ? part.slice(eq + 1) : '';
      params.push([pctDecode(name, text), pctDecode(value, text)]);
    }
  }
  const plus = scheme.indexOf('+');
  return {
    text,
    scheme,
    driver: plus >= 0 ? scheme.slice(0, plus) : scheme,
    transport: plus >= 0 ? scheme.slice(plus + 1) : null,
    user,
    server,
    port,
    path,
    params,
    query,
    fragment,
  };
}

/** First value of a query parameter (names compare case-insensitively, as libvirt's remote driver). */
export function uriParam(u: ParsedURI, name: string): string | undefined {
  const n = name.toLowerCase();
  return u.params.find(([k]) => k.toLowerCase() === n)?.[1];
}

/** virURIGetParam: the parameter, or libvirt's error when it is missing. */
export function requireURIParam(u: ParsedURI, name: string): string {
  const v = uriParam(u, name);
  if (v === undefined) throw virError(ErrorCode.INVALID_ARG, ErrorDomain.URI, `Missing URI parameter '${name}'`);
  return v;
}

function encodeParamValue(v: string): string {
  return v.replace(/[^A-Za-z0-9\-._~/:,@]/g, (c) => encodeURIComponent(c));
}

/** Formats a URI back to text (virURIFormat). */
export function formatURI(u: Omit<ParsedURI, 'text' | 'driver' | 'transport'>): string {
  let s = `${u.scheme}:`;
  if (u.server !== null || u.user !== null || u.port) {
    s += '//';
    if (u.user !== null) s += `${encodeURIComponent(u.user)}@`;
    if (u.server !== null) s += u.server.includes(':') ? `[${u.server}]` : u.server;
    if (u.port) s += `:${u.port}`;
  } else if (u.path.startsWith('/')) {
    s += '//';
  }
  s += u.path;
  if (u.params.length) s += `?${u.params.map(([k, v]) => `${encodeParamValue(k)}=${encodeParamValue(v)}`).join('&')}`;
  if (u.fragment !== null) s += `#${u.fragment}`;
  return s;
}

/** The remote driver's transports (virsh: tls|unix|ssh|ext|tcp|libssh2|libssh). */
export type RemoteTransport = 'tls' | 'unix' | 'ssh' | 'ext' | 'tcp' | 'libssh2' | 'libssh';
const TRANSPORTS: readonly RemoteTransport[] = ['tls', 'unix', 'ssh', 'ext', 'tcp', 'libssh2', 'libssh'];

/** What a QEMU connection URI asks for. */
export type QemuTarget =
  | { kind: 'embed'; root: string; uri: ParsedURI }
  | {
      kind: 'remote';
      /** Transport after libvirt's defaulting: no transport + server → tls, no server → unix. */
      transport: RemoteTransport;
      /** The driver instance path on the daemon: "/system" or "/session". */
      path: string;
      /** True for a local UNIX-socket connection to qemu:///system or qemu:///session. */
      local: boolean;
      uri: ParsedURI;
    };

/**
 * Interprets a URI for the QEMU driver: embedded mode or a daemon connection. Raises libvirt's errors
 * for a relative embed root, a missing root, qemu://system (missing slash) and unknown transports.
 */
export function classifyQemuURI(text: string): QemuTarget {
  const u = parseURI(text);
  if (u.driver !== 'qemu') {
    throw virError(ErrorCode.NO_CONNECT, ErrorDomain.NONE, text);
  }
  if (u.server && (u.server === 'system' || u.server === 'session')) {
    throw virError(ErrorCode.INTERNAL_ERROR, ErrorDomain.NONE, `invalid URI ${text} (maybe you want ${u.scheme}:///${u.server})`);
  }
  if (u.path === '/embed') {
    if (!/^[a-z]+$/.test(u.scheme)) {
      throw virError(ErrorCode.NO_CONNECT, ErrorDomain.NONE, `URI scheme '${u.scheme}' for embedded driver is not valid`);
    }
    const root = requireURIParam(u, 'root');
    if (!isAbsolute(root)) {
      throw virError(ErrorCode.CONFIG_UNSUPPORTED, ErrorDomain.NONE, 'root path must be absolute');
    }
    return { kind: 'embed', root, uri: u };
  }
  let transport: RemoteTransport;
  if (u.transport === null) transport = u.server ? 'tls' : 'unix';
  else if ((TRANSPORTS as readonly string[]).includes(u.transport.toLowerCase())) transport = u.transport.toLowerCase() as RemoteTransport;
  else {
    throw virError(
      ErrorCode.INVALID_ARG,
      ErrorDomain.REMOTE,
      'transport in URL not recognised (should be tls|unix|ssh|ext|tcp|libssh2|libssh)',
    );
  }
  if (transport === 'unix' && u.server) {
    throw virError(ErrorCode.INVALID_ARG, ErrorDomain.REMOTE, `using unix socket and remote server '${u.server}' is not supported.`);
  }
  return { kind: 'remote', transport, path: u.path, local: transport === 'unix', uri: u };
}

/** Where tsvirtd / libvirtd listen for a local driver instance (the `socket=` parameter overrides). */
export function daemonSocketPath(mode: 'system' | 'session', env: NodeJS.ProcessEnv = process.env): string {
  if (mode === 'system') return '/run/libvirt/libvirt-sock';
  const runtime = env.XDG_RUNTIME_DIR;
  if (runtime) return join(runtime, 'libvirt', 'libvirt-sock');
  return join(env.HOME || homedir(), '.cache', 'libvirt', 'libvirt-sock');
}

/** The embedded root used when no URI is given and no daemon answers. */
export function defaultEmbedRoot(env: NodeJS.ProcessEnv = process.env): string {
  const data = env.XDG_DATA_HOME && isAbsolute(env.XDG_DATA_HOME) ? env.XDG_DATA_HOME : join(env.HOME || homedir(), '.local', 'share');
  return join(data, 'tsvirt', 'embed');
}

/** Canonical embedded URI for a root directory. */
export function embedURI(root: string): string {
  return `qemu:///embed?root=${encodeParamValue(root)}`;
}
