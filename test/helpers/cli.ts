// Running the tsvirt CLI (bin/tsvirt) as a child process.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { REPO_ROOT } from './paths.js';

export const CLI_PATH = join(REPO_ROOT, 'bin/tsvirt');

/** process.env without NODE_EXTRA_CA_CERTS (it adds ~70 ms to every node start on these machines). */
export function cliEnv(extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, ...extra };
  delete env.NODE_EXTRA_CA_CERTS;
  for (const [k, v] of Object.entries(extra)) if (v === undefined) delete env[k];
  return env;
}

export interface RunCliOptions {
  /** Written to the child's stdin, which is then closed. */
  input?: string;
  /** Kill the child (SIGKILL) after this many ms; default 60 s. */
  timeoutMs?: number;
  /** Extra environment (undefined values remove a variable). */
  env?: Record<string, string | undefined>;
  cwd?: string;
  signal?: AbortSignal;
  /** The tsvirt script to run; default bin/tsvirt of this tree. */
  bin?: string;
}

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** True if the child was killed because it ran past timeoutMs. */
  timedOut: boolean;
  ms: number;
}

/** Runs `node bin/tsvirt ...args` (or opts.bin) and collects its output. Never throws for a non-zero exit. */
export function runCli(args: readonly string[], opts: RunCliOptions = {}): Promise<CliResult> {
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [opts.bin ?? CLI_PATH, ...args], {
      cwd: opts.cwd ?? REPO_ROOT,
      env: cliEnv(opts.env),
      stdio: ['pipe', 'pipe', 'pipe'],
      signal: opts.signal,
    });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, opts.timeoutMs ?? 60_000);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, timedOut, ms: performance.now() - t0 });
    });
    child.stdin.on('error', () => {}); // the CLI may exit without reading its input
    child.stdin.end(opts.input ?? '');
  });
}
