// The security manager: one interface over a stack of drivers (virSecurityStack). The primary driver
// (SELinux, AppArmor or none) comes first, DAC second; every call goes to each in turn.
//
// Driver choice (qemu.conf security_driver): unset → SELinux if enabled, else AppArmor if enabled, else
// none; a name that is not available on the host is an error; "none" disables sVirt but keeps DAC.
// security_default_confined=0 gives guests without a <seclabel> type='none'; security_require_confined=1
// refuses type='none' guests.
import { ErrorCode, ErrorDomain, virError } from '../util/errors.js';
import { AppArmorDriver, type AppArmorOptions, apparmorEnabled } from './apparmor.js';
import { DacDriver } from './dac.js';
import type { RestoreIssue, SecurityDriver } from './driver.js';
import { NoneDriver } from './none.js';
import { HostSelinux, type SelinuxKernel } from './selinux-kernel.js';
import { SelinuxDriver } from './selinux.js';
import type { GuestPath, GuestSecurityInput, LaunchSpec, SecLabel, SecModel, SecurityConfig, SecurityContext } from './types.js';
import { type UserDb, loadUserDb, resolveIds } from './users.js';

export interface ManagerHost {
  selinux?: SelinuxKernel;
  /** AppArmor active in the kernel (default: detected). */
  apparmorEnabled?: boolean;
  apparmor?: AppArmorOptions;
  userDb?: UserDb;
}

export class SecurityManager {
  constructor(
    /** Primary first, DAC last. */
    readonly drivers: SecurityDriver[],
    private readonly cfg: SecurityConfig,
    readonly ctx: SecurityContext,
  ) {}

  get primary(): SecurityDriver {
    return this.drivers[0];
  }

  driver(model: string): SecurityDriver | undefined {
    return this.drivers.find((d) => d.name === model);
  }

  /** <secmodel> entries of the node capabilities, in libvirt's order (primary, then dac). */
  models(): SecModel[] {
    return this.drivers.map((d) => d.model());
  }

  /** The guest's <seclabel> for a model, creating the default one (dynamic or none) if the XML had none. */
  private labelFor(guest: GuestSecurityInput, d: SecurityDriver): SecLabel {
    let sec = guest.seclabels.find((s) => s.model === d.name);
    if (!sec) {
      // A label without model= in the XML belongs to the primary driver.
      const anon = d === this.primary ? guest.seclabels.find((s) => !s.model) : undefined;
      if (anon) {
        anon.model = d.name;
        sec = anon;
      } else {
        sec = this.cfg.securityDefaultConfined && d.name !== 'none'
          ? { model: d.name, type: 'dynamic', relabel: true }
          : { model: d.name, type: 'none', relabel: false };
        guest.seclabels.push(sec);
      }
    }
    return sec;
  }

  /** virSecurityManagerGenLabel(): fills every driver's label of the guest (before start). */
  async genLabel(guest: GuestSecurityInput): Promise<void> {
    for (const s of guest.seclabels) {
      if (s.model && !this.driver(s.model))
        throw virError(ErrorCode.CONFIG_UNSUPPORTED, ErrorDomain.SECURITY, `Unable to find security driver for model ${s.model}`);
    }
    const done: Array<[SecurityDriver, SecLabel]> = [];
    try {
      for (const d of this.drivers) {
        const sec = this.labelFor(guest, d);
        if (sec.type === 'none' && this.cfg.securityRequireConfined && d.name !== 'none')
          throw virError(ErrorCode.CONFIG_UNSUPPORTED, ErrorDomain.SECURITY, 'Unconfined guests are not allowed on this host');
        if (sec.type === 'dynamic' && sec.label && d.name !== 'dac')
          throw virError(ErrorCode.CONFIG_UNSUPPORTED, ErrorDomain.SECURITY, 'security label already defined for VM');
        await d.genLabel(guest, sec);
        done.push([d, sec]);
      }
    } catch (e) {
      for (const [d, sec] of done) await d.releaseLabel(guest, sec).catch(() => {});
      throw e;
    }
  }

  /** virSecurityManagerReserveLabel(): a running guest found at daemon start keeps its labels. */
  async reserveLabel(guest: GuestSecurityInput): Promise<void> {
    for (const d of this.drivers) {
      const sec = guest.seclabels.find((s) => s.model === d.name);
      if (sec) await d.reserveLabel(guest, sec);
    }
  }

  /** virSecurityManagerReleaseLabel(): after stop (dynamic labels are cleared from the live def). */
  async releaseLabel(guest: GuestSecurityInput): Promise<void> {
    for (const d of this.drivers) {
      const sec = guest.seclabels.find((s) => s.model === d.name);
      if (sec) await d.releaseLabel(guest, sec);
    }
  }

