// The driver's side of guest isolation (src/security, src/cgroup): labels, QEMU's identity,
// preflight, ownership of the per-domain directory, the cgroup, and the <seclabel>s of the live XML.
import { existsSync } from 'node:fs';
import { chown } from 'node:fs/promises';
import { createGuestCgroup, type DomainCgroup, openGuestCgroup } from '../../cgroup/index.js';
import type { DomainDef } from '../../conf/domain/index.js';
import {
  cgroupTuningFromDef,
  formatPreflight,
  formatSeclabels,
  type GuestPath,
  type GuestSecurityInput,
  guestDevicesFromDef,
  guestSecurityInputFromDef,
  type LaunchSpec,
  needsPrivilegeChange,
  type PreflightProblem,
  preflight,
  type SecLabel,
  setprivArgv,
} from '../../security/index.js';
import { ErrorCode, ErrorDomain, fromSystemError, type VirError, virError } from '../../util/errors.js';
import { children, el, formatXml, parseXml } from '../../util/xml.js';
import type { QemuDriverState } from './state.js';

const SETPRIV = existsSync('/usr/bin/setpriv') ? '/usr/bin/setpriv' : 'setpriv';

/** The guest as the security manager sees it, with the driver's per-domain directory (id ≥ 0). */
export function guestInput(drv: QemuDriverState, def: DomainDef): GuestSecurityInput {
  return guestSecurityInputFromDef(def, { libDir: drv.dirs.libDir, stateDir: drv.dirs.stateDir, logDir: drv.dirs.logDir });
}

/** The error a start fails with when preflight found problems (the text names each blocking path). */
export function preflightError(name: string, problems: readonly PreflightProblem[]): VirError {
  return virError(ErrorCode.OPERATION_FAILED, ErrorDomain.SECURITY, formatPreflight(name, problems).trimEnd());
}

export interface Isolation {
  guest: GuestSecurityInput;
  spec: LaunchSpec;
  cgroup?: DomainCgroup;
  /** Models whose <seclabel> was not in the XML (generated here). */
  implicit: Set<string>;
}

/**
 * Everything before QEMU is spawned, in libvirt's order: labels generated, launch identity, preflight,
 * files labelled, per-domain directory handed to QEMU's user, cgroup created. On failure whatever was
 * done is undone and the error is rethrown.
 */
export async function prepareIsolation(drv: QemuDriverState, live: DomainDef, libDir: string, extraFiles: string[]): Promise<Isolation> {
  const mgr = await drv.securityManager();
  const guest = guestInput(drv, live);
  const implicit = new Set(mgr.drivers.map((d) => d.name).filter((m) => !guest.seclabels.some((s) => s.model === m || (!s.model && m === mgr.primary.name))));
  await mgr.genLabel(guest);
  let labelled = false;
  let cgroup: DomainCgroup | undefined;
  try {
    const spec = await mgr.processLaunch(guest);
    // libvirt's qemuProcessMakeDir + domain path labelling: QEMU creates its monitor socket in the
    // per-domain directory and reads the master key there, so both belong to its user.
    if (spec.uid !== (process.getuid?.() ?? 0) || spec.gid !== (process.getgid?.() ?? 0)) {
      for (const p of [libDir, ...extraFiles]) {
        try {
          await chown(p, spec.uid, spec.gid);
        } catch (e) {
          throw fromSystemError(`unable to set ownership of '${p}' to ${spec.uid}:${spec.gid}`, e, ErrorDomain.SECURITY);
        }
      }
    }
    const problems = await preflight(guest.paths, spec, { dacRelabel: drv.cfg.dynamicOwnership });
    if (problems.length) throw preflightError(live.name, problems);
    await mgr.setAllLabel(guest);
    labelled = true;
    cgroup = await createGuestCgroup(
      { id: live.id, name: live.name, devices: guestDevicesFromDef(live), tuning: cgroupTuningFromDef(live) },
      cgroupOptions(drv),
    );
    return { guest, spec, cgroup, implicit };
  } catch (e) {
    if (labelled) await mgr.restoreAllLabel(guest).catch(() => []);
    await mgr.releaseLabel(guest).catch(() => {});
    throw e;
  }
}

export function cgroupOptions(drv: QemuDriverState) {
  return {
    privileged: drv.cfg.privileged,
    root: drv.dirs.root ?? undefined,
    deviceAcl: drv.cfg.cgroupDeviceACL,
    controllersMask: drv.cfg.cgroupControllers,
  };
}

/** The command actually executed: [cgroup join →] [setpriv →] QEMU. */
export function launchArgv(iso: Isolation, emulator: string, args: string[]): string[] {
  let argv = [...(needsPrivilegeChange(iso.spec) ? setprivArgv(iso.spec, SETPRIV) : []), emulator, ...args];
  if (iso.cgroup) argv = iso.cgroup.wrapArgv(argv);
  return argv;
}

/** Writes the guest's labels into the live definition (<seclabel> elements; implicit 'none' left out). */
export function setLiveSeclabels(def: DomainDef, labels: readonly SecLabel[], implicit: ReadonlySet<string>): void {
  const shown = labels.filter((l) => !(l.model === 'none' && implicit.has('none')));
  const text = formatXml(el('seclabels', [], ...formatSeclabels(shown)));
  def.raw.seclabel = children(parseXml(text, '(seclabels)'), 'seclabel');
}

/** Daemon restart: labels read back from the status XML are reserved; the cgroup is found again. */
export async function reattachIsolation(drv: QemuDriverState, live: DomainDef): Promise<{ guest: GuestSecurityInput; cgroup?: DomainCgroup }> {
  const guest = guestInput(drv, live);
  await (await drv.securityManager()).reserveLabel(guest).catch(() => {});
  let cgroup: DomainCgroup | undefined;
  try {
    cgroup = openGuestCgroup({ id: live.id, name: live.name }, cgroupOptions(drv));
  } catch {
    cgroup = undefined;
  }
  return { guest, cgroup };
}

/**
 * `tsvirt domain-preflight`: the checks a start would make for the domain's definition, without
 * labelling anything (labels are generated to learn QEMU's identity, then released).
 */
export async function preflightDef(drv: QemuDriverState, def: DomainDef): Promise<PreflightProblem[]> {
  const guest = guestInput(drv, def);
  const mgr = await drv.securityManager();
  await mgr.genLabel(guest);
  try {
    const spec = await mgr.processLaunch(guest);
    // The per-domain directory is created under the driver's lib dir: QEMU must reach into it.
    const paths: GuestPath[] = [...guest.paths, { path: drv.dirs.libDir, kind: 'other', directory: true, origin: 'driver lib directory' }];
    return await preflight(paths, spec, { dacRelabel: drv.cfg.dynamicOwnership });
  } finally {
    await mgr.releaseLabel(guest).catch(() => {});
  }
}
