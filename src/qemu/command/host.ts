// Host facts the pure command builder needs. The driver passes a real host (opening files,
// sockets and taps before calling buildCommandLine); the conformance harness passes a host that
// mirrors libvirt's test environment. Nothing here is called for side effects on the model.
import type { HugetlbfsMount } from '../config.js';

export interface FirmwareDescriptor {
  /** File name (e.g. 50-ovmf-sb-keys.json), used for ordering. */
  name: string;
  /** Parsed JSON content (QEMU firmware interop descriptor). */
  json: unknown;
}

/** A storage pool volume as the storage driver describes it (virDomainDiskTranslateSourcePool). */
export interface VolumeInfo {
  /** What the volume is on the host. */
  type: 'file' | 'block' | 'dir';
  path: string;
  /** The pool's type (dir, disk, iscsi, …). */
  poolType: string;
  /** iSCSI pools: the portal hosts and the target IQN (used by mode='direct'). */
  hosts?: Array<{ name: string; port?: string }>;
  device?: string;
}

export interface Host {
  /** Whether the driver runs privileged (qemu:///system): selects HOME/XDG env of the child. */
  privileged: boolean;
  /** Host architecture (x86_64). */
  arch: string;
  /** The daemon's own environment, consulted for QEMU_AUDIO_DRV and friends. */
  env: Record<string, string | undefined>;
  /** Monitor: an already-listening fd handed to QEMU, or undefined to let QEMU listen on monitorPath. */
  monitorFd?: number;
  /** Path of the QMP monitor socket (used when monitorFd is undefined). */
  monitorPath(domainLibDir: string): string;
  /**
   * A listening unix socket opened on behalf of QEMU for a chardev in server mode (libvirt pre-opens
   * them); undefined lets QEMU create it (`path=…,server=on`).
   */
  chardevListenFd(path: string): number | undefined;
  /**
   * A file opened on behalf of QEMU for a file chardev / chardev log (passed through an fdset);
   * undefined lets QEMU open the path itself.
   */
  chardevFileFd(path: string, append: boolean, kind?: 'source' | 'log'): number | undefined;
  /** tap fds for a tap-backed NIC (one per queue) and the chosen ifname. */
  openTap(ifname: string | undefined, queues: number): { fds: number[]; ifname: string };
  /** vhost-net fds (one per queue). */
  openVhostNet(queues: number): number[];
  /** vhost-vsock fd. */
  openVhostVsock(): number;
  /** A free guest CID for <cid auto='yes'/> (libvirt probes from 3 upwards); default 3. */
  vsockGuestCid?(): number;
  /** vDPA device fd. */
  openVdpa(path: string): number;
  /** TPM passthrough device and cancel fds. */
  openTpmPassthrough(path: string, cancelPath: string): { tpmFd: number; cancelFd: number };
  /** The sysfs cancel path of a TPM device. */
  tpmCancelPath(path: string): string;
  /** The swtpm control socket of an emulated TPM, given libvirt's default path (optional override). */
  tpmEmulatorSocket?(defaultPath: string): string;
  /** vhost-scsi fd. */
  openVhostScsi(wwpn: string): number;
  /** The /dev/sg node of a local SCSI host device (adapter, bus, target, unit); default /dev/sg0. */
  scsiHostdevPath?(adapter: string, bus: number, target: number, unit: number): string;
  /** fds a client associated with the domain under a name (virDomainFDAssociate). */
  fdGroups: Record<string, number[]>;
  /** Random bytes (master key, IVs, generated UUIDs). Pure from the builder's point of view. */
  randomBytes(n: number): Uint8Array;
  /**
   * The domain's master key (32 bytes) that wraps disk/TLS secrets: the same bytes must be written to
   * <libDir>/master-key.aes. When absent, prepare draws it from randomBytes(32).
   */
  masterKey?(): Uint8Array;
  /** Page size in KiB. */
  systemPageSizeKiB: number;
  /** Highest host NUMA node id (nodes 0..maxNode are available). */
  numaMaxNode: number;
  /** Current time (seconds since the epoch) for a variable guest clock offset. */
  nowSeconds?(): number;
  /** The host's local time offset from UTC in seconds (localtime-based variable clocks). */
  localOffsetSeconds?(): number;
  /** Message for an unavailable host NUMA node (default: libvirt's "NUMA node N is unavailable"). */
  numaNodeUnavailableMessage?(node: number): string;
  /** Hugetlbfs mounts, default first. */
  hugetlbfs: HugetlbfsMount[];
  /** Firmware descriptors in effect (merged etc/share lists, sorted). */
  firmware: FirmwareDescriptor[];
  /** DRM render node for gl=on without an explicit rendernode. */
  renderNode(): string;
  /** The socket fd of a started vhost-user GPU backend for a video device (by its alias). */
  openVhostUserGpu?(videoAlias: string): number;
  /**
   * A free TCP port from the driver's pool for graphics autoport ('remote': remote_display_port_min..max,
   * 'websocket': remote_websocket_port_min..max). Without it (or in pretend mode) libvirt's fixed
   * pretend values are used: VNC 5900, SPICE 5901/5902.
   */
  allocatePort?(pool: 'remote' | 'websocket'): number;
  /** Whether a path exists on the host (nvram files, cdrom devices). */
  pathExists(path: string): boolean;
  /** Whether a local block device is a CD-ROM drive (host_cdrom). */
  isHostCdrom(path: string): boolean;
  /** Whether the host runs in FIPS mode. */
  fips: boolean;
  /** swtpm supported TPM versions. */
  swtpmVersions: string[];
  /** Secret values by UUID or usage, for disk/chardev/graphics secrets. */
  lookupSecret(uuidOrUsage: { uuid?: string; usage?: string; type?: string }): Uint8Array | undefined;
  /** Storage pool volume lookup for disk type='volume' (the storage driver). */
  lookupVolume?(pool: string, volume: string): VolumeInfo | undefined;
}
