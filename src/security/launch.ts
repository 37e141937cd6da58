// How a LaunchSpec becomes a command: util-linux setpriv sets uid, gid, supplementary groups, clears the
// capability sets (non-root QEMU) and applies the SELinux exec label / AppArmor profile, then execs.
import type { LaunchSpec } from './types.js';

/** Is a privilege change needed to run as `spec` from this process? */
export function needsPrivilegeChange(spec: LaunchSpec, self = { uid: process.getuid?.() ?? 0, gid: process.getgid?.() ?? 0 }): boolean {
  return spec.uid !== self.uid || spec.gid !== self.gid || !spec.keepCaps || !!spec.execLabel || !!spec.apparmorProfile;
}

/**
 * The setpriv argv prefix (ends with "--"): `setpriv --reuid=U --regid=G --groups=… [--inh-caps=-all
 * --ambient-caps=-all --bounding-set=-all] [--selinux-label=L] [--apparmor-profile=P] -- qemu …`.
 */
export function setprivArgv(spec: LaunchSpec, setpriv = 'setpriv'): string[] {
  const a = [setpriv, `--reuid=${spec.uid}`, `--regid=${spec.gid}`];
  a.push(spec.groups.length ? `--groups=${spec.groups.join(',')}` : '--clear-groups');
  if (!spec.keepCaps) a.push('--inh-caps=-all', '--ambient-caps=-all', '--bounding-set=-all');
  if (spec.execLabel) a.push(`--selinux-label=${spec.execLabel}`);
  if (spec.apparmorProfile) a.push(`--apparmor-profile=${spec.apparmorProfile}`);
  a.push('--');
  return a;
}
