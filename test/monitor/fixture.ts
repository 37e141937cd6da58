// A bare QEMU for the monitor tests: `-machine none -S` with a QMP chardev socket, spawned directly
// with child_process (the monitor tests do not depend on src/qemu/process).
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorArgs } from '../process/fixture.js';

export const QEMU = process.env.TSVIRT_TEST_QEMU ?? 'qemu-system-x86_64';

export interface BareQemu {
  child: ChildProcess;
  pid: number;
  dir: string;
  sock: string;
  /** Resolves when the child exited (this process is its parent, so it is reaped promptly). */
  exited: Promise<void>;
  kill(sig?: NodeJS.Signals): void;
  cleanup(): Promise<void>;
}

export function startBareQemu(extra: string[] = []): BareQemu {
  const dir = mkdtempSync(join(tmpdir(), 'tsvirt-qmp-'));
  const sock = join(dir, 'monitor.sock');
  const child = spawn(QEMU, ['-machine', 'none', '-S', '-nodefaults', '-display', 'none', ...monitorArgs(sock), ...extra], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const q: BareQemu = {
    child,
    pid: child.pid ?? -1,
    dir,
    sock,
    exited,
    kill(sig: NodeJS.Signals = 'SIGKILL') {
      if (child.exitCode === null && child.signalCode === null) child.kill(sig);
    },
    async cleanup() {
      q.kill('SIGKILL');
      await exited;
      rmSync(dir, { recursive: true, force: true });
      if (process.env.TSVIRT_TEST_DEBUG && stderr) console.error(stderr);
    },
  };
  return q;
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}
