// The AppArmor driver (sVirt with AppArmor): one profile per guest, "libvirt-<uuid>".
//
// <profilesDir>/libvirt-<uuid>        the profile, made once from TEMPLATE.qemu (or the built-in template)
//                                     and then left to the administrator to fine-tune;
// <profilesDir>/libvirt-<uuid>.files  every host path the guest needs, rewritten whenever that changes
//                                     (start, disk hotplug/unplug, media change). Unlike libvirt's
//                                     virt-aa-helper it also lists the paths in <qemu:commandline>.
// The profile is loaded with `apparmor_parser -r` when AppArmor is active, and QEMU changes into it on
// exec (`setpriv --apparmor-profile`). After stop it is unloaded and both files are removed.
import { execFile } from 'node:child_process';
import { existsSync, readFileSync, realpathSync } from 'node:fs';
import { mkdir, readFile, unlink } from 'node:fs/promises';
import { ErrorCode, ErrorDomain, virError } from '../util/errors.js';
import { writeFileAtomic } from '../util/atomic.js';
import type { RestoreIssue, SecurityDriver } from './driver.js';
import type { GuestPath, GuestSecurityInput, LaunchSpec, SecLabel, SecModel } from './types.js';

export const DEFAULT_PROFILES_DIR = '/etc/apparmor.d/libvirt';
export const TEMPLATE_MARKER = 'LIBVIRT_TEMPLATE';

/** AppArmor is enabled in the kernel and its securityfs interface is mounted. */
export function apparmorEnabled(sys = '/sys'): boolean {
  try {
    return readFileSync(`${sys}/module/apparmor/parameters/enabled`, 'utf8').trim() === 'Y' &&
      existsSync(`${sys}/kernel/security/apparmor/profiles`);
  } catch {
    return false;
  }
}

export const profileName = (uuid: string) => `libvirt-${uuid}`;

/** Used when profilesDir has no TEMPLATE.qemu: what QEMU needs besides the guest's own files. */
export const BUILTIN_TEMPLATE = `#
# AppArmor profile of one tsvirt guest (the UUID is in the profile name).
# Site-specific rules may be added here; the guest's files are in the .files include.
#

#include <tunables/global>

profile ${TEMPLATE_MARKER} flags=(attach_disconnected) {
  #include <abstractions/base>
  #include <abstractions/consoles>
  #include <abstractions/nameservice>

  signal (receive) peer=unconfined,
  ptrace (readby, tracedby) peer=unconfined,

  network inet stream,
  network inet6 stream,
  network inet dgram,
  network inet6 dgram,
  network unix,

  /dev/kvm rw,
  /dev/net/tun rw,
  /dev/vhost-net rw,
  /dev/vhost-vsock rw,
  /dev/userfaultfd rw,
  /dev/ptmx rw,
  /dev/pts/* rw,
  /dev/null rw,
  /dev/full rw,
  /dev/zero rw,
  /dev/random r,
  /dev/urandom r,
  /{dev,run}/shm/ r,
  owner /{dev,run}/shm/* rw,

  @{PROC}/sys/vm/overcommit_memory r,
  @{PROC}/sys/kernel/cap_last_cap r,
  @{PROC}/cpuinfo r,
  @{PROC}/meminfo r,
  owner @{PROC}/@{pid}/auxv r,
  owner @{PROC}/@{pid}/cgroup r,
  owner @{PROC}/@{pid}/fd/ r,
  owner @{PROC}/@{pid}/status r,
  owner @{PROC}/@{pid}/task/*/comm rw,
  /sys/devices/system/cpu/ r,
  /sys/devices/system/cpu/** r,
  /sys/devices/system/node/ r,
  /sys/devices/system/node/** r,
  /sys/kernel/mm/transparent_hugepage/enabled r,
  /sys/module/vhost/parameters/max_mem_regions r,

  /etc/qemu/** r,
  /usr/share/qemu/** r,
  /usr/share/seabios/** r,
  /usr/share/ovmf/** r,
  /usr/share/OVMF/** r,
  /usr/share/AAVMF/** r,
  /usr/share/ipxe/** r,
  /usr/lib/ipxe/** r,
  /usr/share/vgabios/** r,
  /usr/share/misc/sgabios.bin r,
  /usr/lib/@{multiarch}/qemu/*.so mr,
  /usr/lib/qemu/*.so mr,
  /usr/bin/qemu-system-* rmix,
  /usr/bin/qemu-kvm rmix,
  /usr/libexec/qemu-kvm rmix,
}
`;

const RESTRICTED_WRITE = ['/etc', '/boot', '/proc', '/sys', '/bin', '/sbin', '/usr', '/lib', '/lib32', '/lib64'];

