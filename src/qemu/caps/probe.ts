// Capabilities of one QEMU binary from its QMP answers (virQEMUCapsInitQMPMonitor and …TCG): version,
// arch, schema-derived flags, accelerators, QOM types and properties, machines, CPU models, host CPU
// expansion. The derivation talks to anything that can execute QMP commands, so the same code runs
// against a live QEMU (probeEmulator, spawn.ts) and against a recorded session (tests).
import { ErrorCode, ErrorDomain, VirError } from '../../util/errors.js';
import { accelData, emptyCaps } from './cache.js';
import {
  COMMAND_FLAGS, COMMAND_LINE_FLAGS, DEVICE_PROPS, HYPERV_FEATURES, MACHINE_PROPS, MIGRATION_FLAGS, OBJECT_PROPS,
  OBJECT_TYPE_FLAGS, SCHEMA_QUERIES, sortFlags,
} from './flags.js';
import { qapiSchemaFromReply, qapiSchemaPathExists } from './qapi.js';
import type { CapsAccel, CapsCpuModel, CapsHostCpu, CapsHostCpuProperty, CapsMachine, QemuCaps } from './types.js';

/** What the probe needs from a QMP connection (QmpClient satisfies it). */
export interface QmpExec {
  execute<T = unknown>(command: string, args?: Record<string, unknown>, opts?: { timeoutMs?: number }): Promise<T>;
}

export interface ProbeOptions {
  /** Whether Hypervisor.framework is usable (macOS); false elsewhere. */
  hvf?: boolean;
}

const MIN_VERSION = 4002000;

/** libvirt's preferred default machine per QEMU target arch (preferredMachines[]). */
const PREFERRED_MACHINES: Record<string, string> = {
  x86_64: 'pc', i686: 'pc', aarch64: 'virt', armv7l: 'virt', armv6l: 'integratorcp', ppc64: 'pseries',
  ppc64le: 'pseries', ppc: 'g3beige', riscv32: 'virt', riscv64: 'virt', s390x: 's390-ccw-virtio', sparc: 'SS-5',
  sparc64: 'sun4u', mips: 'malta', mipsel: 'malta', mips64: 'malta', mips64el: 'malta', alpha: 'clipper',
  m68k: 'mcf5208evb', microblaze: 'petalogix-s3adsp1800', microblazeel: 'petalogix-s3adsp1800', sh4: 'shix',
  sh4eb: 'shix', xtensa: 'sim', xtensaeb: 'sim', or32: 'or1k-sim', cris: 'axis-dev88',
};

/** QEMU target names → libvirt arch names (virQEMUCapsArchFromString). */
export function archFromQemu(a: string): string {
  if (a === 'i386') return 'i686';
  if (a === 'arm') return 'armv7l';
  if (a === 'or1k') return 'or32';
  return a;
}

const isX86 = (arch: string) => arch === 'x86_64' || arch === 'i686';
const isArm = (arch: string) => arch === 'aarch64' || arch === 'armv7l' || arch === 'armv6l';

/** A QMP error reply (anything with errorClass) is "not available"; other failures propagate. */
async function optional<T>(p: Promise<T>): Promise<T | undefined> {
  try {
    return await p;
  } catch (e) {
    if (e && typeof e === 'object' && 'errorClass' in e) return undefined;
    throw e;
  }
}

function set(caps: QemuCaps, flag: string): void {
  caps.flags.add(flag);
}

function stringFlags(caps: QemuCaps, table: ReadonlyArray<readonly [string, string]>, values: Iterable<string>): void {
  const have = new Set(values);
  for (const [v, flag] of table) if (have.has(v)) set(caps, flag);
}

function names(list: unknown): string[] {
  if (!Array.isArray(list)) return [];
  return list.map((x) => (x && typeof x === 'object' ? String((x as { name?: unknown }).name ?? '') : String(x)));
}

// ---- pieces ------------------------------------------------------------------------------------

interface QmpMachineInfo {
  name: string;
  alias?: string;
  'is-default'?: boolean;
  'cpu-max'?: number;
  'hotpluggable-cpus'?: boolean;
  'numa-mem-supported'?: boolean;
  'default-cpu-type'?: string;
  'default-ram-id'?: string;
  deprecated?: boolean;
  acpi?: boolean;
}

