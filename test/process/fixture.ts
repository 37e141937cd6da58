// Helpers for the process tests: a temp dir per test with log/monitor/pidfile paths, and argv for a
// bare QEMU (-machine none -S) with the QMP chardev the driver would put in.
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { QmpClient, QmpEvent } from '../../src/qemu/monitor/qmp.js';

export const QEMU = process.env.TSVIRT_TEST_QEMU ?? '/usr/bin/qemu-system-x86_64';
export const BASE_ENV: Record<string, string> = { LC_ALL: 'C', PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' };

export interface Paths {
  dir: string;
  log: string;
  monitor: string;
  pidfile: string;
  remove(): void;
}

/** Short paths under /tmp (UNIX socket paths must stay under 108 bytes). */
export function makePaths(): Paths {
  const dir = mkdtempSync('/tmp/tsv-proc-');
  return {
    dir,
    log: join(dir, 'qemu.log'),
    monitor: join(dir, 'monitor.sock'),
    pidfile: join(dir, 'qemu.pid'),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

export function monitorArgs(sock: string): string[] {
  return ['-chardev', `socket,id=charmonitor,path=${sock},server=on,wait=off`, '-mon', 'chardev=charmonitor,id=monitor,mode=control'];
}

export function bareArgs(sock: string, extra: string[] = []): string[] {
  return ['-machine', 'none', '-S', '-nodefaults', '-no-user-config', '-display', 'none', ...monitorArgs(sock), ...extra];
}

export function nextEvent(c: QmpClient, name: string, timeoutMs = 10_000): Promise<QmpEvent> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => {
      c.off('event', on);
      reject(new Error(`no ${name} event within ${timeoutMs} ms`));
    }, timeoutMs);
    const on = (e: QmpEvent) => {
      if (e.event !== name) return;
      clearTimeout(t);
      c.off('event', on);
      resolve(e);
    };
    c.on('event', on);
  });
}

export function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`${what}: no result within ${ms} ms`)), ms);
    p.then(
      (v) => {
        clearTimeout(t);
        resolve(v);
      },
      (e) => {
        clearTimeout(t);
        reject(e);
      },
    );
  });
}

/** Kills a pid if it still exists (test cleanup). */
export function killQuiet(pid: number | undefined): void {
  if (!pid) return;
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    /* gone */
  }
}
