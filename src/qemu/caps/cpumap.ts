// libvirt's x86 CPU map (src/cpu_map, installed as /usr/share/libvirt/cpu_map): feature order, model
// feature sets, vendors and signatures, read at run time from the installed copy. Used to name CPU
// models in domain capabilities and to decode QEMU's host CPU expansion into model + features.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type XmlElement, attr, children, parseXml } from '../../util/xml.js';
import { cpuFeatureFromQemu } from './flags.js';
import type { CapsCpuModel, CapsHostCpu } from './types.js';

export const DEFAULT_CPU_MAP_DIR = '/usr/share/libvirt/cpu_map';

export interface CpuMapModel {
  name: string;
  vendor?: string;
  signatures: Array<{ family: number; model: number }>;
  /** Features of the model (removed='yes' ones excluded). */
  features: Set<string>;
  /** Features libvirt dropped from the model but QEMU's model still has (removed='yes'). */
  removed: string[];
  decodeGuest: boolean;
}

export interface CpuMapX86 {
  /** Feature names in map (CPUID) order. */
  features: string[];
  /** CPUID vendor string → libvirt vendor name ('AuthenticAMD' → 'AMD'). */
  vendors: Map<string, string>;
  /** Models in map order. */
  models: CpuMapModel[];
  /** Other spellings of features (e.g. QEMU's 'nrip_save') → map name. */
  aliases: Map<string, string>;
}

const cache = new Map<string, CpuMapX86 | null>();

function readXml(dir: string, file: string): XmlElement {
  return parseXml(readFileSync(join(dir, file), 'utf8'), file);
}

/** Loads the x86 part of a cpu_map directory (null when it is not there). */
export function loadCpuMapX86(dir = DEFAULT_CPU_MAP_DIR): CpuMapX86 | null {
  if (cache.has(dir)) return cache.get(dir) ?? null;
  if (!existsSync(join(dir, 'index.xml'))) {
    cache.set(dir, null);
    return null;
  }
  const map: CpuMapX86 = { features: [], vendors: new Map(), models: [], aliases: new Map() };
  const byName = new Map<string, CpuMapModel>();
  const index = readXml(dir, 'index.xml');
  const x86 = children(index, 'arch').find((a) => attr(a, 'name') === 'x86');
  const addModel = (m: XmlElement) => {
    const name = attr(m, 'name') ?? '';
    const parent = children(m, 'model')[0];
    const base = parent ? byName.get(attr(parent, 'name') ?? '') : undefined;
    const model: CpuMapModel = {
      name,
      signatures: base ? [...base.signatures] : [],
      features: new Set(base?.features ?? []),
      removed: [...(base?.removed ?? [])],
      decodeGuest: attr(children(m, 'decode')[0], 'guest') !== 'off',
    };
    if (base?.vendor) model.vendor = base.vendor;
    const v = attr(children(m, 'vendor')[0], 'name');
    if (v) model.vendor = v;
    const sigs = children(m, 'signature').concat(...children(m, 'signatures').map((s) => children(s, 'signature')));
    if (sigs.length) {
      model.signatures = sigs.map((s) => ({ family: Number(attr(s, 'family')), model: Number(attr(s, 'model')) }));
    }
    for (const f of children(m, 'feature')) {
      if (attr(f, 'removed') === 'yes') {
        model.removed.push(attr(f, 'name') ?? '');
        continue;
      }
      model.features.add(attr(f, 'name') ?? '');
    }
    byName.set(name, model);
    map.models.push(model);
  };
  const walk = (el: XmlElement) => {
    for (const c of children(el)) {
      if (c.local === 'include') {
        const root = readXml(dir, attr(c, 'filename') ?? '');
        walk(root);
      } else if (c.local === 'vendor') {
        map.vendors.set(attr(c, 'string') ?? '', attr(c, 'name') ?? '');
      } else if (c.local === 'feature') {
        const name = attr(c, 'name') ?? '';
        map.features.push(name);
        for (const a of children(c, 'alias')) map.aliases.set(attr(a, 'name') ?? '', name);
      } else if (c.local === 'model') {
        addModel(c);
      } else if (c.local === 'arch' || c.local === 'cpus') {
        walk(c);
      }
    }
  };
  if (x86) walk(x86);
  cache.set(dir, map);
  return map;
}

export interface DecodedCpu {
  model: string;
  vendor?: string;
  features: Array<{ policy: 'require' | 'disable'; name: string }>;
}

/**
 * Decodes a host CPU expansion (QEMU properties) into the closest cpu_map model plus the features to
 * add and remove (libvirt's x86 cpuDecode for guest CPUs, on feature names). Only models the
 * hypervisor knows (models) are candidates. With migratable, non-migratable features are left out.
 */
export function decodeHostCpu(
  map: CpuMapX86,
  host: CapsHostCpu,
  models: CapsCpuModel[],
  migratable = false,
): DecodedCpu | undefined {
  const known = new Set(map.features);
  const featureName = (qemu: string) => {
    const n = cpuFeatureFromQemu(qemu);
    return known.has(n) ? n : (map.aliases.get(qemu) ?? map.aliases.get(n) ?? n);
  };
  const data = new Set<string>();
  let vendorString: string | undefined;
  let family = 0;
  let modelNum = 0;
  for (const p of host.props) {
    const name = featureName(p.name);
    if (p.type === 'boolean') {
      if (p.value !== 'true' || (migratable && p.migratable === false)) continue;
      if (known.has(name)) data.add(name);
    } else if (p.type === 'string' && name === 'vendor') vendorString = p.value;
    else if (p.type === 'number' && name === 'family') family = Number(p.value);
    else if (p.type === 'number' && name === 'model') modelNum = Number(p.value);
  }
  const vendor = vendorString ? map.vendors.get(vendorString) : undefined;
  const allowed = new Set(models.map((m) => m.name));
  const sigMatch = (m: CpuMapModel) => m.signatures.some((s) => s.family === family && s.model === modelNum);
  let best: { m: CpuMapModel; features: DecodedCpu['features'] } | undefined;
  for (const m of map.models) {
    if (!m.decodeGuest || !allowed.has(m.name)) continue;
    if (m.vendor && vendor && m.vendor !== vendor) continue;
    // Features QEMU reports as blocking this model count as part of it, so they show up as disabled.
    const modelFeatures = new Set(m.features);
    for (const b of models.find((x) => x.name === m.name)?.blockers ?? []) {
      const n = featureName(b);
      if (known.has(n) && !data.has(n)) modelFeatures.add(n);
    }
    const features: DecodedCpu['features'] = [];
    for (const f of map.features) if (data.has(f) && !modelFeatures.has(f)) features.push({ policy: 'require', name: f });
    for (const f of map.features) if (!data.has(f) && modelFeatures.has(f)) features.push({ policy: 'disable', name: f });
    if (!best) {
      best = { m, features };
      continue;
    }
    const curSig = sigMatch(best.m);
    const candSig = sigMatch(m);
    if (curSig && !candSig) continue;
    if (candSig && !curSig) {
      best = { m, features };
      continue;
    }
    if (best.features.length > features.length) best = { m, features };
  }
  if (!best) return undefined;
  const out: DecodedCpu = { model: best.m.name, features: best.features };
  if (vendor) out.vendor = vendor;
  return out;
}

/** The vendor cpu_map gives a model ('unknown' when none), for <mode name='custom'>. */
export function modelVendor(map: CpuMapX86 | null, name: string): string {
  return map?.models.find((m) => m.name === name)?.vendor ?? 'unknown';
}
