// Temporary embedded-driver roots. UNIX socket paths must be shorter than 108 bytes, and the driver
// puts sockets a few levels below the root (R/lib/qemu/domain-N-name/monitor.sock), so roots are
// short absolute paths directly under /tmp: /tmp/tsv-XXXXXX.
import { mkdtempSync, rmSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';

export const TEMP_PREFIX = '/tmp/tsv-';

export interface TempRoot {
  /** Absolute path, e.g. /tmp/tsv-a1B2c3. */
  path: string;
  /** `qemu:///embed?root=<path>` */
  uri: string;
  /** Removes the directory tree (idempotent). */
  remove(): Promise<void>;
}

/** The embedded-mode URI for a root directory. */
export function embedURI(root: string): string {
  return `qemu:///embed?root=${root}`;
}

async function removeTree(path: string): Promise<void> {
  if (!path.startsWith(TEMP_PREFIX)) throw new Error(`refusing to remove ${path}: not a test root`);
  await rm(path, { recursive: true, force: true, maxRetries: 5, retryDelay: 100 });
}

/** Creates a fresh temp root. Remove it with `root.remove()` (e.g. in `t.after` / `after`). */
export async function makeTempRoot(): Promise<TempRoot> {
  const path = await mkdtemp(TEMP_PREFIX);
  return { path, uri: embedURI(path), remove: () => removeTree(path) };
}

/** Synchronous variant, for use at module level. */
export function makeTempRootSync(): TempRoot {
  const path = mkdtempSync(TEMP_PREFIX);
  return { path, uri: embedURI(path), remove: () => removeTree(path) };
}

/** Removes a temp root synchronously (for process 'exit' handlers). */
export function removeTempRootSync(path: string): void {
  if (!path.startsWith(TEMP_PREFIX)) throw new Error(`refusing to remove ${path}: not a test root`);
  rmSync(path, { recursive: true, force: true });
}

/**
 * Runs `fn` with a fresh temp root and removes it afterwards, whether `fn` succeeds or throws.
 * Set TSVIRT_KEEP_TEST_ROOTS=1 to keep it for inspection.
 */
export async function withTempRoot<T>(fn: (root: TempRoot) => Promise<T>): Promise<T> {
  const root = await makeTempRoot();
  try {
    return await fn(root);
  } finally {
    if (process.env.TSVIRT_KEEP_TEST_ROOTS === '1') console.error(`kept test root ${root.path}`);
    else await root.remove();
  }
}
