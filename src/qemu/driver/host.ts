// The real host behind the pure command builder (src/qemu/command/host.ts): per-VM paths, fds handed
// to QEMU, random bytes, facts read from the machine. Chardev sockets and files are left to QEMU to
// create/open (paths on its command line), so nothing here needs cleaning up on a failed start except
// passed fds. In "pretend" mode (domxml-to-native) nothing is opened.
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync } from 'node:fs';
import type { DomainDef } from '../../conf/domain/index.js';
import { internalError, noSupport } from '../../util/errors.js';
import type { Host } from '../command/host.js';
import { UNIX_PATH_MAX } from '../dirs.js';
import { firmwareSearchDirs, loadFirmwareDescriptors } from '../domain/firmware.js';
import { PortLease } from './ports.js';
import type { QemuDriverState } from './state.js';

export interface HostInit {
  drv: QemuDriverState;
  /** Per-domain runtime dir (domain-ID-NAME). */
  libDir: string;
  monitorPath: string;
  pretend: boolean;
}

export interface RealHost extends Host {
  readonly pretend: boolean;
  masterKey(): Uint8Array;
  /** Reserves the graphics autoport ports the definition may ask allocatePort for (before prepare). */
  reservePorts(def: DomainDef): Promise<void>;
  /** Closes this process's copies of fds passed to QEMU and ends the start's hold on reserved ports. */
  close(): void;
  /** Refuses UNIX socket paths the kernel cannot bind (over 107 bytes), with libvirt's text. */
  checkSocketPaths(args: readonly string[]): void;
}

export function checkUnixPath(path: string): void {
  if (Buffer.byteLength(path) > UNIX_PATH_MAX) throw internalError(`UNIX socket path '${path}' too long`);
}

const ARCH: Record<string, string> = { x64: 'x86_64', arm64: 'aarch64', ia32: 'i686' };

function unsupportedHost(what: string): never {
  throw noSupport(`${what} is not supported by the embedded driver yet`);
}

export function createHost(init: HostInit): RealHost {
  const opened: number[] = [];
  // One master key per start: every secret the builders wrap (disks, chardev TLS, VNC, nvram…) and the
  // master-key.aes file QEMU reads must use the same bytes.
  const masterKey = new Uint8Array(randomBytes(32));
  const cfg = init.drv.cfg;
  const ports = init.pretend ? undefined : new PortLease(init.drv);
  return {
    pretend: init.pretend,
    privileged: cfg.privileged,
    arch: ARCH[process.arch] ?? process.arch,
    env: { ...process.env },
    monitorFd: undefined,
    monitorPath: () => init.monitorPath,
    chardevListenFd: () => undefined,
    chardevFileFd: () => undefined,
    openTap: () => unsupportedHost('tap networking'),
    openVhostNet: () => [],
    openVhostVsock: () => unsupportedHost('vhost-vsock'),
    openVdpa: () => unsupportedHost('vDPA'),
    openTpmPassthrough: () => unsupportedHost('TPM passthrough'),
    tpmCancelPath: (p) => `/sys/class/misc/${p.split('/').pop()}/device/cancel`,
    openVhostScsi: () => unsupportedHost('vhost-scsi'),
    fdGroups: {},
    randomBytes: (n) => new Uint8Array(randomBytes(n)),
    masterKey: () => masterKey,
    systemPageSizeKiB: 4,
    numaMaxNode: 0,
    hugetlbfs: cfg.hugetlbfs,
    firmware: loadFirmwareDescriptors(firmwareSearchDirs(cfg.privileged, process.env)),
    renderNode: () => '/dev/dri/renderD128',
    pathExists: (p) => existsSync(p),
    isHostCdrom: () => false,
    fips: false,
    swtpmVersions: [],
    lookupSecret: () => undefined,
    allocatePort: ports ? (pool) => ports.take(pool) : undefined,
    reservePorts: async (def) => ports?.reserve(def),
    close() {
      ports?.release();
      for (const fd of opened.splice(0)) {
        try {
          closeSync(fd);
        } catch {
          /* already closed */
        }
      }
    },
    checkSocketPaths(args) {
      for (let i = 0; i < args.length - 1; i++) {
        const a = args[i + 1];
        if (args[i] !== '-chardev' || !a.startsWith('socket,')) continue;
        const m = /(?:^|,)path=((?:[^,]|,,)*)/.exec(a);
        if (m) checkUnixPath(m[1].replace(/,,/g, ','));
      }
    },
  };
}
