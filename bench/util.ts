// Small timing helpers shared by the benchmark sections.
import { spawn } from 'node:child_process';

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

export function now(): number {
  return performance.now();
}

/** Environment for child node/virsh processes: no NODE_EXTRA_CA_CERTS (adds ~70 ms per node start here). */
export function childEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, ...extra };
  delete env.NODE_EXTRA_CA_CERTS;
  return env;
}

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

/** Runs a command to completion and times it (wall clock, spawn included). */
export function run(cmd: string, args: string[], env: NodeJS.ProcessEnv = childEnv()): Promise<RunResult> {
  const t0 = now();
  return new Promise((resolve, reject) => {
    const c = spawn(cmd, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    c.stdout.on('data', (d) => (stdout += d));
    c.stderr.on('data', (d) => (stderr += d));
    c.on('error', reject);
    c.on('close', (code) => resolve({ code, stdout, stderr, ms: now() - t0 }));
  });
}

export async function runOk(cmd: string, args: string[], env?: NodeJS.ProcessEnv): Promise<RunResult> {
  const r = await run(cmd, args, env);
  if (r.code !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.code}: ${r.stderr.trim()}`);
  return r;
}

export function fmtMs(x: number): string {
  return x >= 100 ? `${x.toFixed(0)} ms` : `${x.toFixed(1)} ms`;
}

export interface Row {
  what: string;
  tsvirt: number;
  reference: number;
  refName: string;
  target?: number;
}

export function printRows(title: string, rows: Row[]): void {
  console.log(`\n${title}`);
  for (const r of rows) {
    const ratio = r.tsvirt / r.reference;
    const tgt = r.target ? `  (target ≤ ${r.target}×: ${ratio <= r.target ? 'met' : 'NOT met'})` : '';
    console.log(
      `  ${r.what.padEnd(52)} tsvirt ${fmtMs(r.tsvirt).padStart(9)}  ${r.refName} ${fmtMs(r.reference).padStart(9)}  ratio ${ratio.toFixed(2)}×${tgt}`,
    );
  }
}
