// Types shared by the security drivers (DAC, SELinux, AppArmor) and the manager that stacks them.
// The manager works on a small description of the guest (GuestSecurityInput) so it does not depend on
// the full domain model; ./domain.ts builds that description from a DomainDef.

/** The qemu.conf settings the isolation layer reads. QemuDriverConfig (src/qemu/config.ts) extends it. */
export interface SecurityConfig {
  /** `user=` from qemu.conf: a name or `+UID`. */
  user: string;
  /** `group=` from qemu.conf: a name or `+GID`. */
  group: string;
  dynamicOwnership: boolean;
  rememberOwner: boolean;
  /** `security_driver=` (string or list); empty = auto-detect (libvirt's default). */
  securityDriverNames: string[];
  securityDefaultConfined: boolean;
  securityRequireConfined: boolean;
}

/** What kind of host resource a path is; decides the permission it needs and how it is labelled. */
export type GuestPathKind =
  | 'disk' // disk image or block device (also cdrom/floppy sources)
  | 'backing' // a layer of a disk's backing chain below the top (read-only, shared)
  | 'kernel'
  | 'initrd'
  | 'dtb'
  | 'loader' // firmware code (read-only)
  | 'nvram' // firmware variables (read-write, per guest)
  | 'chardev' // file/pipe/dev chardev source
  | 'socket' // unix socket created by QEMU (its directory must be writable) or connected to
  | 'log' // file QEMU writes (log, serial file output)
  | 'tpm'
  | 'hostdev'
  | 'memory' // memory backing file or directory
  | 'channel-dir' // directory QEMU creates channel sockets in
  | 'commandline' // a host path found in <qemu:commandline> arguments
  | 'emulator' // the QEMU binary (AppArmor maps it; nothing relabels it)
  | 'private' // per-guest directories of the driver (run/lib), owned by the driver
  | 'other';

/** One host path the guest needs. */
export interface GuestPath {
  path: string;
  kind: GuestPathKind;
  /** QEMU only reads it (<readonly/>, cdrom, loader, backing layers). */
  readonly?: boolean;
  /** Several guests use it at once (<shareable/>): never restored to the original owner/label. */
  shared?: boolean;
  /** <seclabel relabel='no'/> on this source: leave its owner and label alone. */
  norelabel?: boolean;
  /** QEMU creates the file itself (socket in server mode, log): only its directory must be reachable/writable. */
  create?: boolean;
  /** It is a directory QEMU works inside (channel dir, memory backing dir). */
  directory?: boolean;
  /** Element the path came from, for messages (e.g. "disk vda", "os/kernel"). */
  origin?: string;
}

export type SecLabelType = 'dynamic' | 'static' | 'none';

/** A <seclabel> of the domain XML (virSecurityLabelDef). */
export interface SecLabel {
  model: string;
  type: SecLabelType;
  relabel: boolean;
  label?: string;
  imagelabel?: string;
  baselabel?: string;
}

/** The guest as the isolation layer sees it. */
export interface GuestSecurityInput {
  name: string;
  uuid: string;
  /** 'qemu' (TCG) | 'kvm' | 'hvf'; picks the SELinux base type. */
  virtType: string;
  /** <seclabel> elements from the XML (may be empty); the manager fills in generated labels. */
  seclabels: SecLabel[];
  /** Every host path the guest uses (see collectGuestPaths). */
  paths: GuestPath[];
}

/** How the QEMU process must be started (fed to spawnQemu's runAs and setpriv). */
export interface LaunchSpec {
  uid: number;
  gid: number;
  /** Supplementary groups (the user's groups, as initgroups would give them). */
  groups: number[];
  /** Keep all capabilities (QEMU runs as root); otherwise clear every set and the bounding set. */
  keepCaps: boolean;
  /** SELinux exec context for QEMU (setexeccon / `setpriv --selinux-label`). */
  execLabel?: string;
  /** AppArmor profile to change to on exec (`setpriv --apparmor-profile`). */
  apparmorProfile?: string;
}

/** Node capabilities' <secmodel>. */
export interface SecModel {
  model: string;
  doi: string;
  baselabels: Array<{ type: string; label: string }>;
}

/** Driver instance flavour. An embedded root opened by root is privileged and behaves like the system instance. */
export interface SecurityContext {
  privileged: boolean;
  mode: 'system' | 'session' | 'embed';
}
