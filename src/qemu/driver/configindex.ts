// A cache of what the persistent configs in configDir hold (name, UUID, or "does not parse"), so a
// process that opens a root with many domains lists and looks them up without parsing every file.
// It is only a cache: each entry is used only while its file has the same inode, size, mtime and
// ctime, and only by the build that wrote it; anything else is parsed again and the cache rewritten
// (atomically, in cacheDir/domain-index.json). Definitions listed from it are parsed on first use.
// When configDir itself is unchanged since a scan (and was quiet for a while before it) and holds the
// same file names, the per-file stats are skipped: tsvirt replaces configs by rename, which changes
// the directory; a file edited in place behind the driver's back is then seen when its definition is
// parsed, as libvirtd sees such edits only at its next start.
import { createHash } from 'node:crypto';
import { statSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeFileAtomic } from '../../util/atomic.js';
import type { QemuDirs } from '../dirs.js';

export interface ConfigIdentity {
  ino: number;
  size: number;
  mtimeMs: number;
  ctimeMs: number;
}

export interface IndexEntry extends ConfigIdentity {
  /** Config file name (NAME.xml). */
  file: string;
  /** Name and UUID of the definition; null when the file did not parse. */
  name: string | null;
  uuid: string | null;
}

/** configDir's own stat when the index was built, and when the scan started (ms since the epoch). */
export interface DirStamp {
  ino: number;
  mtimeMs: number;
  ctimeMs: number;
  scannedAt: number;
}

interface BuildIndex {
  build: string;
  dir: DirStamp | null;
  entries: IndexEntry[];
}

interface IndexFile {
  version: 2;
  /** Most recent first; two builds are kept (the bundled CLI and the library modules differ). */
  builds: BuildIndex[];
}

export interface LoadedIndex {
  entries: Map<string, IndexEntry>;
  dir: DirStamp | null;
  /** Other builds' indexes, kept when this one is written. */
  others: BuildIndex[];
}

/**
 * A directory stamp is trusted only when the directory had not changed for a while before the scan
 * that recorded it (file times are coarse: a change in the same tick as the scan would not show).
 */
const RACY_MS = 2000;
export const stampTrusted = (d: DirStamp) => d.mtimeMs < d.scannedAt - RACY_MS;
export const sameDir = (a: DirStamp, b: Omit<DirStamp, 'scannedAt'>) => a.ino === b.ino && a.mtimeMs === b.mtimeMs && a.ctimeMs === b.ctimeMs;

export const indexPath = (dirs: QemuDirs) => join(dirs.cacheDir, 'domain-index.json');

let buildId: string | undefined;
/**
 * Identifies the code that parsed the configs. In the bundled executables this module's chunk names
 * the parser's chunk by a content hash, so hashing this file's content changes exactly when the code
 * does (identical rebuilds keep the index); the unbundled modules add their mtime.
 */
export async function currentBuild(): Promise<string> {
  if (buildId === undefined) {
    try {
      const path = fileURLToPath(import.meta.url);
      const h = createHash('sha256').update(await readFile(path)).digest('hex').slice(0, 32);
      buildId = /[\\/]bin[\\/]chunks[\\/]/.test(path) ? h : `${h}:${(await stat(path)).mtimeMs}`;
    } catch {
      buildId = 'unknown';
    }
  }
  return buildId;
}

export async function readIndex(dirs: QemuDirs, build: string): Promise<LoadedIndex> {
  const out: LoadedIndex = { entries: new Map(), dir: null, others: [] };
  let j: IndexFile;
  try {
    j = JSON.parse(await readFile(indexPath(dirs), 'utf8')) as IndexFile;
  } catch {
    return out;
  }
  if (j?.version !== 2 || !Array.isArray(j.builds)) return out;
  for (const b of j.builds) {
    if (!b || !Array.isArray(b.entries)) continue;
    if (b.build !== build) {
      out.others.push(b);
      continue;
    }
    out.dir = b.dir ?? null;
    for (const e of b.entries) if (e && typeof e.file === 'string') out.entries.set(e.file, e);
  }
  return out;
}

export async function writeIndex(dirs: QemuDirs, build: string, dir: DirStamp | null, entries: IndexEntry[], others: BuildIndex[]): Promise<void> {
  const body: IndexFile = { version: 2, builds: [{ build, dir, entries }, ...others.slice(0, 1)] };
  // A cache: losing it in a crash costs one full parse, so no fsync.
  await writeFileAtomic(indexPath(dirs), JSON.stringify(body), { mode: 0o600, mkdirs: true, noSync: true });
}

/** stat of each config file (null: gone meanwhile), in slices that let other work run in between. */
export async function identities(dir: string, files: readonly string[]): Promise<Array<ConfigIdentity | null>> {
  const out: Array<ConfigIdentity | null> = [];
  for (let i = 0; i < files.length; i++) {
    if (i > 0 && i % 256 === 0) await new Promise((r) => setImmediate(r));
    try {
      const s = statSync(`${dir}/${files[i]}`);
      out.push({ ino: s.ino, size: s.size, mtimeMs: s.mtimeMs, ctimeMs: s.ctimeMs });
    } catch {
      out.push(null);
    }
  }
  return out;
}

export function sameIdentity(a: ConfigIdentity, b: ConfigIdentity): boolean {
  return a.ino === b.ino && a.size === b.size && a.mtimeMs === b.mtimeMs && a.ctimeMs === b.ctimeMs;
}