/** query-machines → machine list with libvirt's preferred machine moved to the front. */
export function machinesFromReply(reply: unknown, arch: string): CapsMachine[] {
  const out: CapsMachine[] = [];
  let defIdx = -1;
  let prefIdx = -1;
  const preferred = PREFERRED_MACHINES[arch];
  for (const m of (Array.isArray(reply) ? reply : []) as QmpMachineInfo[]) {
    if (!m || m.name === 'none') continue;
    const mach: CapsMachine = {
      name: m.name,
      hotplugCpus: m['hotpluggable-cpus'] === true,
      maxCpus: typeof m['cpu-max'] === 'number' ? m['cpu-max'] : 0,
      default: m['is-default'] === true,
      numaMemSupported: m['numa-mem-supported'] === true,
      deprecated: m.deprecated === true,
    };
    if (m.alias) mach.alias = m.alias;
    if (m['default-cpu-type']) mach.defaultCPU = m['default-cpu-type'];
    if (m['default-ram-id']) mach.defaultRAMid = m['default-ram-id'];
    if (typeof m.acpi === 'boolean') mach.acpi = m.acpi;
    out.push(mach);
    if (preferred && (m.alias === preferred || m.name === preferred)) prefIdx = out.length - 1;
    if (m['is-default']) defIdx = out.length - 1;
  }
  const idx = prefIdx !== -1 ? prefIdx : defIdx;
  if (idx > 0) out.unshift(...out.splice(idx, 1));
  return out;
}

interface QmpCpuDef {
  name: string;
  typename?: string;
  'unavailable-features'?: string[];
  deprecated?: boolean;
}

/** query-cpu-definitions → CPU models (blockers keep QEMU's spelling, as the cache file does). */
export function cpuModelsFromReply(reply: unknown): CapsCpuModel[] {
  const out: CapsCpuModel[] = [];
  for (const d of (Array.isArray(reply) ? reply : []) as QmpCpuDef[]) {
    const unav = d['unavailable-features'];
    const m: CapsCpuModel = {
      name: d.name,
      usable: Array.isArray(unav) ? (unav.length === 0 ? 'yes' : 'no') : 'unknown',
      blockers: Array.isArray(unav) ? [...unav] : [],
      deprecated: d.deprecated === true,
    };
    if (d.typename) m.typename = d.typename;
    out.push(m);
  }
  return out;
}

function expansionProps(reply: unknown): { name: string; props: CapsHostCpuProperty[] } | undefined {
  const model = (reply as { model?: { name?: string; props?: Record<string, unknown> } } | undefined)?.model;
  if (!model?.name) return undefined;
  const props: CapsHostCpuProperty[] = [];
  for (const [name, v] of Object.entries(model.props ?? {})) {
    if (typeof v === 'boolean') props.push({ name, type: 'boolean', value: v ? 'true' : 'false' });
    else if (typeof v === 'number') props.push({ name, type: 'number', value: String(Math.trunc(v)) });
    else if (typeof v === 'string') props.push({ name, type: 'string', value: v });
  }
  return { name: model.name, props };
}

function expansionArgs(type: string, model: string, migratable: boolean, hvPassthrough = false): Record<string, unknown> {
  const m: Record<string, unknown> = { name: model };
  if (!migratable || hvPassthrough) {
    const props: Record<string, unknown> = {};
    if (!migratable) props.migratable = false;
    if (hvPassthrough) props['hv-passthrough'] = true;
    m.props = props;
  }
  return { type, model: m };
}

