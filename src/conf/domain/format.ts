// DomainDef → libvirt-style XML (virDomainDefFormat): element order as libvirt writes it.
import { type OutElement, el } from '../../util/xml.js';
import { type FormatCtx, verbatim } from './common.js';
import { formatChr } from './devices/chardev.js';
import { formatController } from './devices/controller.js';
import { formatDisk } from './devices/disk.js';
import { formatGeneric } from './devices/generic.js';
import { formatGraphics } from './devices/graphics.js';
import { formatAudio } from './devices/audio.js';
import { formatSound } from './devices/sound.js';
import { formatInput } from './devices/input.js';
import { formatMemballoon } from './devices/memballoon.js';
import { formatMemoryDevice } from './devices/memory.js';
import { formatNet } from './devices/net.js';
import { formatRng } from './devices/rng.js';
import { formatVideo } from './devices/video.js';
import { QEMU_NS_URI, formatQemuNamespace } from './qemu-ns.js';
import { formatSource } from './storage.js';
import type { CpuDef, DomainDef } from './types.js';
import { renderXml } from './xmlout.js';

export interface FormatDomainOptions {
  /** Inactive view (VIR_DOMAIN_XML_INACTIVE): no id, aliases or runtime state. */
  inactive?: boolean;
  /** Include secrets such as graphics passwords (VIR_DOMAIN_XML_SECURE). */
  secure?: boolean;
  /** Status XML for the state dir (everything needed to reconnect). */
  status?: boolean;
}

export function formatDomainXML(def: DomainDef, opts: FormatDomainOptions = {}): string {
  return renderXml(formatDomainElement(def, opts));
}

function raw(def: DomainDef, name: string): OutElement[] {
  return (def.raw[name] ?? []).map(verbatim);
}

export function formatCpu(cpu: CpuDef): OutElement | undefined {
  const kids: Array<OutElement | undefined> = [];
  if (cpu.model) kids.push(el('model', [['fallback', cpu.fallback], ['vendor_id', cpu.vendorId]], cpu.model));
  if (cpu.vendor) kids.push(el('vendor', [], cpu.vendor));
  if (cpu.topology) {
    const t = cpu.topology;
    kids.push(el('topology', [['sockets', t.sockets], ['dies', t.dies], ['cores', t.cores], ['threads', t.threads]]));
  }
  if (cpu.cache) kids.push(verbatim(cpu.cache));
  if (cpu.maxphysaddr) kids.push(verbatim(cpu.maxphysaddr));
  for (const f of cpu.features) kids.push(el('feature', [['policy', f.policy], ['name', f.name]]));
  if (cpu.numa) {
    kids.push(
      el(
        'numa',
        [],
        cpu.numa.cells.map((c) =>
          el(
            'cell',
            [['id', c.id], ['cpus', c.cpus], ['memory', c.memory], ['unit', 'KiB'], ['memAccess', c.memAccess], ['discard', c.discard]],
            c.body.map(verbatim),
          ),
        ),
        cpu.numa.interconnects ? verbatim(cpu.numa.interconnects) : undefined,
      ),
    );
  }
  const attrs: Array<[string, string | undefined]> = [['mode', cpu.mode], ['match', cpu.match], ['check', cpu.check], ['migratable', cpu.migratable]];
  const present = kids.filter((k): k is OutElement => !!k);
  if (present.length === 0 && attrs.every(([, v]) => v === undefined)) return undefined;
  return el('cpu', attrs, present);
}

