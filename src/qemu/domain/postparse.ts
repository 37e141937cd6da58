// QEMU post-parse (qemuDomainDefPostParse + qemuDomainDeviceDefPostParse): the defaults libvirt's
// QEMU driver fills in at define time — emulator, machine, default CPU, default controllers and
// devices, device models, MACs — followed by PCI address assignment.
import { qemuDiskPostParse } from './disk.js';
import { randomBytes } from 'node:crypto';
import { configUnsupported } from '../../util/errors.js';
import { ErrorDomain } from '../../util/errors.js';
import { accelFor, getMachine, machineDefaultCpuModel } from '../caps/cache.js';
import type { QemuCaps } from '../caps/types.js';
import type { DomainDef } from '../../conf/domain/types.js';
import { type ControllerDef, insertController } from '../../conf/domain/devices/controller.js';
import { genericPostParse } from '../../conf/domain/postparse.js';
import { assignSpaprVioAddresses } from './spaprvio.js';
import { assignAddresses } from './address.js';
import { miscDevicesPostParse } from './misc.js';
import { assignVirtioSerialPorts } from './chardev.js';
import { firmwareNvramPostParse } from './firmware.js';
import { assignMemorySlots, rectifyNumaCpus } from './memory.js';
import { isQ35, isI440fx } from './machine.js';
import { addDefaultAudioBackend, addImplicitVideo, graphicsGenericPostParse, recheckInternalPaths, videoPostParse } from './graphics.js';
import type { QemuDriverConfig } from '../config.js';

const unsupported = (m: string) => configUnsupported(m, ErrorDomain.QEMU);

/** Caps for a definition: emulator-specific caps, or empty caps for unknown emulators. */
export interface PostParseOptions {
  /** Generate MAC addresses (define time); false keeps nets without MAC untouched. */
  generateMac?: (i: number) => string;
  /** Random source for generated ids (genid, MACs); defaults to crypto. */
  randomBytes?: (n: number) => Uint8Array;
  /** The driver's NVRAM dir (qemu.conf nvram_dir): varstores of read-only pflash loaders go there. */
  nvramDir?: string;
  /** Driver config (default audio backend, internal socket paths). */
  cfg?: QemuDriverConfig;
  /** The daemon's environment (QEMU_AUDIO_DRV, SDL_AUDIODRIVER). */
  env?: Record<string, string | undefined>;
  /** Parsing live/status XML rather than an inactive definition. */
  live?: boolean;
}

function defaultMac(rnd: (n: number) => Uint8Array): string {
  const b = rnd(3);
  return `52:54:00:${[...b].map((x) => x.toString(16).padStart(2, '0')).join(':')}`;
}

function addController(def: DomainDef, c: Omit<ControllerDef, 'info'> & { info?: ControllerDef['info'] }): ControllerDef {
  const full: ControllerDef = { info: {}, ...c };
  insertController(def.devices.controllers, full);
  return full;
}

function findController(def: DomainDef, type: string, index = 0): ControllerDef | undefined {
  return def.devices.controllers.find((c) => c.type === type && c.index === index);
}

/** libvirt sorts controllers by type then index after adding implicit ones (virDomainControllerInsert). */
function sortControllers(def: DomainDef): void {
  // Stable insertion order as libvirt: controllers keep document order, implicit ones are appended
  // next to the last controller of the same type, or at the end.
  void def;
}

