// Every host path a guest uses, with the flags the drivers need (read-only, shared, relabel='no'…).
// GuestResources is the small, model-independent description the driver fills from its DomainDef
// (see ./domain.ts once the domain model carries these fields).
import type { GuestPath } from './types.js';

export interface GuestDiskSource {
  /** Source file or block device; network disks have none and are skipped. */
  path?: string;
  /** 'file' | 'block' | 'dir' | 'network' | 'volume' | 'nvme' | 'vhostuser'. */
  type?: string;
  /** 'disk' | 'cdrom' | 'floppy' | 'lun'. */
  device?: string;
  target?: string;
  readonly?: boolean;
  shared?: boolean;
  /** <source><seclabel relabel='no'/></source>. */
  norelabel?: boolean;
  /** Lower layers of the backing chain, top first (read-only, shared). */
  backingChain?: string[];
}

export interface GuestChardevSource {
  /** 'file' | 'pipe' | 'dev' | 'unix' | 'pty' | 'tcp' … (only the path-based ones matter). */
  type: string;
  path?: string;
  /** unix: 'bind' = QEMU creates the socket (server), 'connect' = it exists. */
  mode?: 'bind' | 'connect';
  alias?: string;
  norelabel?: boolean;
}

export interface GuestResources {
  name: string;
  /** Runtime id (for per-guest directory names); -1 before start. */
  id: number;
  emulator?: string;
  disks: GuestDiskSource[];
  kernel?: string;
  initrd?: string;
  dtb?: string;
  loader?: { path: string; readonly?: boolean };
  nvram?: string;
  chardevs?: GuestChardevSource[];
  /** TPM passthrough device or emulator socket/state paths. */
  tpm?: string[];
  /** /dev nodes of assigned host devices (VFIO groups, USB nodes). */
  hostdevs?: string[];
  /** <memoryBacking><source type='file'> directory or file. */
  memoryBacking?: string;
  /** <qemu:commandline> <qemu:arg value=…> values, in order. */
  qemuArgs?: string[];
  /** Graphics listening on a unix socket. */
  graphicsSockets?: string[];
}

/** Per-driver directories the guest's private files live in (QemuDriverConfig has these names). */
export interface GuestDirs {
  libDir: string;
  stateDir: string;
  logDir?: string;
  channelTargetDir?: string;
}

/** libvirt's per-guest directory name "domain-<id>-<name shortened to 20 chars>". */
export function domainShortName(id: number, name: string): string {
  return `${id}-${name.slice(0, 20)}`;
}

const PATH_IN_ARG = /(?:^|[=,])(\/[^,]*)/g;

/**
 * Host paths that appear in <qemu:commandline> arguments: a whole argument starting with "/", or a
 * "key=/path" value inside a comma-separated option string ("file=/img,if=none", "path=/sock").
 * ",," (QEMU's escaped comma) stays part of the path.
 */
export function pathsInQemuArgs(args: readonly string[]): string[] {
  const out: string[] = [];
  for (const a of args) {
    const unescaped = a.replace(/,,/g, '\u0000');
    for (const m of unescaped.matchAll(PATH_IN_ARG)) {
      const p = m[1].replace(/\u0000/g, ',');
      if (p.length > 1 && !out.includes(p)) out.push(p);
    }
  }
  return out;
}

/** Collects every host path of the guest (duplicates kept out), in a stable order. */
export function collectGuestPaths(g: GuestResources, dirs?: GuestDirs): GuestPath[] {
  const out: GuestPath[] = [];
  const add = (p: GuestPath) => {
    if (!out.some((x) => x.path === p.path && x.kind === p.kind)) out.push(p);
  };
  if (g.emulator) add({ path: g.emulator, kind: 'emulator', readonly: true, origin: 'emulator' });
  for (const d of g.disks) {
    if (!d.path || d.type === 'network' || d.type === 'vhostuser') continue;
    const ro = !!d.readonly || d.device === 'cdrom';
    const origin = `disk ${d.target ?? d.path}`;
    add({ path: d.path, kind: 'disk', readonly: ro, shared: !!d.shared, norelabel: !!d.norelabel, directory: d.type === 'dir', origin });
    for (const b of d.backingChain ?? []) add({ path: b, kind: 'backing', readonly: true, shared: true, origin: `${origin} backing` });
  }
  if (g.kernel) add({ path: g.kernel, kind: 'kernel', readonly: true, origin: 'os/kernel' });
  if (g.initrd) add({ path: g.initrd, kind: 'initrd', readonly: true, origin: 'os/initrd' });
  if (g.dtb) add({ path: g.dtb, kind: 'dtb', readonly: true, origin: 'os/dtb' });
  if (g.loader) add({ path: g.loader.path, kind: 'loader', readonly: g.loader.readonly !== false, shared: true, origin: 'os/loader' });
  if (g.nvram) add({ path: g.nvram, kind: 'nvram', origin: 'os/nvram' });
  for (const c of g.chardevs ?? []) {
    if (!c.path) continue;
    const origin = `chardev ${c.alias ?? c.type}`;
    if (c.type === 'unix') add({ path: c.path, kind: 'socket', create: c.mode !== 'connect', norelabel: c.norelabel, origin });
    else if (c.type === 'file') add({ path: c.path, kind: 'log', create: true, norelabel: c.norelabel, origin });
    else if (c.type === 'pipe') {
      add({ path: `${c.path}.in`, kind: 'chardev', create: true, norelabel: c.norelabel, origin });
      add({ path: `${c.path}.out`, kind: 'chardev', create: true, norelabel: c.norelabel, origin });
    } else if (c.type === 'dev') add({ path: c.path, kind: 'chardev', norelabel: c.norelabel, origin });
  }
  for (const t of g.tpm ?? []) add({ path: t, kind: 'tpm', origin: 'tpm' });
  for (const h of g.hostdevs ?? []) add({ path: h, kind: 'hostdev', origin: 'hostdev' });
  if (g.memoryBacking) add({ path: g.memoryBacking, kind: 'memory', directory: true, origin: 'memoryBacking' });
  for (const s of g.graphicsSockets ?? []) add({ path: s, kind: 'socket', create: true, origin: 'graphics' });
  for (const p of pathsInQemuArgs(g.qemuArgs ?? [])) add({ path: p, kind: 'commandline', origin: 'qemu:commandline' });
  if (dirs && g.id >= 0) {
    const short = domainShortName(g.id, g.name);
    add({ path: `${dirs.libDir}/domain-${short}`, kind: 'private', directory: true, create: true, origin: 'private directory' });
    if (dirs.channelTargetDir) add({ path: `${dirs.channelTargetDir}/domain-${short}`, kind: 'channel-dir', directory: true, create: true, origin: 'channel directory' });
  }
  return out;
}