/** virQEMUCapsProbeQMPHostCPU: "host" (accelerated) or "max" (TCG) expansion, with migratability. */
async function probeHostCpu(caps: QemuCaps, mon: QmpExec, accel: CapsAccel): Promise<void> {
  if (!caps.flags.has('query-cpu-model-expansion')) return;
  const accelerated = accel !== 'tcg';
  const model = accelerated ? 'host' : 'max';
  const x86 = isX86(caps.arch);
  const type = x86 && !caps.flags.has('canonical-cpu-features') ? 'static-full' : isArm(caps.arch) ? 'full' : 'static';
  const expand = async (migratable: boolean, hv = false, t = type) => {
    if (t === 'static-full') {
      const r = expansionProps(await optional(mon.execute('query-cpu-model-expansion', expansionArgs('static', model, migratable))));
      if (!r) return undefined;
      const full = await optional(mon.execute('query-cpu-model-expansion', {
        type: 'full', model: { name: r.name, props: Object.fromEntries(r.props.map((p) => [p.name, p.type === 'boolean' ? p.value === 'true' : p.type === 'number' ? Number(p.value) : p.value])) },
      }));
      return expansionProps(full);
    }
    return expansionProps(await optional(mon.execute('query-cpu-model-expansion', expansionArgs(t, model, migratable, hv))));
  };
  const [mig, nonMig, full] = await Promise.all([
    expand(true),
    x86 ? expand(false) : Promise.resolve(undefined),
    accelerated && (x86 || isArm(caps.arch)) ? expand(false, true, 'full') : Promise.resolve(undefined),
  ]);
  if (!mig) return;
  const host: CapsHostCpu = { model: mig.name, migratability: false, props: mig.props };
  if (nonMig) {
    const byName = new Map(host.props.map((p) => [p.name, p]));
    for (const nm of nonMig.props) {
      const p = byName.get(nm.name);
      if (p?.type !== 'boolean' || nm.type !== 'boolean') continue;
      if (p.value === 'true') p.migratable = true;
      else if (nm.value === 'true') {
        p.value = 'true';
        p.migratable = false;
      }
    }
    host.migratability = true;
  }
  accelData(caps, accel).hostCpu = host;
  if (full) {
    const found = new Set<string>();
    for (const p of full.props) {
      if (!p.name.startsWith('hv-')) continue;
      const n = p.name.slice(3).replace(/-/g, '_');
      if (!(HYPERV_FEATURES as readonly string[]).includes(n)) continue;
      const on = p.type === 'boolean' ? p.value === 'true' : p.type === 'number' ? Number(p.value) > 0 : p.value !== '';
      if (on) found.add(n);
    }
    if (found.size > 0) caps.hypervCapabilities = { supported: true, caps: HYPERV_FEATURES.filter((f) => found.has(f)) };
  }
}

async function probeCpuDefinitions(caps: QemuCaps, mon: QmpExec, accel: CapsAccel): Promise<void> {
  if (!caps.flags.has('query-cpu-definitions')) return;
  const models = cpuModelsFromReply(await optional(mon.execute('query-cpu-definitions')));
  accelData(caps, accel).cpuModels = models;
  if (models.some((m) => m.name === 'max')) set(caps, 'cpu-max');
}

/** The accelerator whose data a probe fills: kvm, hvf, else tcg (virQEMUCapsGetVirtType). */
export function probedAccel(caps: QemuCaps): CapsAccel {
  if (caps.flags.has('kvm')) return 'kvm';
  if (caps.flags.has('hvf')) return 'hvf';
  return 'tcg';
}

/** Whether a second, TCG-only probe is needed (an accelerator was used by the first). */
export function needsTcgProbe(caps: QemuCaps): boolean {
  return probedAccel(caps) !== 'tcg' && caps.flags.has('tcg');
}

/**
 * virQEMUCapsInitQMPMonitor: everything from the first QEMU (started with accel=kvm:tcg). Fills caps
 * (emulator and times are the caller's) and returns it.
 */