/** Quotes a path for a profile rule: globbing and quoting characters become literal. */
export function quoteAAPath(path: string): string {
  if (/[\x00-\x1f\x7f]/.test(path))
    throw virError(ErrorCode.CONFIG_UNSUPPORTED, ErrorDomain.SECURITY, `path '${JSON.stringify(path)}' contains control characters; it cannot be put in an AppArmor profile`);
  return `"${path.replace(/[\\"*?[\]{}^]/g, (c) => `\\${c}`)}"`;
}

/** The permissions a path needs. */
export function aaPerms(p: GuestPath): string {
  switch (p.kind) {
    case 'emulator':
      return 'rm';
    case 'kernel':
    case 'initrd':
    case 'dtb':
    case 'loader':
    case 'backing':
      return 'rk';
    case 'log':
    case 'chardev':
    case 'socket':
    case 'tpm':
    case 'hostdev':
      return p.readonly ? 'r' : 'rw';
    default:
      return p.readonly ? 'rk' : 'rwk';
  }
}

function checkAllowed(p: GuestPath, perms: string): void {
  if (!p.path.startsWith('/'))
    throw virError(ErrorCode.CONFIG_UNSUPPORTED, ErrorDomain.SECURITY, `'${p.path}' is not an absolute path; AppArmor rules need one`);
  if (p.path === '/' || (perms.includes('w') && RESTRICTED_WRITE.some((d) => p.path === d || p.path.startsWith(`${d}/`))))
    throw virError(ErrorCode.CONFIG_UNSUPPORTED, ErrorDomain.SECURITY, `refusing to grant guest write access to restricted path '${p.path}'`);
}

function rulesFor(p: GuestPath): string[] {
  const perms = aaPerms(p);
  checkAllowed(p, perms);
  const names = new Set([p.path.replace(/\/+$/, '') || '/']);
  try {
    names.add(realpathSync(p.path)); // AppArmor mediates the resolved path
  } catch {
    /* not there yet (socket/log QEMU creates): the path as given */
  }
  const out: string[] = [];
  for (const n of names) {
    if (p.directory) {
      out.push(`  ${quoteAAPath(`${n}/`)} r,`);
      out.push(`  ${quoteAAPath(`${n}/`).slice(0, -1)}**" ${p.readonly ? 'r' : 'rwk'},`);
    } else {
      out.push(`  ${quoteAAPath(n)} ${perms},`);
    }
  }
  return out;
}

/** The .files include: one rule per host path (duplicates merged), in the order the guest lists them. */
export function generateFilesInclude(guest: GuestSecurityInput): string {
  const lines = ['# DO NOT EDIT THIS FILE DIRECTLY. IT IS MANAGED BY TSVIRT.'];
  const seen = new Set<string>();
  for (const p of guest.paths) {
    if (p.kind === 'private' && !p.directory) continue;
    for (const r of rulesFor(p)) {
      if (seen.has(r)) continue;
      seen.add(r);
      lines.push(r);
    }
  }
  return `${lines.join('\n')}\n`;
}

/** The include line for the .files; libvirt's form under /etc/apparmor.d, an absolute one elsewhere. */
export function filesIncludeLine(profilesDir: string, uuid: string): string {
  const name = `${profileName(uuid)}.files`;
  if (profilesDir === DEFAULT_PROFILES_DIR) return `  #include <libvirt/${name}>`;
  return `  #include "${profilesDir}/${name}"`;
}

/** The profile from a template: marker → profile name, .files include added before the closing brace. */
export function generateProfile(template: string, uuid: string, profilesDir: string): string {
  if (!template.includes(TEMPLATE_MARKER))
    throw virError(ErrorCode.INTERNAL_ERROR, ErrorDomain.SECURITY, `AppArmor template has no '${TEMPLATE_MARKER}' profile`);
  const text = template.replace(TEMPLATE_MARKER, profileName(uuid));
  const end = text.lastIndexOf('}');
  if (end < 0) throw virError(ErrorCode.INTERNAL_ERROR, ErrorDomain.SECURITY, 'AppArmor template has no closing brace');
  return `${text.slice(0, end)}${filesIncludeLine(profilesDir, uuid)}\n${text.slice(end)}`;
}

function run(cmd: string, args: string[]): Promise<{ code: number; stderr: string }> {
  return new Promise((resolve) => {
    execFile(cmd, args, (err, _stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 127) : 0;
      resolve({ code, stderr: String(stderr || (err ? err.message : '')) });
    });
  });
}

export interface AppArmorOptions {
  profilesDir?: string;
  /** Template file; default <profilesDir>/TEMPLATE.qemu, else the built-in template. */
  template?: string;
  parser?: string;
  /** Load/unload profiles in the kernel and confine QEMU (default: AppArmor is enabled). */
  kernel?: boolean;
  /** Extra include dirs for apparmor_parser (-I). */
  includeDirs?: string[];
}

