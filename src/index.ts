// tsvirt as a library: connect(uri) opens a Connection to the QEMU driver — in-process for
// qemu:///embed?root=DIR, through tsvirtd (libvirt's RPC protocol) for everything else.
import { createConnection } from 'node:net';
import { Connection } from './api/connection.js';
import type { HypervisorDriver } from './driver/api.js';
import { openQemuDriver } from './qemu/driver/index.js';
import { classifyQemuURI, daemonSocketPath, defaultEmbedRoot, embedURI } from './uri.js';
import { ErrorCode, ErrorDomain, VirError, virError } from './util/errors.js';

export { Connection } from './api/connection.js';
export { Domain } from './api/domain.js';
export * from './driver/constants.js';
export type * from './driver/api.js';
export { VirError, ErrorCode, ErrorDomain } from './util/errors.js';
export { openQemuDriver } from './qemu/driver/index.js';
export { parseURI, classifyQemuURI } from './uri.js';

/** True when something accepts connections on a UNIX socket (within timeoutMs). */
export function socketAnswers(path: string, timeoutMs = 300): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createConnection({ path });
    const done = (ok: boolean) => {
      clearTimeout(t);
      s.destroy();
      resolve(ok);
    };
    const t = setTimeout(() => done(false), timeoutMs);
    s.once('connect', () => done(true));
    s.once('error', () => done(false));
  });
}

export interface ResolvedURI {
  uri: string;
  /** Why this URI: given, LIBVIRT_DEFAULT_URI, a daemon answered, or the embedded default. */
  source: 'argument' | 'env' | 'daemon' | 'embedded-default';
}

/**
 * Which URI connect() uses: the argument, else LIBVIRT_DEFAULT_URI, else the local daemon if its
 * socket answers (qemu:///system for root, qemu:///session otherwise), else the embedded default root
 * ($XDG_DATA_HOME/tsvirt/embed or ~/.local/share/tsvirt/embed).
 */
export async function resolveURI(uri?: string | null, env: NodeJS.ProcessEnv = process.env): Promise<ResolvedURI> {
  if (uri) return { uri, source: 'argument' };
  if (env.LIBVIRT_DEFAULT_URI) return { uri: env.LIBVIRT_DEFAULT_URI, source: 'env' };
  const mode = process.getuid?.() === 0 ? 'system' : 'session';
  if (await socketAnswers(daemonSocketPath(mode, env))) return { uri: `qemu:///${mode}`, source: 'daemon' };
  return { uri: embedURI(defaultEmbedRoot(env)), source: 'embedded-default' };
}

async function openRemote(uri: string): Promise<HypervisorDriver> {
  let mod: { openRemoteDriver?: (u: string) => Promise<HypervisorDriver> };
  try {
    mod = await import('./rpc/client/index.js');
  } catch {
    mod = {};
  }
  if (!mod.openRemoteDriver) {
    throw virError(ErrorCode.NO_SUPPORT, ErrorDomain.REMOTE, `remote connections are not available for URI '${uri}'`);
  }
  return mod.openRemoteDriver(uri);
}

/** Opens a connection (virConnectOpen). */
export async function connect(uri?: string): Promise<Connection> {
  const resolved = await resolveURI(uri);
  const target = classifyQemuURI(resolved.uri);
  if (target.kind === 'embed') {
    const drv = await openQemuDriver({ mode: 'embed', root: target.root, uri: resolved.uri });
    return new Connection(drv);
  }
  try {
    return new Connection(await openRemote(resolved.uri));
  } catch (e) {
    if (e instanceof VirError) throw e;
    throw virError(ErrorCode.INTERNAL_ERROR, ErrorDomain.REMOTE, (e as Error).message ?? String(e));
  }
}