export async function probeMain(caps: QemuCaps, mon: QmpExec, opts: ProbeOptions = {}): Promise<QemuCaps> {
  // Round 1: independent queries, pipelined.
  const [version, target, schemaReply, kvm, types, machinesReply, tpmModels, tpmTypes, cmdline, migCaps] = await Promise.all([
    mon.execute<{ qemu: { major: number; minor: number; micro: number }; package?: string }>('query-version'),
    mon.execute<{ arch: string }>('query-target'),
    mon.execute('query-qmp-schema'),
    optional(mon.execute<{ enabled?: boolean; present?: boolean }>('query-kvm')),
    mon.execute('qom-list-types'),
    mon.execute('query-machines'),
    optional(mon.execute('query-tpm-models')),
    optional(mon.execute('query-tpm-types')),
    mon.execute<Array<{ option: string; parameters: Array<{ name: string }> }>>('query-command-line-options'),
    optional(mon.execute('query-migrate-capabilities')),
  ]);
  const { major, minor, micro } = version.qemu;
  const v = major * 1_000_000 + minor * 1_000 + micro;
  if (v < MIN_VERSION) {
    throw new VirError({
      code: ErrorCode.CONFIG_UNSUPPORTED,
      domain: ErrorDomain.QEMU,
      message: `unsupported configuration: QEMU version >= 4.2.0 is required, but ${major}.${minor}.${micro} found`,
    });
  }
  caps.version = v;
  caps.package = (version.package ?? '').trim();
  caps.arch = archFromQemu(target.arch);
  if (v < 5002000) set(caps, 'enable-fips');

  const schema = qapiSchemaFromReply(schemaReply);
  for (const [q, flag] of SCHEMA_QUERIES) if (qapiSchemaPathExists(q, schema)) set(caps, flag);
  for (const [c, flag] of COMMAND_FLAGS) if (schema.has(c)) set(caps, flag);

  if (kvm?.enabled && kvm.present) set(caps, 'kvm');
  if (opts.hvf) set(caps, 'hvf');
  const accel = probedAccel(caps);

  stringFlags(caps, OBJECT_TYPE_FLAGS, names(types));
  const machines = machinesFromReply(machinesReply, caps.arch);
  accelData(caps, accel).machines = machines;

  for (const [flag, list] of [['tpm-tis', 'tpm-tis'], ['tpm-crb', 'tpm-crb'], ['tpm-spapr', 'tpm-spapr']] as const) {
    if (Array.isArray(tpmModels) && (tpmModels as string[]).includes(list)) set(caps, flag);
  }
  if (Array.isArray(tpmTypes)) {
    if ((tpmTypes as string[]).includes('passthrough')) set(caps, 'tpm-passthrough');
    if ((tpmTypes as string[]).includes('emulator')) set(caps, 'tpm-emulator');
  }
  const options = new Map(cmdline.map((o) => [o.option, o.parameters ?? []]));
  for (const c of COMMAND_LINE_FLAGS) {
    const params = options.get(c.option);
    if (!params) continue;
    if (!c.param || params.some((p) => p.name === c.param)) set(caps, c.flag);
  }
  const migNames = (Array.isArray(migCaps) ? migCaps : []).map((m: { capability?: string }) => String(m.capability ?? ''));
  stringFlags(caps, MIGRATION_FLAGS, migNames);

  // Round 2: properties of the types this binary has, machine properties, CPU models, SEV/SGX.
  const devTasks = DEVICE_PROPS.filter((d) => !d.when || caps.flags.has(d.when)).map(async (d) => {
    const r = await optional(mon.execute('device-list-properties', { typename: d.type }));
    const props = new Map<string, Record<string, unknown>>();
    for (const p of (Array.isArray(r) ? r : []) as Array<Record<string, unknown>>) props.set(String(p.name), p);
    return { d, props };
  });
  const objTasks = OBJECT_PROPS.filter((o) => !o.when || caps.flags.has(o.when)).map(async (o) => ({
    o, props: names(await optional(mon.execute('qom-list-properties', { typename: o.type }))),
  }));
  const machTasks = MACHINE_PROPS.map((mp) => {
    const canon = machines.find((m) => m.alias === mp.machine)?.name ?? mp.machine;
    if (canon !== 'none' && !machines.some((m) => m.name === canon)) return undefined;
    return (async () => ({ mp, props: names(await optional(mon.execute('qom-list-properties', { typename: `${canon}-machine` }))) }))();
  }).filter((t) => t !== undefined);
  const sevTask = caps.flags.has('sev-guest') ? optional(mon.execute<Record<string, unknown>>('query-sev-capabilities')) : undefined;
  const sgxTask = caps.flags.has('sgx-epc') ? optional(mon.execute<Record<string, unknown>>('query-sgx-capabilities')) : undefined;
  const cpuTask = probeCpuDefinitions(caps, mon, accel);

  for (const { d, props } of await Promise.all(devTasks)) {
    for (const [prop, flag] of d.props) {
      const entry = props.get(prop);
      if (!entry) continue;
      set(caps, flag);
      if (prop === 'scsi' && d.type.startsWith('virtio-blk') && entry['default-value'] === false) {
        set(caps, 'virtio-blk-pci.scsi.default.disabled');
      }
    }
  }
  for (const { o, props } of await Promise.all(objTasks)) stringFlags(caps, o.props, props);
  for (const { mp, props } of await Promise.all(machTasks)) stringFlags(caps, mp.props, props);
  await cpuTask;
  if (sevTask) {
    const sev = await sevTask;
    if (!sev) caps.flags.delete('sev-guest');
    else caps.extra.push({ after: 'accel:tcg', lines: sevLines(sev) });
  }
  if (sgxTask) {
    const sgx = await sgxTask;
    if (!sgx) caps.flags.delete('sgx-epc');
    else caps.extra.push({ after: 'accel:tcg', lines: sgxLines(sgx) });
  }

  processCaps(caps);

  // Round 3: relies on the flags above.
  await probeHostCpu(caps, mon, accel);
  return orderFlags(caps);
}