  /** Labels every guest path, driver by driver; on failure undoes what was done and throws. */
  async setAllLabel(guest: GuestSecurityInput): Promise<void> {
    const done: SecurityDriver[] = [];
    try {
      for (const d of this.drivers) {
        await d.setAllLabel(guest, this.labelFor(guest, d));
        done.push(d);
      }
    } catch (e) {
      for (const d of done.reverse()) await d.restoreAllLabel(guest, this.labelFor(guest, d)).catch(() => []);
      throw e;
    }
  }

  /** Gives every path back (reverse driver order). Returns the problems instead of throwing. */
  async restoreAllLabel(guest: GuestSecurityInput): Promise<RestoreIssue[]> {
    const issues: RestoreIssue[] = [];
    for (const d of [...this.drivers].reverse()) {
      const sec = guest.seclabels.find((s) => s.model === d.name);
      if (sec) issues.push(...(await d.restoreAllLabel(guest, sec)));
    }
    return issues;
  }

  /** Hotplug of a disk/chardev…: `guest.paths` must already include `p`. */
  async setPathLabel(guest: GuestSecurityInput, p: GuestPath): Promise<void> {
    for (const d of this.drivers) await d.setPathLabel(guest, this.labelFor(guest, d), p);
  }

  /** Hot-unplug: `guest.paths` must no longer include `p`. */
  async restorePathLabel(guest: GuestSecurityInput, p: GuestPath): Promise<RestoreIssue[]> {
    const issues: RestoreIssue[] = [];
    for (const d of [...this.drivers].reverse()) {
      const sec = guest.seclabels.find((s) => s.model === d.name);
      if (sec) issues.push(...(await d.restorePathLabel(guest, sec, p)));
    }
    return issues;
  }

  /** How to start QEMU: ids, groups, capabilities, exec label, AppArmor profile. */
  async processLaunch(guest: GuestSecurityInput): Promise<LaunchSpec> {
    const spec: LaunchSpec = { uid: 0, gid: 0, groups: [], keepCaps: true };
    for (const d of [...this.drivers].reverse()) await d.launch(guest, this.labelFor(guest, d), spec);
    return spec;
  }
}

/** Which primary driver security_driver asks for, given what the host has. */
export function choosePrimary(names: string[], have: { selinux: boolean; apparmor: boolean }): string {
  const wanted = names.filter((n) => n !== 'dac');
  if (wanted.length > 1)
    throw virError(ErrorCode.CONFIG_UNSUPPORTED, ErrorDomain.SECURITY, `Security driver stacking of ${wanted.join(', ')} is not supported`);
  const n = wanted[0];
  if (n === undefined) return have.selinux ? 'selinux' : have.apparmor ? 'apparmor' : 'none';
  if (n === 'none') return 'none';
  if (n === 'selinux' || n === 'apparmor') {
    if (!have[n]) throw virError(ErrorCode.CONFIG_UNSUPPORTED, ErrorDomain.SECURITY, `Security driver ${n} not enabled`);
    return n;
  }
  throw virError(ErrorCode.CONFIG_UNSUPPORTED, ErrorDomain.SECURITY, `Security driver ${n} not found`);
}

/**
 * Builds the manager for a driver instance. Privileged (system, or an embedded root opened by root):
 * QEMU runs as user/group of qemu.conf with ownership management as configured. Unprivileged (session,
 * or an embedded root opened by a user): QEMU runs as the caller and no ownership is changed.
 */
export async function createSecurityManager(cfg: SecurityConfig, ctx: SecurityContext, host: ManagerHost = {}): Promise<SecurityManager> {
  const selinux = host.selinux ?? new HostSelinux();
  const primaryName = choosePrimary(cfg.securityDriverNames, {
    selinux: selinux.enabled(),
    // AppArmor profiles are loaded by root only: an unprivileged driver does not pick it by itself.
    apparmor: host.apparmorEnabled ?? (ctx.privileged && apparmorEnabled()),
  });
  const db = host.userDb ?? (await loadUserDb());
  let dac: DacDriver;
  if (ctx.privileged) {
    const ids = await resolveIds(cfg.user, cfg.group, db);
    dac = new DacDriver({ ...ids, dynamicOwnership: cfg.dynamicOwnership, rememberOwner: cfg.rememberOwner, userDb: db });
  } else {
    const uid = process.getuid?.() ?? 0;
    const gid = process.getgid?.() ?? 0;
    const groups = process.getgroups?.() ?? [gid];
    dac = new DacDriver({ uid, gid, groups, dynamicOwnership: false, rememberOwner: false, userDb: db });
  }
  let primary: SecurityDriver;
  if (primaryName === 'selinux') primary = new SelinuxDriver({ kernel: selinux, rememberOwner: cfg.rememberOwner && ctx.privileged });
  else if (primaryName === 'apparmor') primary = new AppArmorDriver(host.apparmor);
  else primary = new NoneDriver();
  return new SecurityManager([primary, dac], cfg, ctx);
}
