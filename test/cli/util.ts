// Helpers for the CLI tests: run tsvirt and (when installed) the reference virsh side by side.
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { CLI_PATH, type CliResult, cliEnv, runCli } from '../helpers/cli.js';
import { REPO_ROOT } from '../helpers/paths.js';

export { runCli, type CliResult };

/**
 * The CLI under test. Several people build in this tree at once and every build wipes dist/, so a
 * test run spawning bin/tsvirt can lose its bundle half-way. The tests therefore run a snapshot of
 * the built CLI (bin/tsvirt and dist/bin copied byte for byte, node_modules linked) taken once per
 * test process and checked to start. TSVIRT_CLI_SNAPSHOT=0 runs bin/tsvirt in place instead.
 */
function snapshotCli(): string {
  if (process.env.TSVIRT_CLI_SNAPSHOT === '0') return CLI_PATH;
  let lastError = '';
  for (let attempt = 0; attempt < 20; attempt++) {
    const dir = mkdtempSync('/tmp/tsvirt-cli-');
    try {
      mkdirSync(join(dir, 'bin'));
      mkdirSync(join(dir, 'dist'));
      cpSync(join(REPO_ROOT, 'dist/bin'), join(dir, 'dist/bin'), { recursive: true });
      cpSync(CLI_PATH, join(dir, 'bin/tsvirt'));
      symlinkSync(join(REPO_ROOT, 'node_modules'), join(dir, 'node_modules'));
      symlinkSync(join(REPO_ROOT, 'package.json'), join(dir, 'package.json'));
      const bin = join(dir, 'bin/tsvirt');
      const r = spawnSync(process.execPath, [bin, 'help', 'uri'], { env: cliEnv(), encoding: 'utf8' });
      if (r.status === 0) {
        process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
        return bin;
      }
      lastError = r.stderr;
    } catch (e) {
      lastError = String(e);
    }
    rmSync(dir, { recursive: true, force: true });
    spawnSync('sleep', ['0.5']);
  }
  if (!existsSync(CLI_PATH)) throw new Error(`no usable CLI build: ${lastError}`);
  return CLI_PATH;
}

/** Path of the tsvirt executable the tests run. */
export const TSVIRT_BIN = snapshotCli();

/** True when the reference virsh (libvirt-clients 9.0) is installed. */
export const HAVE_VIRSH = spawnSync('virsh', ['--version'], { encoding: 'utf8' }).status === 0;

/** Runs the real virsh with the same arguments; same result shape as runCli. */
export function runVirsh(args: readonly string[], input = ''): Promise<CliResult> {
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    const env = cliEnv({ LIBVIRT_DEFAULT_URI: undefined, VIRSH_DEFAULT_CONNECT_URI: undefined });
    const child = spawn('virsh', [...args], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code, signal) =>
      resolve({ code, signal, stdout, stderr, timedOut: false, ms: performance.now() - t0 }),
    );
    child.stdin.on('error', () => {});
    child.stdin.end(input);
  });
}

/** tsvirt (the snapshot) without LIBVIRT_DEFAULT_URI leaking in from the environment. */
export function tsvirt(args: readonly string[], input?: string, timeoutMs = 60_000): Promise<CliResult> {
  return runCli(args, { bin: TSVIRT_BIN, input, timeoutMs, env: { LIBVIRT_DEFAULT_URI: undefined, VIRSH_DEFAULT_CONNECT_URI: undefined } });
}

/** The observable outcome of a CLI run, for byte-for-byte comparisons. */
export function outcome(r: CliResult): { code: number | null; stdout: string; stderr: string } {
  return { code: r.code, stdout: r.stdout, stderr: r.stderr };
}