export class AppArmorDriver implements SecurityDriver {
  readonly name = 'apparmor';
  readonly profilesDir: string;
  readonly kernel: boolean;
  private readonly parser: string;

  constructor(private readonly o: AppArmorOptions = {}) {
    this.profilesDir = o.profilesDir ?? DEFAULT_PROFILES_DIR;
    this.kernel = o.kernel ?? apparmorEnabled();
    this.parser = o.parser ?? 'apparmor_parser';
  }

  model(): SecModel {
    return { model: 'apparmor', doi: '0', baselabels: [] };
  }

  profilePath(uuid: string): string {
    return `${this.profilesDir}/${profileName(uuid)}`;
  }

  async template(): Promise<string> {
    const t = this.o.template ?? `${this.profilesDir}/TEMPLATE.qemu`;
    try {
      return await readFile(t, 'utf8');
    } catch {
      if (this.o.template) throw virError(ErrorCode.OPEN_FAILED, ErrorDomain.SECURITY, t);
      return BUILTIN_TEMPLATE;
    }
  }

  async genLabel(guest: GuestSecurityInput, sec: SecLabel): Promise<void> {
    if (sec.type === 'none') return;
    if (sec.type === 'static') {
      if (!sec.label)
        throw virError(ErrorCode.INTERNAL_ERROR, ErrorDomain.SECURITY, `missing label for static security driver in domain ${guest.name}`);
      return;
    }
    sec.label = profileName(guest.uuid);
    if (sec.relabel) sec.imagelabel = sec.label;
  }

  async reserveLabel(): Promise<void> {}
  async releaseLabel(_g: GuestSecurityInput, sec: SecLabel): Promise<void> {
    if (sec.type === 'dynamic') {
      sec.label = undefined;
      sec.imagelabel = undefined;
    }
  }

  /** apparmor_parser with the include dirs; `args` e.g. ['-Q', file]. */
  parse(args: string[]): Promise<{ code: number; stderr: string }> {
    const inc = (this.o.includeDirs ?? []).flatMap((d) => ['-I', d]);
    return run(this.parser, [...inc, ...args]);
  }

  /** Writes the profile (if missing) and the .files; loads it when AppArmor is active. */
  async writeProfile(guest: GuestSecurityInput, load: boolean): Promise<void> {
    await mkdir(this.profilesDir, { recursive: true });
    const prof = this.profilePath(guest.uuid);
    if (!existsSync(prof)) await writeFileAtomic(prof, generateProfile(await this.template(), guest.uuid, this.profilesDir), { mode: 0o644 });
    await writeFileAtomic(`${prof}.files`, generateFilesInclude(guest), { mode: 0o644 });
    if (load && this.kernel) {
      const r = await this.parse(['-r', '-W', prof]);
      if (r.code !== 0)
        throw virError(ErrorCode.INTERNAL_ERROR, ErrorDomain.SECURITY, `cannot load AppArmor profile '${profileName(guest.uuid)}': ${r.stderr.trim()}`);
    }
  }

  private confining(sec: SecLabel): boolean {
    return sec.type === 'dynamic' && !!sec.label;
  }

  async setAllLabel(guest: GuestSecurityInput, sec: SecLabel): Promise<void> {
    if (!this.confining(sec)) return;
    await this.writeProfile(guest, true);
  }

  async restoreAllLabel(guest: GuestSecurityInput, sec: SecLabel): Promise<RestoreIssue[]> {
    if (!this.confining(sec)) return [];
    const issues: RestoreIssue[] = [];
    const prof = this.profilePath(guest.uuid);
    if (this.kernel && existsSync(prof)) {
      const r = await this.parse(['-R', prof]);
      if (r.code !== 0) issues.push({ path: prof, model: 'apparmor', message: `cannot unload profile: ${r.stderr.trim()}` });
    }
    for (const f of [`${prof}.files`, prof]) await unlink(f).catch(() => {});
    return issues;
  }

  async setPathLabel(guest: GuestSecurityInput, sec: SecLabel): Promise<void> {
    if (this.confining(sec)) await this.writeProfile(guest, true);
  }

  async restorePathLabel(guest: GuestSecurityInput, sec: SecLabel): Promise<RestoreIssue[]> {
    if (!this.confining(sec)) return [];
    try {
      await this.writeProfile(guest, true);
      return [];
    } catch (e) {
      return [{ path: this.profilePath(guest.uuid), model: 'apparmor', message: (e as Error).message }];
    }
  }

  async launch(_g: GuestSecurityInput, sec: SecLabel, spec: LaunchSpec): Promise<void> {
    if (this.kernel && sec.type !== 'none' && sec.label) spec.apparmorProfile = sec.label;
  }
}