/** virQEMUCapsInitQMPMonitorTCG: TCG's CPU models, host ("max") CPU and machines from a second QEMU. */
export async function probeTcg(caps: QemuCaps, mon: QmpExec): Promise<QemuCaps> {
  const [, , machinesReply] = await Promise.all([
    probeCpuDefinitions(caps, mon, 'tcg'),
    probeHostCpu(caps, mon, 'tcg'),
    mon.execute('query-machines'),
  ]);
  accelData(caps, 'tcg').machines = machinesFromReply(machinesReply, caps.arch);
  return caps;
}

/** virQEMUCapsInitProcessCaps and the flags libvirt derives from others. */
function processCaps(caps: QemuCaps): void {
  const f = caps.flags;
  if (f.has('cpu-unavailable-features')) set(caps, 'canonical-cpu-features');
  if (['sparc', 'm68k', 'mips'].includes(caps.arch)) set(caps, 'ncr53c90');
  if (f.has('blockdev-reopen') && f.has('migration-param.block-bitmap-mapping')) set(caps, 'incremental-backup');
  if (f.has('object.qapified')) set(caps, 'compat-deprecated');
  // Per-arch command line options libvirt 9.0 assumes without probing.
  if (isX86(caps.arch) || caps.arch === 'aarch64') set(caps, 'no-acpi');
  if (isX86(caps.arch)) {
    set(caps, 'cpu-cache');
    // -no-hpet until the machine property exists (QEMU 8.0).
    if (!f.has('machine-hpet')) set(caps, 'no-hpet');
  }
}

/** Puts the flag set into libvirt's enum order, the order the cache file lists them in. */
export function orderFlags(caps: QemuCaps): QemuCaps {
  caps.flags = new Set(sortFlags(caps.flags));
  return caps;
}

function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c] ?? c);
}

function sevLines(sev: Record<string, unknown>): string[] {
  const l = ['<sev>'];
  l.push(`  <cbitpos>${Number(sev.cbitpos ?? 0)}</cbitpos>`);
  l.push(`  <reducedPhysBits>${Number(sev['reduced-phys-bits'] ?? 0)}</reducedPhysBits>`);
  l.push(`  <pdh>${esc(String(sev.pdh ?? ''))}</pdh>`);
  l.push(`  <certChain>${esc(String(sev['cert-chain'] ?? ''))}</certChain>`);
  if (typeof sev['cpu0-id'] === 'string') l.push(`  <cpu0Id>${esc(sev['cpu0-id'])}</cpu0Id>`);
  l.push('</sev>');
  return l;
}

function sgxLines(sgx: Record<string, unknown>): string[] {
  const yn = (v: unknown) => (v ? 'yes' : 'no');
  const l = ["<sgx supported='yes'>"];
  l.push(`  <flc>${yn(sgx.flc)}</flc>`, `  <sgx1>${yn(sgx.sgx1)}</sgx1>`, `  <sgx2>${yn(sgx.sgx2)}</sgx2>`);
  const sections = Array.isArray(sgx.sections) ? (sgx.sections as Array<{ node: number; size: number }>) : [];
  const total = sections.reduce((a, s) => a + Number(s.size ?? 0), 0);
  l.push(`  <section_size unit='KiB'>${Math.floor(Number(sgx['section-size'] ?? total) / 1024)}</section_size>`);
  if (sections.length) {
    l.push('  <sections>');
    for (const s of sections) l.push(`    <section node='${s.node}' size='${Math.floor(s.size / 1024)}' unit='KiB'/>`);
    l.push('  </sections>');
  }
  l.push('</sgx>');
  return l;
}

/** A fresh QemuCaps for an emulator path, ready for probeMain. */
export function newCapsFor(emulator: string): QemuCaps {
  return emptyCaps(emulator);
}