export function formatDomainElement(def: DomainDef, opts: FormatDomainOptions = {}): OutElement {
  const ctx: FormatCtx = { inactive: !!opts.inactive, secure: !!opts.secure, status: !!opts.status };
  const attrs: Array<[string, string | number | undefined]> = [['type', def.type]];
  if (!ctx.inactive && def.id >= 0) attrs.push(['id', def.id]);
  if (def.qemu) attrs.push([`xmlns:${def.qemu.prefix}`, QEMU_NS_URI]);
  const k: Array<OutElement | undefined> = [];
  k.push(el('name', [], def.name));
  k.push(el('uuid', [], def.uuid));
  if (def.genid) k.push(el('genid', [], def.genid));
  if (def.title !== undefined) k.push(el('title', [], def.title));
  if (def.description !== undefined) k.push(el('description', [], def.description));
  if (def.metadata) {
    k.push(def.metadata.length ? { name: 'metadata', attrs: [], children: [], raw: def.metadata } : el('metadata'));
  }
  if (def.maxMemory) k.push(el('maxMemory', [['slots', def.maxMemory.slots], ['unit', 'KiB']], String(def.maxMemory.size)));
  k.push(el('memory', [['unit', 'KiB'], ['dumpCore', def.memoryDumpCore]], String(def.memory)));
  k.push(el('currentMemory', [['unit', 'KiB']], String(def.currentMemory)));
  k.push(...raw(def, 'blkiotune'), ...raw(def, 'memtune'), ...raw(def, 'memoryBacking'));
  k.push(
    el(
      'vcpu',
      [['placement', def.vcpu.placement ?? 'static'], ['cpuset', def.vcpu.cpuset], ['current', def.vcpu.current !== undefined && def.vcpu.current !== def.vcpu.max ? def.vcpu.current : undefined]],
      String(def.vcpu.max),
    ),
  );
  k.push(...raw(def, 'vcpus'));
  if (def.iothreads) k.push(el('iothreads', [], String(def.iothreads)));
  k.push(...raw(def, 'iothreadids'), ...raw(def, 'defaultiothread'), ...raw(def, 'cputune'), ...raw(def, 'numatune'), ...raw(def, 'resource'), ...raw(def, 'sysinfo'));
  k.push(...raw(def, 'bootloader'), ...raw(def, 'bootloader_args'));
  k.push(formatOs(def, ctx));
  k.push(...raw(def, 'idmap'));
  if (def.features.length) {
    k.push(el('features', [], def.features.map((f) => el(f.name, f.attrs, f.body.map(verbatim)))));
  }
  if (def.cpu) k.push(formatCpu(def.cpu));
  const c = def.clock;
  k.push(
    el(
      'clock',
      [['offset', c.offset], ['adjustment', c.adjustment], ['basis', c.basis], ['timezone', c.timezone], ['start', c.start]],
      c.timers.map((t) =>
        el(
          'timer',
          [['name', t.name], ['present', t.present], ['tickpolicy', t.tickpolicy], ['track', t.track], ['mode', t.mode], ['frequency', t.frequency]],
          t.catchup ? el('catchup', Object.entries(t.catchup)) : undefined,
        ),
      ),
    ),
  );
  k.push(el('on_poweroff', [], def.onPoweroff), el('on_reboot', [], def.onReboot), el('on_crash', [], def.onCrash));
  if (def.onLockfailure) k.push(el('on_lockfailure', [], def.onLockfailure));
  k.push(...raw(def, 'pm'), ...raw(def, 'perf'));
  k.push(formatDevices(def, ctx));
  k.push(...raw(def, 'seclabel'), ...raw(def, 'keywrap'), ...raw(def, 'launchSecurity'));
  if (def.qemu) k.push(...formatQemuNamespace(def.qemu));
  return el('domain', attrs, k.filter((x): x is OutElement => !!x));
}

