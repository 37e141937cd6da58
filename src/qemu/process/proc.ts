// /proc/PID/stat: the liveness facts tsvirt relies on instead of kill(pid, 0), which keeps
// succeeding on a zombie (and PID 1 reaps orphaned zombies only every ~2 s on these machines).
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { constants as osc } from 'node:os';

export interface ProcStat {
  pid: number;
  comm: string;
  /** R, S, D, T, t, Z, X, I … (proc(5)). */
  state: string;
  ppid: number;
  /** Field 22: start time in clock ticks since boot, as a decimal string (stable for the process's life). */
  startTime: string;
  /** Field 52: the wait status, meaningful once the process is a zombie (null on old kernels). */
  exitCode: number | null;
}

/** Parses the text of /proc/PID/stat (the command name may contain spaces and parentheses). */
export function parseProcStat(text: string): ProcStat | null {
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  if (open < 0 || close < open) return null;
  const pid = Number.parseInt(text.slice(0, open), 10);
  const comm = text.slice(open + 1, close);
  // rest[0] is field 3 (state); field N is rest[N - 3].
  const rest = text.slice(close + 2).trim().split(' ');
  if (rest.length < 20) return null;
  const ec = rest.length >= 50 ? Number.parseInt(rest[49], 10) : Number.NaN;
  return {
    pid,
    comm,
    state: rest[0],
    ppid: Number.parseInt(rest[1], 10),
    startTime: rest[19],
    exitCode: Number.isNaN(ec) ? null : ec,
  };
}

/** Reads /proc/PID/stat; null when the process does not exist (or /proc cannot tell). */
export function readProcStat(pid: number): ProcStat | null {
  if (!Number.isInteger(pid) || pid <= 0) return null;
  try {
    return parseProcStat(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return null;
  }
}

export async function readProcStatAsync(pid: number): Promise<ProcStat | null> {
  if (!Number.isInteger(pid) || pid <= 0) return null;
  try {
    return parseProcStat(await readFile(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return null;
  }
}

/** The start time (field 22 of /proc/PID/stat) to record at spawn and compare on reconnect; null if gone. */
export function procStartTime(pid: number): string | null {
  return readProcStat(pid)?.startTime ?? null;
}

/** A zombie (Z) or dead (X) process has finished running, even though its pid is still taken. */
export function isDeadState(state: string): boolean {
  return state === 'Z' || state === 'X' || state === 'x';
}

export type Liveness = 'alive' | 'zombie' | 'gone';

/** Whether `pid` still runs the process that started at `startTime` (when given). */
export function procLiveness(pid: number, startTime?: string | null): { state: Liveness; stat: ProcStat | null } {
  const st = readProcStat(pid);
  if (!st) return { state: 'gone', stat: null };
  if (startTime && st.startTime !== startTime) return { state: 'gone', stat: null }; // pid reused
  if (isDeadState(st.state)) return { state: 'zombie', stat: st };
  return { state: 'alive', stat: st };
}

const SIGNAL_NAMES: Record<number, string> = {};
for (const [name, num] of Object.entries(osc.signals)) if (!(num in SIGNAL_NAMES)) SIGNAL_NAMES[num] = name;

export function signalName(n: number): string {
  return SIGNAL_NAMES[n] ?? `SIG${n}`;
}

/** Decodes a wait(2) status (as in field 52) into an exit code or a signal name. */
export function decodeWaitStatus(status: number): { code: number | null; signal: string | null } {
  const sig = status & 0x7f;
  if (sig === 0) return { code: (status >> 8) & 0xff, signal: null };
  return { code: null, signal: signalName(sig) };
}
