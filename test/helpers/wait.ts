// Polling helpers with deadlines. TCG boots take ~5 s on an idle machine and ~10 s with both
// cores busy, so the defaults are generous.
import { readFile } from 'node:fs/promises';

export const DEFAULT_TIMEOUT_MS = 60_000;

export interface WaitOptions {
  /** Poll interval in ms (default 50). */
  intervalMs?: number;
  /** What is being waited for, for the timeout message. */
  what?: string;
  signal?: AbortSignal;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * Polls `predicate` until it returns a truthy value (which is returned) or `timeoutMs` passes
 * (then throws). Exceptions thrown by the predicate count as "not yet" and are reported on timeout.
 */
export async function waitFor<T>(
  predicate: () => T | Promise<T>,
  timeoutMs: number = DEFAULT_TIMEOUT_MS,
  opts: WaitOptions = {},
): Promise<NonNullable<T>> {
  const interval = opts.intervalMs ?? 50;
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    opts.signal?.throwIfAborted();
    try {
      const v = await predicate();
      if (v) return v as NonNullable<T>;
    } catch (e) {
      lastError = e;
    }
    if (Date.now() >= deadline) {
      const why = lastError instanceof Error ? ` (last error: ${lastError.message})` : '';
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${opts.what ?? 'condition'}${why}`);
    }
    await sleep(Math.min(interval, Math.max(1, deadline - Date.now())));
  }
}

/** Reads a file, or returns '' if it does not exist (yet). */
export async function readTextOrEmpty(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return '';
    throw e;
  }
}

/**
 * Waits until the file at `path` contains `text` (a string or a RegExp); returns the whole content.
 * The file need not exist yet. On timeout the error shows the file's tail.
 */
export async function waitForFileText(
  path: string,
  text: string | RegExp,
  timeoutMs: number = DEFAULT_TIMEOUT_MS,
  opts: WaitOptions = {},
): Promise<string> {
  const has = (s: string) => (typeof text === 'string' ? s.includes(text) : text.test(s));
  let last = '';
  try {
    return await waitFor(
      async () => {
        last = await readTextOrEmpty(path);
        return has(last) ? last : '';
      },
      timeoutMs,
      { intervalMs: opts.intervalMs ?? 100, what: `${String(text)} in ${path}`, signal: opts.signal },
    );
  } catch (e) {
    const tail = last.slice(-2000);
    throw new Error(`${(e as Error).message}\n--- ${path} (last ${tail.length} chars) ---\n${tail}`);
  }
}

/**
 * True when process `pid` is gone or a zombie. Never use kill(pid, 0) for this: PID 1 on these
 * machines reaps orphans only every ~2 s, and kill() succeeds on a zombie.
 */
export async function processGone(pid: number): Promise<boolean> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    // "pid (comm) S ..." — comm may contain spaces or parentheses, so split after the last ')'.
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state === 'Z' || state === 'X';
  } catch {
    return true;
  }
}

/** Waits until process `pid` is gone or a zombie. */
export async function waitForProcessGone(pid: number, timeoutMs: number = DEFAULT_TIMEOUT_MS): Promise<void> {
  await waitFor(() => processGone(pid), timeoutMs, { what: `process ${pid} to exit`, intervalMs: 20 });
}
