// Adapter from the domain model (src/conf/domain) to the isolation layer's inputs: the guest's host
// paths (GuestResources), its <seclabel>s, its block devices for the cgroup ACL, and cgroup tuning.
import type { CgroupTuning } from '../cgroup/cgroup.js';
import type { GuestDevice } from '../cgroup/acl.js';
import type { ChrDef, DomainDef, StorageSource } from '../conf/domain/types.js';
import { type XmlElement, attr, child, textOf } from '../util/xml.js';
import { type GuestChardevSource, type GuestDirs, type GuestResources, collectGuestPaths } from './paths.js';
import type { GuestSecurityInput } from './types.js';
import { parseSeclabelElements } from './xml.js';

const LOCAL = new Set(['file', 'block', 'dir']);

function norelabel(src: { extra?: XmlElement[]; seclabels?: XmlElement[] }): boolean {
  const els = [...(src.extra ?? []), ...(src.seclabels ?? [])].filter((e) => e.local === 'seclabel');
  return els.some((e) => attr(e, 'relabel') === 'no');
}

function backingChain(src: StorageSource): string[] {
  const out: string[] = [];
  for (let b = src.backingStore; b; b = b.backingStore) if (b.path && LOCAL.has(b.type)) out.push(b.path);
  return out;
}

function chardevs(def: DomainDef): GuestChardevSource[] {
  const d = def.devices;
  const all: ChrDef[] = [...d.serials, ...d.parallels, ...d.consoles, ...d.channels];
  const out: GuestChardevSource[] = [];
  for (const c of all) {
    const s = c.source;
    if (s.path && ['file', 'pipe', 'dev', 'unix'].includes(s.type))
      out.push({ type: s.type, path: s.path, mode: s.type === 'unix' ? (s.listen ? 'bind' : 'connect') : undefined, alias: c.info?.alias, norelabel: norelabel(s) });
    if (s.logFile) out.push({ type: 'file', path: s.logFile, alias: c.info?.alias });
  }
  return out;
}

/** The host paths of a DomainDef, as collectGuestPaths wants them. */
export function guestResourcesFromDef(def: DomainDef): GuestResources {
  return {
    name: def.name,
    id: def.id,
    emulator: def.devices.emulator,
    disks: def.devices.disks.map((d) => ({
      path: LOCAL.has(d.src.type) ? d.src.path : undefined,
      type: d.src.type,
      device: d.device,
      target: d.dst,
      readonly: !!d.src.readonly,
      shared: !!d.src.shared,
      norelabel: norelabel(d.src),
      backingChain: backingChain(d.src),
    })),
    kernel: def.os.kernel,
    initrd: def.os.initrd,
    dtb: def.os.dtb,
    loader: def.os.loader?.path ? { path: def.os.loader.path, readonly: def.os.loader.readonly !== 'no' } : undefined,
    nvram: def.os.nvram?.path ?? (def.os.nvram?.src?.type === 'file' ? def.os.nvram.src.path : undefined),
    chardevs: chardevs(def),
    qemuArgs: def.qemu?.args ?? [],
  };
}

/** The guest as the security manager sees it (labels from the XML's <seclabel>s). */
export function guestSecurityInputFromDef(def: DomainDef, dirs?: GuestDirs): GuestSecurityInput {
  return {
    name: def.name,
    uuid: def.uuid,
    virtType: def.type,
    seclabels: parseSeclabelElements(def.raw.seclabel ?? []),
    paths: collectGuestPaths(guestResourcesFromDef(def), dirs),
  };
}

/** Block devices of the guest's local disks, for the cgroup device ACL (non-devices are ignored there). */
export function guestDevicesFromDef(def: DomainDef): GuestDevice[] {
  const out: GuestDevice[] = [];
  for (const d of def.devices.disks) {
    if (d.src.type === 'block' && d.src.path) out.push({ path: d.src.path, readonly: !!d.src.readonly });
    for (let b = d.src.backingStore; b; b = b.backingStore) if (b.type === 'block' && b.path) out.push({ path: b.path, readonly: true });
  }
  return out;
}

const UNIT: Record<string, number> = { b: 1 / 1024, bytes: 1 / 1024, k: 1, kib: 1, kb: 1000 / 1024, m: 1024, mib: 1024, mb: 1e6 / 1024, g: 1024 ** 2, gib: 1024 ** 2, gb: 1e9 / 1024, t: 1024 ** 3, tib: 1024 ** 3 };

function kib(e: XmlElement | undefined): number | undefined {
  const t = textOf(e)?.trim();
  if (!e || !t) return undefined;
  const mul = UNIT[(attr(e, 'unit') ?? 'KiB').toLowerCase()] ?? 1;
  return Math.round(Number(t) * mul);
}

function num(e: XmlElement | undefined): number | undefined {
  const t = textOf(e)?.trim();
  return t ? Number(t) : undefined;
}

/** <cputune> shares/period/quota, <memtune> limits, <blkiotune> weight. */
export function cgroupTuningFromDef(def: DomainDef): CgroupTuning {
  const cpu = def.raw.cputune?.[0];
  const mem = def.raw.memtune?.[0];
  const blk = def.raw.blkiotune?.[0];
  const t: CgroupTuning = {};
  const set = <K extends keyof CgroupTuning>(k: K, v: number | undefined) => {
    if (v !== undefined && Number.isFinite(v)) t[k] = v;
  };
  set('cpuShares', num(child(cpu, 'shares')));
  set('cpuPeriod', num(child(cpu, 'period')));
  set('cpuQuota', num(child(cpu, 'quota')));
  set('memoryHardLimitKiB', kib(child(mem, 'hard_limit')));
  set('memorySoftLimitKiB', kib(child(mem, 'soft_limit')));
  set('swapHardLimitKiB', kib(child(mem, 'swap_hard_limit')));
  set('blkioWeight', num(child(blk, 'weight')));
  return t;
}

