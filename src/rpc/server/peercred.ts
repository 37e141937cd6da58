// Peer credentials of a UNIX socket client (SO_PEERCRED) through the in-house N-API addon in
// native/peercred (build: cd native/peercred && node-gyp rebuild --nodedir=/usr). Without the
// addon the identity is unknown and only the socket permissions protect the daemon.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Socket } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface PeerCred {
  pid: number;
  uid: number;
  gid: number;
}

type Addon = { getPeerCred(fd: number): PeerCred };
let addon: Addon | null | undefined;

function findAddon(): Addon | null {
  const rel = 'native/peercred/build/Release/peercred.node';
  const candidates: string[] = [];
  if (process.env.TSVIRT_PEERCRED_ADDON) candidates.push(process.env.TSVIRT_PEERCRED_ADDON);
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    candidates.push(join(dir, rel));
    dir = dirname(dir);
  }
  const req = createRequire(import.meta.url);
  for (const c of candidates) {
    if (!existsSync(c)) continue;
    try {
      return req(c) as Addon;
    } catch {
      // A stale or foreign build: try the next one.
    }
  }
  return null;
}

export function peerCredAvailable(): boolean {
  if (addon === undefined) addon = findAddon();
  return addon !== null;
}

/** uid/gid/pid of the peer of a connected UNIX socket, or null when unknown. */
export function getPeerCred(sock: Socket): PeerCred | null {
  if (!peerCredAvailable()) return null;
  const fd = (sock as unknown as { _handle?: { fd?: number } })._handle?.fd;
  if (typeof fd !== 'number' || fd < 0) return null;
  try {
    return (addon as Addon).getPeerCred(fd);
  } catch {
    return null;
  }
}
