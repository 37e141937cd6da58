// Test helper: runs tsvirtd (dist/src/daemon/main.js) as a child process in session mode with its
// own XDG directories, and runs the real virsh against it.
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO } from './paths.js';

export interface Tsvirtd {
  dir: string;
  socket: string;
  uri: string;
  env: Record<string, string>;
  proc: ChildProcess;
  output(): string;
  stop(signal?: NodeJS.Signals): Promise<void>;
  /** Stops the process but keeps the directories (for restart tests). */
  kill(signal?: NodeJS.Signals): Promise<void>;
}

export interface TsvirtdOptions {
  /** Use the in-memory test driver instead of the QEMU driver. */
  fake?: boolean;
  config?: string;
  args?: string[];
  env?: Record<string, string>;
  dir?: string;
}

export async function startTsvirtd(opts: TsvirtdOptions = {}): Promise<Tsvirtd> {
  const dir = opts.dir ?? mkdtempSync(join(tmpdir(), 'tsvirtd-test-'));
  for (const d of ['run', 'config', 'cache', 'home']) mkdirSync(join(dir, d), { recursive: true, mode: 0o700 });
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: join(dir, 'home'), XDG_RUNTIME_DIR: join(dir, 'run'),
    XDG_CONFIG_HOME: join(dir, 'config'), XDG_CACHE_HOME: join(dir, 'cache'), ...opts.env,
  };
  const args = [join(REPO, 'dist/src/daemon/main.js'), '--session', '-v'];
  if (opts.fake) args.push('--driver-module', join(REPO, 'dist/test/rpc/fake-driver.js'));
  if (opts.config !== undefined) {
    const f = join(dir, 'tsvirtd.conf');
    writeFileSync(f, opts.config);
    args.push('--config', f);
  }
  args.push(...(opts.args ?? []));
  let out = '';
  const proc = spawn(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  proc.stdout?.on('data', (b) => (out += b));
  proc.stderr?.on('data', (b) => (out += b));
  const socket = join(dir, 'run/libvirt/virtqemud-sock');
  const deadline = Date.now() + 20000;
  while (!existsSync(socket) || !(await answers(socket))) {
    if (proc.exitCode !== null || Date.now() > deadline) {
      proc.kill('SIGKILL');
      throw new Error(`tsvirtd did not start:\n${out}`);
    }
    await new Promise((r) => setTimeout(r, 25));
  }
  const kill = async (signal: NodeJS.Signals = 'SIGTERM') => {
    if (proc.exitCode !== null || proc.signalCode !== null) return;
    const gone = new Promise((r) => proc.once('exit', r));
    proc.kill(signal);
    const t = setTimeout(() => proc.kill('SIGKILL'), 10000);
    await gone;
    clearTimeout(t);
  };
  return {
    dir, socket, env, proc,
    uri: `qemu+unix:///session?socket=${socket}`,
    output: () => out,
    kill,
    async stop(signal = 'SIGTERM') {
      await kill(signal);
      if (!opts.dir) rmSync(dir, { recursive: true, force: true });
    },
  };
}

function answers(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ path });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

export function virsh(uri: string, args: string[], timeoutMs = 60000): Promise<RunResult> {
  return run('virsh', ['-c', uri, ...args], timeoutMs);
}

export function run(cmd: string, args: string[], timeoutMs = 60000, env?: NodeJS.ProcessEnv): Promise<RunResult> {
  return new Promise((resolve) => {
    execFile(cmd, args, { timeout: timeoutMs, env: env ?? process.env, maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? ((err as { code: number }).code) : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

/** Runs `virsh console` under script(1) (it needs a tty) until `until` shows up, then sends Ctrl-]. */
export function virshConsole(uri: string, dom: string, until: RegExp, timeoutMs = 30000): Promise<string> {
  return new Promise((resolve) => {
    const p = spawn('script', ['-qfc', `virsh -c '${uri}' console ${dom} --force`, '/dev/null'], { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let sent = false;
    const quit = () => {
      if (sent) return;
      sent = true;
      p.stdin.write('\x1d');
      setTimeout(() => p.kill('SIGKILL'), 3000).unref();
    };
    const t = setTimeout(quit, timeoutMs);
    p.stdout.on('data', (b: Buffer) => {
      out += b.toString('latin1');
      if (until.test(out)) quit();
    });
    p.on('exit', () => {
      clearTimeout(t);
      resolve(out);
    });
  });
}
