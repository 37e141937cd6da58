// Runs a QEMU binary for probing (qemuProcessQMP): -S -no-user-config -nodefaults -nographic
// -machine none,accel=kvm:tcg (or accel=tcg) with a QMP socket in a private temporary directory; the
// process is killed and the directory removed afterwards.
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ErrorDomain, internalError } from '../../util/errors.js';
import { QmpClient } from '../monitor/qmp.js';

export interface ProbeProcessOptions {
  /** Directory for the temporary QMP socket directory (libvirt: the driver's lib dir). Default: os.tmpdir(). */
  runDir?: string;
  /** Start with accel=tcg only (the second probe). */
  onlyTcg?: boolean;
  /** Give up when QMP is not ready after this long (default 30 s). */
  timeoutMs?: number;
  uid?: number;
  gid?: number;
}

/** argv of the probing QEMU (after the binary). */
export function probeArgs(socket: string, onlyTcg: boolean): string[] {
  return [
    '-S', '-no-user-config', '-nodefaults', '-nographic',
    '-machine', onlyTcg ? 'none,accel=tcg' : 'none,accel=kvm:tcg',
    '-qmp', `unix:${socket},server=on,wait=off`,
  ];
}

/** Starts QEMU for probing, hands its QMP connection to fn, then tears everything down. */
export async function withProbeProcess<T>(
  emulator: string,
  opts: ProbeProcessOptions,
  fn: (mon: QmpClient) => Promise<T>,
): Promise<T> {
  const dir = await mkdtemp(join(opts.runDir ?? tmpdir(), 'qmp-'));
  const sock = join(dir, 'qmp.monitor');
  const env: NodeJS.ProcessEnv = { LC_ALL: 'C', PATH: process.env.PATH ?? '/usr/bin:/bin' };
  if (process.env.HOME) env.HOME = process.env.HOME;
  const child = spawn(emulator, probeArgs(sock, !!opts.onlyTcg), {
    stdio: ['ignore', 'ignore', 'pipe'],
    env,
    ...(opts.uid !== undefined ? { uid: opts.uid } : {}),
    ...(opts.gid !== undefined ? { gid: opts.gid } : {}),
  });
  let stderr = '';
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (d: string) => {
    if (stderr.length < 8192) stderr += d;
  });
  const exited = new Promise<void>((resolve) => {
    child.once('exit', () => resolve());
    child.once('error', () => resolve());
  });
  let spawnError: Error | undefined;
  child.once('error', (e) => {
    spawnError = e;
  });
  const ac = new AbortController();
  void exited.then(() => ac.abort());
  let mon: QmpClient | undefined;
  try {
    try {
      mon = await QmpClient.connect(sock, { retryUntilMs: opts.timeoutMs ?? 30_000, timeoutMs: opts.timeoutMs ?? 30_000, signal: ac.signal });
    } catch (e) {
      await Promise.race([exited, new Promise((r) => setTimeout(r, 50))]);
      const why = spawnError?.message ?? (stderr.trim() || (e as Error).message);
      throw internalError(`Failed to start QEMU binary ${emulator} for probing: ${why}`, ErrorDomain.QEMU);
    }
    return await fn(mon);
  } finally {
    mon?.close();
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await exited;
    await rm(dir, { recursive: true, force: true });
  }
}