export function qemuPostParse(def: DomainDef, caps: QemuCaps, opts: PostParseOptions = {}): void {
  const d = def.devices;
  const rnd = opts.randomBytes ?? ((n: number) => new Uint8Array(randomBytes(n)));
  // emulator
  if (!d.emulator) d.emulator = caps.emulator || `/usr/bin/qemu-system-${def.os.arch ?? caps.arch}`;
  // arch
  if (!def.os.arch) def.os.arch = caps.arch || 'x86_64';
  const capsArch = caps.arch;
  const emulatorSupportsArch = capsArch === def.os.arch || (capsArch === 'x86_64' && def.os.arch === 'i686');
  if (!emulatorSupportsArch) {
    throw unsupported(`Emulator '${d.emulator}' does not support arch '${def.os.arch}'`);
  }
  let accel: ReturnType<typeof accelFor>;
  try {
    accel = accelFor(def.type);
  } catch {
    throw unsupported(`Emulator '${d.emulator}' does not support virt type '${def.type}'`);
  }
  // virQEMUCapsIsVirtTypeSupported: the accelerator's capability flag (or at least its machine list)
  if (!caps.flags.has(accel) && !caps.accel[accel]?.machines.length) {
    throw unsupported(`Emulator '${d.emulator}' does not support virt type '${def.type}'`);
  }
  if (!def.os.machine) {
    const m = caps.accel[accel]?.machines.find((x) => x.default) ?? caps.accel[accel]?.machines[0];
    if (m) def.os.machine = m.name;
  }
  if (def.os.machine && !getMachine(caps, accel, def.os.machine)) {
    throw unsupported(`Emulator '${d.emulator}' does not support machine type '${def.os.machine}'`);
  }
  const q35 = isQ35(def);
  const i440fx = isI440fx(def);
  // default devices (qemuDomainDefAddDefaultDevices)
  if (i440fx) {
    if (!findController(def, 'usb', 0)) addController(def, { type: 'usb', index: 0 });
    if (!findController(def, 'pci', 0)) addController(def, { type: 'pci', index: 0, model: 'pci-root' });
  } else if (q35) {
    if (!findController(def, 'usb', 0)) addController(def, { type: 'usb', index: 0, model: 'qemu-xhci' });
    if (!findController(def, 'sata', 0)) addController(def, { type: 'sata', index: 0 });
    if (!findController(def, 'pci', 0)) addController(def, { type: 'pci', index: 0, model: 'pcie-root' });
  }
  genericPostParse(def);
  rectifyNumaCpus(def);
  firmwareNvramPostParse(def, opts.nvramDir);
  // implicit PS/2 input devices on x86
  if (def.os.arch === 'x86_64' || def.os.arch === 'i686') {
    if (!d.inputs.some((i) => i.type === 'mouse' && i.bus === 'ps2')) d.inputs.push({ type: 'mouse', bus: 'ps2', info: {} });
    if (!d.inputs.some((i) => i.type === 'keyboard' && i.bus === 'ps2')) d.inputs.push({ type: 'keyboard', bus: 'ps2', info: {} });
    // libvirt lists the implicit ps2 devices in the order mouse, keyboard after explicit inputs of other buses
    const ps2 = d.inputs.filter((i) => i.bus === 'ps2');
    const others = d.inputs.filter((i) => i.bus !== 'ps2');
    d.inputs = [...others, ...ps2];
  }
  // default memballoon
  if (!d.memballoon) d.memballoon = { model: 'virtio', info: {} };
  // graphics, default audio backend, implicit video
  graphicsGenericPostParse(def);
  recheckInternalPaths(def, opts.cfg, !opts.live);
  addDefaultAudioBackend(def, opts.cfg, opts.env ?? {});
  addImplicitVideo(def);
  // default CPU
  // qemuDomainDefSetDefaultCPU: a custom-mode CPU without a model gets the machine's default model
  if (!def.cpu || ((def.cpu.mode ?? 'custom') === 'custom' && !def.cpu.model)) {
    const model = def.os.machine ? machineDefaultCpuModel(caps, accel, def.os.machine) : undefined;
    if (model && (def.os.arch === 'x86_64' || def.os.arch === 'i686')) {
      def.cpu = { ...(def.cpu ?? { features: [] }), mode: 'custom', match: 'exact', check: 'none', model, fallback: 'forbid' };
    }
  } else {
    const cpu = def.cpu;
    if (cpu.model && !cpu.mode) cpu.mode = 'custom';
    if (cpu.mode === 'custom' && cpu.model) {
      cpu.match ??= 'exact';
      cpu.fallback ??= 'allow';
      cpu.check ??= def.type === 'kvm' ? 'partial' : 'none';
    } else if (cpu.mode === 'host-passthrough' || cpu.mode === 'maximum') {
      cpu.check ??= 'none';
      cpu.migratable ??= 'on';
    } else if (cpu.mode === 'host-model') {
      cpu.check ??= 'partial';
    }
    if (!cpu.mode && (cpu.topology || cpu.numa)) {
      // topology-only <cpu>: libvirt keeps it without mode
    }
  }
  // controllers' models
  for (const c of d.controllers) {
    if (c.type === 'usb' && c.model === undefined && c.index === 0) c.model = q35 ? 'qemu-xhci' : 'piix3-uhci';
    else if (c.type === 'usb' && c.model === undefined) c.model = q35 ? 'qemu-xhci' : 'piix3-uhci';
    if (c.type === 'scsi' && c.model === undefined) {
      const usedByVirtio = false;
      c.model = usedByVirtio ? 'virtio-scsi' : 'lsilogic';
    }
    if (c.type === 'pci' && c.model === undefined && c.index === 0) c.model = q35 ? 'pcie-root' : 'pci-root';
  }
  // serial target types
  for (const s of d.serials) {
    if (s.targetType === undefined) s.targetType = 'isa-serial';
    if (s.targetModel === undefined) {
      if (s.targetType === 'isa-serial') s.targetModel = 'isa-serial';
      else if (s.targetType === 'usb-serial') s.targetModel = 'usb-serial';
      else if (s.targetType === 'pci-serial') s.targetModel = 'pci-serial';
      else if (s.targetType === 'isa-debug') s.targetModel = 'isa-debugcon';
    }
  }
  // videos
  videoPostParse(def);
  // net models and MACs
  d.nets.forEach((n, i) => {
    // qemuDomainDeviceNetDefPostParse: vDPA interfaces are virtio; others default to rtl8139 on x86
    if (!n.model && n.type === 'vdpa') n.model = 'virtio';
    else if (!n.model && n.type !== 'hostdev') n.model = 'rtl8139';
    if (!n.mac) {
      n.mac = opts.generateMac ? opts.generateMac(i) : defaultMac(rnd);
      n.macGenerated = true;
    }
  });
  // disk defaults
  for (const disk of d.disks) qemuDiskPostParse(disk);
  if (def.genidGenerated && !def.genid) {
    const b = rnd(16);
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    const h = Buffer.from(b).toString('hex');
    def.genid = `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
  }
  miscDevicesPostParse(def);
  assignVirtioSerialPorts(def);
  assignSpaprVioAddresses(def);
  assignAddresses(def, caps);
  assignMemorySlots(def);
  sortControllers(def);
}

const CONTROLLER_ORDER = ['ide', 'fdc', 'scsi', 'sata', 'virtio-serial', 'ccid', 'usb', 'pci', 'xenbus', 'isa'];

/** virDomainControllerInsertPreAlloced: keep controllers grouped by type, sorted by index within a type. */
export function sortControllersByType(def: DomainDef): void {
  const list = def.devices.controllers;
  const out: ControllerDef[] = [];
  for (const c of list) {
    // insert after the last controller of the same type with a lower index, else after last of same type,
    // else at end
    let pos = -1;
    for (let i = out.length - 1; i >= 0; i--) {
      if (out[i].type === c.type) {
        if (out[i].index < c.index) {
          pos = i + 1;
          break;
        }
        pos = i;
      }
    }
    if (pos < 0) out.push(c);
    else out.splice(pos, 0, c);
  }
  def.devices.controllers = out;
  void CONTROLLER_ORDER;
}

/** virDomainVirtioSerialAddrAutoAssign: virtio channels take ports from 1 (consoles stay unaddressed). */
export function assignVirtioSerialAddresses(def: DomainDef): void {
  const used = new Map<string, Set<number>>();
  const key = (c: number, b: number) => `${c}:${b}`;
  const chrs = def.devices.channels.filter((c) => c.targetType === 'virtio');
  for (const c of chrs) {
    const a = c.info.address;
    if (a?.type === 'virtio-serial') {
      const k = key(a.controller, a.bus);
      if (!used.has(k)) used.set(k, new Set());
      used.get(k)?.add(a.port);
    }
  }
  for (const c of chrs) {
    if (c.info.address) continue;
    const k = key(0, 0);
    if (!used.has(k)) used.set(k, new Set());
    const s = used.get(k) as Set<number>;
    let port = c.deviceType === 'console' ? 0 : 1;
    while (s.has(port)) port++;
    s.add(port);
    c.info.address = { type: 'virtio-serial', controller: 0, bus: 0, port };
  }
}
