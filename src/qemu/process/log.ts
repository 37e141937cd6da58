// The per-domain QEMU log: the header libvirt writes before QEMU's own output, and reading QEMU's last
// lines back for error messages ("qemu unexpectedly closed the monitor: <tail>").
import { appendFileSync, closeSync, fstatSync, openSync, readSync } from 'node:fs';

/** libvirt's log timestamp: "2026-11-26 16:10:00.123+0000" (UTC). */
export function logTimestamp(d: Date = new Date()): string {
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  return (
    `${d.getUTCFullYear()}-${p(d.getUTCMonth() + 1)}-${p(d.getUTCDate())} ` +
    `${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())}.${p(d.getUTCMilliseconds(), 3)}+0000`
  );
}

const SHELL_SAFE = /^[A-Za-z0-9_\-.,/:=@%+]+$/;

/** Quotes one word for a POSIX shell the way libvirt's command dumps do: bare when safe, else '…'. */
export function shellQuote(s: string): string {
  if (SHELL_SAFE.test(s)) return s;
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/**
 * The command as libvirt logs it (and as its .args test files show it): one environment variable per
 * line, then the binary, then one option per line with its value, lines joined by " \".
 */
export function formatCommandForLog(env: Record<string, string>, argv0: string, argv: string[]): string {
  const lines: string[] = [];
  for (const [k, v] of Object.entries(env)) lines.push(`${k}=${shellQuote(v)}`);
  lines.push(shellQuote(argv0));
  let cur: string | null = null;
  for (const a of argv) {
    if (a.startsWith('-') && cur !== null) {
      lines.push(cur);
      cur = null;
    }
    cur = cur === null ? shellQuote(a) : `${cur} ${shellQuote(a)}`;
  }
  if (cur !== null) lines.push(cur);
  return `${lines.join(' \\\n')}\n`;
}

/** "<timestamp>: starting up <what>\n<command>" as libvirt writes it at every start. */
export function formatLogHeader(
  what: string,
  env: Record<string, string>,
  argv0: string,
  argv: string[],
  now: Date = new Date(),
): string {
  return `${logTimestamp(now)}: starting up ${what}\n${formatCommandForLog(env, argv0, argv)}`;
}

// libvirt's own debug lines ("2026-11-26 16:10:00.123+0000: 1234: debug : …") and chardev notices are
// not what the user needs to see in an error.
const LIBVIRT_LOG_LINE = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d{3}\+\d{4}: \d+: (debug|info|warning|error) : /;

/**
 * The last `maxBytes` of QEMU's output after `offset` (where the header ended), without libvirt log
 * lines and "char device redirected to" notices, trailing newline removed. '' when there is none.
 */
export function readLogTail(path: string, offset = 0, maxBytes = 1024): string {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    return '';
  }
  try {
    const size = fstatSync(fd).size;
    // Read a little more than needed so filtering still leaves maxBytes of useful text.
    const start = Math.max(offset, size - maxBytes * 8);
    const len = size - start;
    if (len <= 0) return '';
    const buf = Buffer.alloc(len);
    let got = 0;
    while (got < len) {
      const n = readSync(fd, buf, got, len - got, start + got);
      if (n <= 0) break;
      got += n;
    }
    let text = buf.subarray(0, got).toString('utf8');
    if (start > offset) {
      const nl = text.indexOf('\n');
      text = nl >= 0 ? text.slice(nl + 1) : text; // drop the partial first line
    }
    const kept = text
      .split('\n')
      .filter((l) => !LIBVIRT_LOG_LINE.test(l) && !l.startsWith('char device redirected to'))
      .join('\n')
      .replace(/\s+$/, '');
    if (Buffer.byteLength(kept) <= maxBytes) return kept;
    const b = Buffer.from(kept);
    return b.subarray(b.length - maxBytes).toString('utf8').replace(/^\uFFFD+/, '');
  } finally {
    closeSync(fd);
  }
}

/**
 * Appends libvirt's end-of-run line ("<timestamp>: shutting down, reason=destroyed") to the log.
 * Errors are ignored: a missing log must not fail a stop.
 */
export function appendShutdownLine(path: string, reason: string, now: Date = new Date()): void {
  try {
    appendFileSync(path, `${logTimestamp(now)}: shutting down, reason=${reason}\n`);
  } catch {
    /* the log is best effort */
  }
}
