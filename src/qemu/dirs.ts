// Where a QEMU driver instance keeps its files, per connection URI (DESIGN.md's table, the spec's
// "Directory tree" and "Location of configuration files"):
//
//   qemu:///system       /etc/libvirt/qemu, /run/libvirt/qemu, /var/lib/libvirt/qemu, ...
//   qemu:///session      $XDG_CONFIG_HOME/libvirt/qemu, $XDG_RUNTIME_DIR/libvirt/qemu/run, ...
//   qemu:///embed?root=R R/etc/qemu, R/run/qemu, R/lib/qemu, R/cache/qemu, R/log/qemu (+ swtpm, pki)
import { homedir } from 'node:os';
import { join } from 'node:path';

export type DriverMode = 'system' | 'session' | 'embed';

export interface QemuDirs {
  mode: DriverMode;
  /** Embedded root, or null. */
  root: string | null;
  /** Persistent domain configs: NAME.xml. */
  configDir: string;
  /** Autostart markers: symlinks NAME.xml → ../NAME.xml. */
  autostartDir: string;
  /** Status XML of running domains (NAME.xml), pid files, the driver lock. */
  stateDir: string;
  /** Per-domain runtime dirs (domain-ID-NAME/: monitor socket, master key). */
  libDir: string;
  /** Capabilities cache (cache/qemu/capabilities/*.xml). */
  cacheDir: string;
  /** QEMU logs: NAME.log. */
  logDir: string;
  swtpmLogDir: string;
  swtpmStateDir: string;
  /** swtpm runtime dir (sockets). */
  swtpmRunDir: string;
  /** TLS certificates (etc/pki/qemu). */
  pkiDir: string;
  /** The qemu.conf this instance reads. */
  confFile: string;
  /** Directories created when the driver opens (the spec's tree for embed). */
  create: string[];
}

/** Longest UNIX socket path the kernel accepts (sun_path is 108 bytes including the NUL). */
export const UNIX_PATH_MAX = 107;

export function qemuDirs(mode: DriverMode, root?: string | null, env: NodeJS.ProcessEnv = process.env): QemuDirs {
  if (mode === 'embed') {
    if (!root) throw new Error('qemuDirs: embed mode needs a root');
    const r = root.replace(/\/+$/, '') || '/';
    const d = {
      configDir: join(r, 'etc/qemu'),
      stateDir: join(r, 'run/qemu'),
      libDir: join(r, 'lib/qemu'),
      cacheDir: join(r, 'cache/qemu'),
      logDir: join(r, 'log/qemu'),
      swtpmLogDir: join(r, 'log/swtpm'),
      swtpmStateDir: join(r, 'lib/swtpm'),
      swtpmRunDir: join(r, 'run/swtpm'),
      pkiDir: join(r, 'etc/pki/qemu'),
    };
    return {
      mode,
      root: r,
      ...d,
      autostartDir: join(d.configDir, 'autostart'),
      confFile: join(r, 'etc/qemu.conf'),
      create: [
        d.logDir, d.swtpmLogDir, d.configDir, d.pkiDir, d.stateDir, d.swtpmRunDir, d.cacheDir, d.libDir,
        d.swtpmStateDir,
      ],
    };
  }
  if (mode === 'system') {
    const d = {
      configDir: '/etc/libvirt/qemu',
      stateDir: '/run/libvirt/qemu',
      libDir: '/var/lib/libvirt/qemu',
      cacheDir: '/var/cache/libvirt/qemu',
      logDir: '/var/log/libvirt/qemu',
      swtpmLogDir: '/var/log/swtpm/libvirt/qemu',
      swtpmStateDir: '/var/lib/libvirt/swtpm',
      swtpmRunDir: '/run/libvirt/qemu/swtpm',
      pkiDir: '/etc/pki/qemu',
    };
    return {
      mode,
      root: null,
      ...d,
      autostartDir: join(d.configDir, 'autostart'),
      confFile: '/etc/libvirt/qemu.conf',
      create: [d.configDir, d.stateDir, d.libDir, d.cacheDir, d.logDir],
    };
  }
  const home = env.HOME || homedir();
  const xdgConfig = env.XDG_CONFIG_HOME || join(home, '.config');
  const xdgCache = env.XDG_CACHE_HOME || join(home, '.cache');
  const xdgRuntime = env.XDG_RUNTIME_DIR || xdgCache;
  const d = {
    configDir: join(xdgConfig, 'libvirt/qemu'),
    stateDir: join(xdgRuntime, 'libvirt/qemu/run'),
    libDir: join(xdgConfig, 'libvirt/qemu/lib'),
    cacheDir: join(xdgCache, 'libvirt/qemu/cache'),
    logDir: join(xdgCache, 'libvirt/qemu/log'),
    swtpmLogDir: join(xdgCache, 'libvirt/qemu/log'),
    swtpmStateDir: join(xdgConfig, 'libvirt/qemu/swtpm'),
    swtpmRunDir: join(xdgRuntime, 'libvirt/qemu/run/swtpm'),
    pkiDir: join(xdgConfig, 'libvirt/pki/qemu'),
  };
  return {
    mode,
    root: null,
    ...d,
    autostartDir: join(d.configDir, 'autostart'),
    confFile: join(xdgConfig, 'libvirt/qemu.conf'),
    create: [d.configDir, d.stateDir, d.libDir, d.cacheDir, d.logDir],
  };
}

/** libvirt's short name for per-domain paths: "%d-%.20s" of id and name. */
export function domainShortName(id: number, name: string): string {
  return `${id}-${[...name].slice(0, 20).join('')}`;
}

/** The per-domain runtime directory under libDir (monitor socket, master key). */
export function domainLibDir(dirs: QemuDirs, id: number, name: string): string {
  return join(dirs.libDir, `domain-${domainShortName(id, name)}`);
}
