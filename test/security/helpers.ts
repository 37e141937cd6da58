// Test fixtures for the isolation tests: the unprivileged QEMU account, temp trees, process helpers.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const TEST_USER = 'tsvirt-qemu';
export const isRoot = process.getuid?.() === 0;

/** Creates the test account (and its group) once; returns its ids. Idempotent. */
export function ensureTestUser(name = TEST_USER): { uid: number; gid: number } {
  const get = () => {
    try {
      const line = execFileSync('getent', ['passwd', name], { encoding: 'utf8' }).trim();
      const f = line.split(':');
      return { uid: Number(f[2]), gid: Number(f[3]) };
    } catch {
      return undefined;
    }
  };
  let ids = get();
  if (!ids) {
    try {
      execFileSync('useradd', ['--system', '--user-group', '--no-create-home', '--shell', '/usr/sbin/nologin', name], { stdio: 'pipe' });
    } catch (e) {
      // a concurrent test file may have created it first
      if (!get()) throw e;
    }
    ids = get()!;
  }
  return ids;
}

/** A temp dir the QEMU user can traverse (mkdtemp gives 0700). */
export function tempTree(prefix: string): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), `tsvirt-${prefix}-`));
  chmodSync(dir, 0o755);
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Parsed /proc/PID/status fields we check. */
export function procStatus(pid: number): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of readFileSync(`/proc/${pid}/status`, 'utf8').split('\n')) {
    const i = line.indexOf(':');
    if (i > 0) out[line.slice(0, i)] = line.slice(i + 1).trim();
  }
  return out;
}

/** Runs argv to completion, returning exit code and output. */
export function run(argv: string[], opts: { timeoutMs?: number } = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const c = spawn(argv[0], argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    c.stdout.on('data', (d) => (stdout += d));
    c.stderr.on('data', (d) => (stderr += d));
    const t = setTimeout(() => c.kill('SIGKILL'), opts.timeoutMs ?? 10000);
    c.on('error', reject);
    c.on('close', (code) => {
      clearTimeout(t);
      resolve({ code, stdout, stderr });
    });
  });
}

/** Waits until `pred` holds (polling), for processes that need a moment to exec. */
export async function waitFor(pred: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > end) throw new Error('timed out waiting for condition');
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Kills a child and waits for it to be gone. */
export async function killAndWait(c: ChildProcess): Promise<void> {
  if (c.exitCode !== null || c.signalCode !== null) return;
  await new Promise<void>((resolve) => {
    c.once('exit', () => resolve());
    c.kill('SIGKILL');
  });
}
