// Public interface of the cgroup layer, called by the QEMU driver:
//
//   start:  cg = await createGuestCgroup(guest, opts)     before QEMU is spawned (undefined = no cgroups:
//                                                          unprivileged driver, or nothing mounted)
//           argv = cg.wrapArgv(argv)                       QEMU joins its cgroup before exec
//           (or cg.addProcess(pid) right after spawn)
//   hotplug: cg.allowDevice(rule) / cg.denyDevice(rule)   rule from ruleForPath(blockdev, 'rw'|'r')
//   stop:   await removeDomainCgroup(cg)                   after QEMU exited
//   reconnect: cg = openGuestCgroup(guest, opts)           daemon restart: find the existing cgroup
import { type DeviceRule, type GuestDevice, computeDeviceAcl } from './acl.js';
import {
  type CgroupLayout,
  type CgroupTuning,
  type DomainCgroup,
  createDomainCgroup,
  detectLayout,
  openDomainCgroup,
} from './cgroup.js';
import { directCgroupPath, machineName } from './naming.js';

export * from './acl.js';
export * from './cgroup.js';
export * from './naming.js';

/** Bit order of QemuDriverConfig.cgroupControllers (qemu.conf cgroup_controllers). */
export const CONTROLLER_BITS = ['cpu', 'cpuacct', 'cpuset', 'memory', 'devices', 'freezer', 'blkio', 'net_cls', 'perf_event', 'name=systemd'];

/** cgroup_controllers mask → names (-1 = every controller). */
export function controllersFromMask(mask: number): string[] | undefined {
  if (mask < 0) return undefined;
  return CONTROLLER_BITS.filter((_, i) => (mask & (1 << i)) !== 0);
}

export interface GuestCgroupInput {
  id: number;
  name: string;
  /** Block/char devices the guest's disks and hostdevs use (only device nodes end up in the ACL). */
  devices: GuestDevice[];
  tuning?: CgroupTuning;
}

export interface GuestCgroupOptions {
  privileged: boolean;
  /** Root of an embedded driver (changes the machine name, as in libvirt). */
  root?: string;
  userName?: string;
  /** qemu.conf cgroup_device_acl. */
  deviceAcl: readonly string[];
  /** qemu.conf cgroup_controllers mask (-1 = all). */
  controllersMask?: number;
  /** Resource partition (<resource><partition>), default /machine. */
  partition?: string;
  layout?: CgroupLayout;
}

/** The cgroup path of a guest (inside every hierarchy). */
export function guestCgroupPath(g: { id: number; name: string }, o: Pick<GuestCgroupOptions, 'privileged' | 'root' | 'userName' | 'partition'>): string {
  return directCgroupPath(machineName(g.id, g.name, { privileged: o.privileged, root: o.root, userName: o.userName }), o.partition);
}

/** Creates the guest's cgroup with its device ACL and tuning; undefined when cgroups are not used. */
export async function createGuestCgroup(g: GuestCgroupInput, o: GuestCgroupOptions): Promise<DomainCgroup | undefined> {
  if (!o.privileged) return undefined; // like libvirt's session driver: no cgroups of its own
  const layout = o.layout ?? detectLayout();
  const controllers = controllersFromMask(o.controllersMask ?? -1);
  if (!Object.keys(layout.v1).length && !layout.v2) return undefined;
  const wantsDevices = !controllers || controllers.includes('devices');
  const acl: DeviceRule[] | undefined = wantsDevices ? await computeDeviceAcl(o.deviceAcl, g.devices) : undefined;
  return createDomainCgroup(guestCgroupPath(g, o), { layout, controllers, deviceAcl: acl, tuning: g.tuning });
}

export function openGuestCgroup(g: { id: number; name: string }, o: GuestCgroupOptions): DomainCgroup | undefined {
  if (!o.privileged) return undefined;
  return openDomainCgroup(guestCgroupPath(g, o), o.layout ?? detectLayout(), controllersFromMask(o.controllersMask ?? -1));
}

