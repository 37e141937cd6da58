// Public interface of the isolation layer (security drivers), as the QEMU driver calls it.
//
// Driver open:
//   mgr = await createSecurityManager(cfg, { privileged, mode })      cfg: QemuDriverConfig (qemu.conf)
//   capabilities XML: formatSecmodels(mgr.models())                   → <host><secmodel>…
//
// Start (in this order):
//   guest = { name, uuid, virtType, seclabels: parseSeclabels(domainXml) or def's, paths: collectGuestPaths(res, cfg) }
//   await mgr.genLabel(guest)                    labels for every driver (MCS pair, profile name, +uid:+gid)
//   spec = await mgr.processLaunch(guest)         uid/gid/groups/keepCaps/execLabel/apparmorProfile
//   problems = await preflight(guest.paths, spec, { dacRelabel: cfg.dynamicOwnership })
//       if problems.length: mgr.releaseLabel(guest); fail with formatPreflight(name, problems)
//   await mgr.setAllLabel(guest)                  chown/relabel/profile; undoes itself and throws on failure
//   spawn QEMU with spec (setprivArgv(spec) or spawnQemu runAs), inside its cgroup (src/cgroup)
//   live XML: formatSeclabels(guest.seclabels)    → <seclabel> elements; save them in the status XML
//   on any later start failure: restoreAllLabel + releaseLabel
//
// Stop (after QEMU exited):
//   issues = await mgr.restoreAllLabel(guest)     owners/labels back (log issues; never throws per path)
//   await mgr.releaseLabel(guest)                 frees the MCS pair; clears dynamic labels
//
// Daemon restart, for each running guest (labels read back from the status XML):
//   await mgr.reserveLabel(guest)
//
// Hotplug: add the path to guest.paths, then mgr.setPathLabel(guest, p) (AppArmor rewrites .files);
// unplug: remove it from guest.paths, then mgr.restorePathLabel(guest, p).
export type { GuestPath, GuestPathKind, GuestSecurityInput, LaunchSpec, SecLabel, SecLabelType, SecModel, SecurityConfig, SecurityContext } from './types.js';
export type { RestoreIssue, SecurityDriver } from './driver.js';
export { SecurityManager, createSecurityManager, choosePrimary, type ManagerHost } from './manager.js';
export { DacDriver, dacRelabels, isExclusive } from './dac.js';
export { SelinuxDriver, McsAllocator, DEFAULT_CONTEXTS, parseContext, withLevel, parseMcsRange, parseMcsPair, selinuxPathLabel } from './selinux.js';
export { HostSelinux, type SelinuxKernel } from './selinux-kernel.js';
export {
  AppArmorDriver,
  apparmorEnabled,
  profileName,
  generateProfile,
  generateFilesInclude,
  BUILTIN_TEMPLATE,
  DEFAULT_PROFILES_DIR,
} from './apparmor.js';
export { NoneDriver } from './none.js';
export { collectGuestPaths, pathsInQemuArgs, domainShortName, type GuestResources, type GuestDiskSource, type GuestChardevSource, type GuestDirs } from './paths.js';
export { preflight, formatPreflight, ancestors, type PreflightProblem, type PreflightIdentity } from './preflight.js';
export { formatSecmodels, formatSeclabels, parseSeclabels, parseSeclabelElements } from './xml.js';
export { guestResourcesFromDef, guestSecurityInputFromDef, guestDevicesFromDef, cgroupTuningFromDef } from './domain.js';
export { setprivArgv, needsPrivilegeChange } from './launch.js';
export { rememberLabel, recallLabel, peekRemembered, hostBootTime, attrName, refAttrName, timestampAttrName } from './remember.js';
export { resolveIds, loadUserDb, formatDacLabel, parseDacLabel, type UserDb, type ResolvedIds } from './users.js';
