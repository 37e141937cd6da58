// Test helper: a real libvirtd in session mode, run as nobody (uid 65534) with its own HOME and
// XDG directories under a temporary folder, as ../shared/reference/baseline.md describes.
import { type ChildProcess, spawn } from 'node:child_process';
import { chownSync, chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface Libvirtd {
  dir: string;
  socket: string;
  uri: string;
  proc: ChildProcess;
  log(): string;
  stop(): Promise<void>;
}

const NOBODY = 65534;

export async function startLibvirtd(): Promise<Libvirtd> {
  const dir = mkdtempSync(join(tmpdir(), 'tsvirt-libvirtd-'));
  chmodSync(dir, 0o755);
  for (const d of ['home', 'run', 'config', 'cache']) {
    mkdirSync(join(dir, d));
    chownSync(join(dir, d), NOBODY, NOBODY);
  }
  chmodSync(join(dir, 'run'), 0o700);
  const env = {
    PATH: '/usr/sbin:/usr/bin:/bin', HOME: join(dir, 'home'), XDG_RUNTIME_DIR: join(dir, 'run'),
    XDG_CONFIG_HOME: join(dir, 'config'), XDG_CACHE_HOME: join(dir, 'cache'),
  };
  const logFile = join(dir, 'home/libvirtd.log');
  const proc = spawn(
    'setpriv',
    ['--reuid=65534', '--regid=65534', '--clear-groups', 'sh', '-c', `exec libvirtd --timeout=120 >${logFile} 2>&1`],
    { env, stdio: 'ignore' },
  );
  const socket = join(dir, 'run/libvirt/libvirt-sock');
  const deadline = Date.now() + 15000;
  while (!existsSync(socket)) {
    if (Date.now() > deadline || proc.exitCode !== null) {
      const log = safeRead(logFile);
      proc.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
      throw new Error(`libvirtd did not start: ${log}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    dir,
    socket,
    uri: `qemu+unix:///session?socket=${socket}`,
    proc,
    log: () => safeRead(logFile),
    async stop() {
      if (proc.exitCode === null) {
        const gone = new Promise((r) => proc.once('exit', r));
        proc.kill('SIGTERM');
        const t = setTimeout(() => proc.kill('SIGKILL'), 5000);
        await gone;
        clearTimeout(t);
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function safeRead(f: string): string {
  try {
    return readFileSync(f, 'utf8');
  } catch {
    return '';
  }
}
