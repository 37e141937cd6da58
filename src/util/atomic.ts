// Atomic file replacement: write a temporary file next to the target, fsync it, rename it over the
// target and fsync the directory, so a crash leaves either the old or the new content, never a mix.
import { randomBytes } from 'node:crypto';
import { constants as fsc } from 'node:fs';
import { mkdir, open, rename, symlink, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

export interface AtomicWriteOptions {
  /** File mode of the new file (default 0o600). */
  mode?: number;
  /** Create the parent directory when missing. */
  mkdirs?: boolean;
  /** Skip the fsyncs (for caches that may be lost on a crash). Default false. */
  noSync?: boolean;
}

function tempName(path: string): string {
  return join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
}

/** fsync a directory so a rename or unlink inside it is durable. Errors are ignored (some fs refuse). */
export async function fsyncDir(dir: string): Promise<void> {
  let fh: Awaited<ReturnType<typeof open>> | undefined;
  try {
    fh = await open(dir, fsc.O_RDONLY | fsc.O_DIRECTORY);
    await fh.sync();
  } catch {
    /* directories that cannot be opened or synced: nothing more to do */
  } finally {
    await fh?.close().catch(() => {});
  }
}

/** Writes `data` to `path` atomically (temp + fsync + rename + directory fsync). */
export async function writeFileAtomic(path: string, data: string | Uint8Array, opts: AtomicWriteOptions = {}): Promise<void> {
  if (opts.mkdirs) await mkdir(dirname(path), { recursive: true });
  const tmp = tempName(path);
  const fh = await open(tmp, fsc.O_WRONLY | fsc.O_CREAT | fsc.O_EXCL, opts.mode ?? 0o600);
  try {
    try {
      await fh.writeFile(data);
      if (!opts.noSync) await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, path);
  } catch (e) {
    await unlink(tmp).catch(() => {});
    throw e;
  }
  if (!opts.noSync) await fsyncDir(dirname(path));
}

/** Creates or replaces a symlink atomically (symlink to a temp name, then rename). */
export async function symlinkAtomic(target: string, path: string): Promise<void> {
  const tmp = tempName(path);
  await symlink(target, tmp);
  try {
    await rename(tmp, path);
  } catch (e) {
    await unlink(tmp).catch(() => {});
    throw e;
  }
  await fsyncDir(dirname(path));
}

/** Removes a file, ignoring ENOENT; fsyncs the directory when something was removed. */
export async function unlinkDurable(path: string): Promise<boolean> {
  try {
    await unlink(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw e;
  }
  await fsyncDir(dirname(path));
  return true;
}
