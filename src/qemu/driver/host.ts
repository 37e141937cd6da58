// The real host behind the pure command builder: per-VM paths, the monitor socket, fds handed to
// QEMU, random bytes. In "pretend" mode (domxml-to-native) nothing is opened or created.
import { randomBytes } from 'node:crypto';
import { closeSync } from 'node:fs';
import { internalError } from '../../util/errors.js';
import { UNIX_PATH_MAX } from '../dirs.js';
import type { QemuDriverState } from './state.js';

export interface HostInit {
  drv: QemuDriverState;
  /** Per-domain runtime dir (domain-ID-NAME). */
  libDir: string;
  monitorPath: string;
  pretend: boolean;
}

export interface RealHost {
  readonly pretend: boolean;
  readonly domainLibDir: string;
  readonly monitorPath: string;
  readonly libDir: string;
  readonly channelTargetDir: string;
  readonly stateDir: string;
  readonly logDir: string;
  readonly uid: number;
  readonly gid: number;
  randomBytes(n: number): Uint8Array;
  /** Registers an fd to pass to QEMU; returns its number in QEMU (3, 4, …). */
  passFd(fd: number): number;
  /** The fds to pass, in child order (fd 3 first). */
  fds(): number[];
  /** Closes this process's copies of passed fds. */
  close(): void;
  /** Refuses UNIX socket paths the kernel cannot bind (over 107 bytes). */
  checkSocketPaths(args: readonly string[]): void;
}

export function checkUnixPath(path: string): void {
  if (Buffer.byteLength(path) > UNIX_PATH_MAX) throw internalError(`UNIX socket path '${path}' too long`);
}

export function createHost(init: HostInit): RealHost {
  const passed: number[] = [];
  const d = init.drv.dirs;
  return {
    pretend: init.pretend,
    domainLibDir: init.libDir,
    monitorPath: init.monitorPath,
    libDir: d.libDir,
    channelTargetDir: init.drv.cfg.channelTargetDir,
    stateDir: d.stateDir,
    logDir: d.logDir,
    uid: process.getuid?.() ?? 0,
    gid: process.getgid?.() ?? 0,
    randomBytes: (n) => randomBytes(n),
    passFd(fd) {
      passed.push(fd);
      return 2 + passed.length;
    },
    fds: () => [...passed],
    close() {
      for (const fd of passed.splice(0)) {
        try {
          closeSync(fd);
        } catch {
          /* already closed */
        }
      }
    },
    checkSocketPaths(args) {
      for (let i = 0; i < args.length - 1; i++) {
        if (args[i] !== '-chardev' && args[i] !== '-qmp' && args[i] !== '-monitor') continue;
        const m = /(?:^|,)path=((?:[^,]|,,)*)/.exec(args[i + 1]);
        if (m && /(^|,)(socket|unix)/.test(args[i + 1]) || (m && args[i + 1].startsWith('unix:'))) {
          checkUnixPath(m ? m[1].replace(/,,/g, ',') : '');
        }
      }
    },
  };
}
