// Prepare a definition for start (qemuProcessPrepareDomain + the host-independent parts of
// qemuProcessPrepareHost): device aliases, block node names, chardev paths, the live id. The
// result is what the live XML shows; buildCommandLine consumes it.
import { prepareGraphics, prepareVideos } from './graphics.js';
import { shortName } from '../command/util.js';
import type { DomainDef } from '../../conf/domain/types.js';
import type { QemuCaps } from '../caps/types.js';
import type { QemuDriverConfig } from '../config.js';
import type { Host } from '../command/host.js';
import { assignAliases } from './alias.js';
import { alignMemorySizes } from './memory.js';
import { updateGuestCpu } from './cpu.js';
import { prepareAllowReboot } from './features.js';
import { prepareDiskStorage } from './storage.js';
import { prepareFirmware } from './firmware.js';
import { prepareChardevs } from './chardev.js';
import { assignUsbAddresses } from './usb.js';
import { chainOf } from '../../conf/domain/storage.js';
import { configUnsupported, ErrorDomain } from '../../util/errors.js';

export interface PrepareOptions {
  /** Live id to give the domain (the driver's next id); -1 keeps it. */
  id?: number;
  /**
   * Build-only preparation (libvirt's pretend start, as in domxml-to-native and the test suite):
   * skips the process-init decisions such as whether the guest may reboot.
   */
  pretend?: boolean;
}


/** qemuDomainPrepareDiskSource / node-name assignment: disks last to first, chain top first. */
export function assignNodeNames(def: DomainDef): void {
  let n = 0;
  const disks = def.devices.disks;
  for (let i = disks.length - 1; i >= 0; i--) {
    for (const s of chainOf(disks[i].src)) {
      n++;
      s.index ??= n;
      s.nodeStorage = `libvirt-${n}-storage`;
      s.nodeFormat = `libvirt-${n}-format`;
    }
  }
}

/** Applies caps changes from <qemu:capabilities> (on a copy). */
export function effectiveCaps(def: DomainDef, caps: QemuCaps): QemuCaps {
  if (!def.qemu || (!def.qemu.capsAdd.length && !def.qemu.capsDel.length)) return caps;
  const flags = new Set(caps.flags);
  for (const f of def.qemu.capsAdd) flags.add(f);
  for (const f of def.qemu.capsDel) flags.delete(f);
  return { ...caps, flags };
}

export function prepareDomainForStart(def: DomainDef, caps: QemuCaps, host: Host, cfg: QemuDriverConfig, opts: PrepareOptions = {}): DomainDef {
  const d: DomainDef = structuredClone(def);
  if (opts.id !== undefined) d.id = opts.id;
  // qemuDomainAssignAddresses at start (newDomain): USB ports
  assignUsbAddresses(d);
  assignAliases(d);
  if (!opts.pretend) prepareAllowReboot(d);
  alignMemorySizes(d);
  updateGuestCpu(d, effectiveCaps(d, caps));
  assignBootIndices(d);
  prepareDiskStorage(d, host, cfg);
  prepareFirmware(d, host, cfg);
  prepareChardevs(d, host, cfg);
  // graphics listens/ports/render nodes/TLS, vhost-user GPUs
  prepareGraphics(d, host, cfg, `${cfg.libDir}/domain-${shortName(d)}`, { pretend: opts.pretend });
  prepareVideos(d, host);
  // qemu:override aliases must exist
  if (d.qemu?.overrides.length) {
    const aliases = collectAliases(d);
    for (const o of d.qemu.overrides) {
      if (!aliases.has(o.alias)) throw configUnsupported(`device '${o.alias}' not found for qemu:override`, ErrorDomain.QEMU);
    }
  }
  void caps;
  void host;
  return d;
}

export function collectAliases(def: DomainDef): Set<string> {
  const s = new Set<string>();
  const d = def.devices;
  const lists = [d.disks, d.controllers, d.nets, d.serials, d.parallels, d.consoles, d.channels, d.inputs, d.videos, d.rngs, d.filesystems, d.sounds, d.hostdevs, d.redirdevs, d.hubs, d.watchdogs, d.smartcards, d.tpms, d.shmems, d.memories, d.panics];
  for (const l of lists) for (const x of l as Array<{ info: { alias?: string } }>) if (x.info.alias) s.add(x.info.alias);
  for (const x of [d.memballoon, d.vsock, d.iommu]) if (x?.info.alias) s.add(x.info.alias);
  return s;
}

/**
 * qemuProcessPrepareDeviceBootorder: <os><boot dev=…> gives the first disk of each kind (and the
 * first non-hostdev NIC) the position of its boot entry as boot index.
 */
export function assignBootIndices(def: DomainDef): void {
  const d = def.devices;
  for (const x of [...d.disks, ...d.nets, ...d.hostdevs, ...d.redirdevs] as Array<{ info: { bootIndex?: number; effectiveBootIndex?: number } }>) {
    if (x.info.bootIndex) x.info.effectiveBootIndex = x.info.bootIndex;
  }
  if (!def.os.bootDevs.length) return;
  let cd = 0;
  let fd = 0;
  let hd = 0;
  let net = 0;
  def.os.bootDevs.forEach((dev, i) => {
    if (dev === 'cdrom') cd = i + 1;
    else if (dev === 'fd') fd = i + 1;
    else if (dev === 'hd') hd = i + 1;
    else if (dev === 'network') net = i + 1;
  });
  for (const disk of d.disks) {
    const set = (v: number) => {
      if (v) disk.info.effectiveBootIndex = v;
    };
    if (disk.device === 'cdrom') {
      set(cd);
      cd = 0;
    } else if (disk.device === 'floppy') {
      set(fd);
      fd = 0;
    } else {
      set(hd);
      hd = 0;
    }
  }
  if (net) {
    const n = d.nets.find((x) => x.type !== 'hostdev');
    if (n) n.info.effectiveBootIndex = net;
  }
}