function formatOs(def: DomainDef, ctx: FormatCtx): OutElement {
  const os = def.os;
  const k: Array<OutElement | undefined> = [];
  k.push(el('type', [['arch', os.arch], ['machine', os.machine]], os.type));
  if (os.firmwareFeatures.length) {
    k.push(el('firmware', [], os.firmwareFeatures.map((f) => el('feature', [['enabled', f.enabled], ['name', f.name]]))));
  }
  if (os.init) k.push(el('init', [], os.init));
  k.push(...os.extra.map(verbatim));
  if (os.loader) {
    const l = os.loader;
    const la: Array<[string, string | undefined]> = [['readonly', l.readonly], ['secure', l.secure], ['type', l.type], ['stateless', l.stateless], ['format', l.format]];
    k.push(el('loader', la, ...(l.path ? [l.path] : [])));
  }
  if (os.nvram) {
    const n = os.nvram;
    if (n.src) {
      k.push(el('nvram', [['template', n.template], ['format', n.format], ['type', n.src.type]], formatSource(n.src, ctx)));
    } else {
      k.push(el('nvram', [['template', n.template], ['format', n.format]], ...(n.path ? [n.path] : [])));
    }
  }
  if (os.kernel) k.push(el('kernel', [], os.kernel));
  if (os.initrd) k.push(el('initrd', [], os.initrd));
  if (os.cmdline !== undefined) k.push(el('cmdline', [], os.cmdline));
  if (os.dtb) k.push(el('dtb', [], os.dtb));
  if (os.acpiTables.length) k.push(el('acpi', [], os.acpiTables.map((t) => el('table', [['type', t.type]], t.path))));
  for (const b of os.bootDevs) k.push(el('boot', [['dev', b]]));
  if (os.bootmenu) k.push(el('bootmenu', [['enable', os.bootmenu.enable], ['timeout', os.bootmenu.timeout]]));
  if (os.smbiosMode) k.push(el('smbios', [['mode', os.smbiosMode]]));
  if (os.biosUseserial || os.rebootTimeout !== undefined) k.push(el('bios', [['useserial', os.biosUseserial], ['rebootTimeout', os.rebootTimeout]]));
  return el('os', os.firmware ? [['firmware', os.firmware]] : [], k.filter((x): x is OutElement => !!x));
}

function formatDevices(def: DomainDef, ctx: FormatCtx): OutElement {
  const d = def.devices;
  const k: OutElement[] = [];
  if (d.emulator) k.push(el('emulator', [], d.emulator));
  for (const x of d.disks) k.push(formatDisk(x, ctx));
  for (const x of d.controllers) k.push(formatController(x, ctx));
  for (const x of d.leases) k.push(formatGeneric(x, ctx));
  for (const x of d.filesystems) k.push(formatGeneric(x, ctx));
  for (const x of d.nets) k.push(formatNet(x, ctx));
  for (const x of d.smartcards) k.push(formatGeneric(x, ctx));
  for (const x of d.serials) k.push(formatChr(x, ctx));
  for (const x of d.parallels) k.push(formatChr(x, ctx));
  for (const x of d.consoles) k.push(formatChr(x, ctx));
  for (const x of d.channels) k.push(formatChr(x, ctx));
  for (const x of d.inputs) k.push(formatInput(x, ctx));
  for (const x of d.tpms) k.push(formatGeneric(x, ctx));
  for (const x of d.graphics) k.push(formatGraphics(x, ctx));
  for (const x of d.sounds) k.push(formatSound(x, ctx));
  for (const x of d.audios) k.push(formatAudio(x));
  for (const x of d.videos) k.push(formatVideo(x, ctx));
  for (const x of d.hostdevs) k.push(formatGeneric(x, ctx));
  for (const x of d.redirdevs) k.push(formatGeneric(x, ctx));
  if (d.redirfilter) k.push(formatGeneric(d.redirfilter, ctx));
  for (const x of d.hubs) k.push(formatGeneric(x, ctx));
  for (const x of d.watchdogs) k.push(formatGeneric(x, ctx));
  if (d.memballoon) k.push(formatMemballoon(d.memballoon, ctx));
  for (const x of d.rngs) k.push(formatRng(x, ctx));
  if (d.nvram) k.push(formatGeneric(d.nvram, ctx));
  for (const x of d.panics) k.push(formatGeneric(x, ctx));
  for (const x of d.shmems) k.push(formatGeneric(x, ctx));
  for (const x of d.memories) k.push(formatMemoryDevice(x, ctx));
  if (d.iommu) k.push(formatGeneric(d.iommu, ctx));
  if (d.vsock) k.push(formatGeneric(d.vsock, ctx));
  for (const x of d.cryptos) k.push(formatGeneric(x, ctx));
  return el('devices', [], k);
}
