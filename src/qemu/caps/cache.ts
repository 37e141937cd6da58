// libvirt's QEMU capabilities cache format (<qemuCaps>, virQEMUCapsLoadCache / virQEMUCapsFormatCache)
// and the lookups the rest of the driver does on a QemuCaps.
import { ErrorCode, ErrorDomain, VirError, internalError } from '../../util/errors.js';
import { type XmlElement, attr, parseXml, textOf } from '../../util/xml.js';
import type {
  CapsAccel,
  CapsAccelData,
  CapsCpuModel,
  CapsExtraElement,
  CapsHostCpu,
  CapsHostCpuProperty,
  CapsMachine,
  QemuCaps,
} from './types.js';

/** Modelled sections of the file, in the order libvirt writes them; unknown elements are anchored to these. */
export const CACHE_SECTIONS = [
  'emulator', 'qemuctime', 'selfctime', 'selfvers', 'flag', 'version', 'kvmVersion', 'microcodeVersion',
  'hostCPUSignature', 'package', 'kernelVersion', 'arch', 'accel:kvm', 'accel:tcg', 'accel:hvf',
  'hypervCapabilities', 'kvmSupportsNesting', 'kvmSupportsSecureGuest',
] as const;

const ACCELS: CapsAccel[] = ['kvm', 'tcg', 'hvf'];

export function emptyCaps(emulator = ''): QemuCaps {
  return {
    emulator, qemuctime: 0, selfctime: 0, selfvers: 0, flags: new Set(), version: 0, kvmVersion: 0,
    microcodeVersion: 0, package: '', arch: '', accel: {}, extra: [],
  };
}

function cacheError(detail: string): VirError {
  return internalError(detail, ErrorDomain.QEMU);
}

function num(el: XmlElement, what: string): number {
  const t = (textOf(el) ?? '').trim();
  if (!/^-?\d+$/.test(t)) throw cacheError(`invalid ${what} in QEMU capabilities cache`);
  return Number(t);
}

function yes(v: string | undefined): boolean {
  return v === 'yes';
}

function accelOf(el: XmlElement, what: string): CapsAccel {
  const t = attr(el, 'type');
  if (t === 'kvm' || t === 'tcg' || t === 'hvf') return t;
  throw cacheError(`invalid ${what} type '${t ?? ''}' in QEMU capabilities cache`);
}

/** The machine and CPU model lists of one accelerator, created empty the first time they are asked for. */
export function accelData(caps: QemuCaps, a: CapsAccel): CapsAccelData {
  let d = caps.accel[a];
  if (!d) {
    d = { machines: [], cpuModels: [] };
    caps.accel[a] = d;
  }
  return d;
}

/** Re-serialises an unknown element verbatim (libvirt layout, depth 0). */
function verbatim(node: XmlElement): string[] {
  const lines: string[] = [];
  const rec = (e: XmlElement, depth: number) => {
    const pad = ' '.repeat(depth);
    let a = '';
    for (const x of e.attrs) a += ` ${x.name}='${esc(x.value)}'`;
    const kids = e.children.filter((c) => !(c.kind === 'text' && c.text.trim() === '') && c.kind !== 'comment');
    if (kids.length === 0) lines.push(`${pad}<${e.name}${a}/>`);
    else if (kids.every((c) => c.kind === 'text')) {
      lines.push(`${pad}<${e.name}${a}>${esc(kids.map((c) => (c.kind === 'text' ? c.text : '')).join(''))}</${e.name}>`);
    } else {
      lines.push(`${pad}<${e.name}${a}>`);
      for (const c of kids) {
        if (c.kind === 'element') rec(c, depth + 2);
        else if (c.kind === 'text') lines.push(`${pad}  ${esc(c.text.trim())}`);
      }
      lines.push(`${pad}</${e.name}>`);
    }
  };
  rec(node, 0);
  return lines;
}

function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) =>
    c === '&' ? '&amp;' : c === '<' ? '&lt;' : c === '>' ? '&gt;' : c === '"' ? '&quot;' : '&apos;',
  );
}

function loadHostCpu(el: XmlElement): CapsHostCpu {
  const model = attr(el, 'model');
  if (!model) throw cacheError('missing host CPU model name in QEMU capabilities cache');
  const props: CapsHostCpuProperty[] = [];
  for (const p of el.children) {
    if (p.kind !== 'element' || p.name !== 'property') continue;
    const name = attr(p, 'name');
    const type = attr(p, 'type');
    const value = attr(p, 'value');
    if (!name) throw cacheError('missing \'name\' attribute for a host CPU model property in QEMU capabilities cache');
    if (type !== 'boolean' && type !== 'string' && type !== 'number') {
      throw cacheError(`unknown type '${type ?? ''}' for a host CPU model property in QEMU capabilities cache`);
    }
    if (value === undefined) throw cacheError(`missing value for host CPU model property '${name}'`);
    const prop: CapsHostCpuProperty = { name, type, value };
    const mig = attr(p, 'migratable');
    if (mig !== undefined) prop.migratable = mig === 'yes';
    props.push(prop);
  }
  return { model, migratability: yes(attr(el, 'migratability')), props };
}

function loadCpuModel(el: XmlElement): CapsCpuModel {
  const name = attr(el, 'name');
  if (!name) throw cacheError('missing cpu name in QEMU capabilities cache');
  const u = attr(el, 'usable');
  const usable: CapsCpuModel['usable'] = u === 'yes' ? 'yes' : u === 'no' ? 'no' : 'unknown';
  const blockers: string[] = [];
  for (const b of el.children) {
    if (b.kind !== 'element' || b.name !== 'blocker') continue;
    const bn = attr(b, 'name');
    if (!bn) throw cacheError('missing blocker name in QEMU capabilities cache');
    blockers.push(bn);
  }
  const m: CapsCpuModel = { name, usable, blockers, deprecated: yes(attr(el, 'deprecated')) };
  const tn = attr(el, 'typename');
  if (tn !== undefined) m.typename = tn;
  return m;
}

function loadMachine(el: XmlElement): CapsMachine {
  const name = attr(el, 'name');
  if (!name) throw cacheError('missing machine name in QEMU capabilities cache');
  const maxStr = attr(el, 'maxCpus');
  const maxCpus = maxStr === undefined ? 0 : Number(maxStr);
  if (!Number.isInteger(maxCpus)) throw cacheError('malformed machine cpu count in QEMU capabilities cache');
  const m: CapsMachine = {
    name,
    hotplugCpus: yes(attr(el, 'hotplugCpus')),
    maxCpus,
    default: yes(attr(el, 'default')),
    numaMemSupported: yes(attr(el, 'numaMemSupported')),
    deprecated: yes(attr(el, 'deprecated')),
  };
  const alias = attr(el, 'alias');
  if (alias !== undefined) m.alias = alias;
  const dc = attr(el, 'defaultCPU');
  if (dc !== undefined) m.defaultCPU = dc;
  const dr = attr(el, 'defaultRAMid');
  if (dr !== undefined) m.defaultRAMid = dr;
  const acpi = attr(el, 'acpi');
  if (acpi === 'yes' || acpi === 'no') m.acpi = acpi === 'yes';
  return m;
}

/** Parses a capabilities cache file (virQEMUCapsLoadCache, without invalidation). */
export function loadCapsCache(xml: string): QemuCaps {
  const root = parseXml(xml, '(qemu_capabilities)');
  if (root.name !== 'qemuCaps') {
    throw cacheError(`unexpected root element <${root.name}>, expecting <qemuCaps>`);
  }
  const caps = emptyCaps();
  let last = '';
  const seen = new Set<string>();
  for (const c of root.children) {
    if (c.kind !== 'element') continue;
    let section: string | undefined = c.name;
    switch (c.name) {
      case 'emulator':
        caps.emulator = (textOf(c) ?? '').trim();
        break;
      case 'qemuctime':
        caps.qemuctime = num(c, 'qemuctime');
        break;
      case 'selfctime':
        caps.selfctime = num(c, 'selfctime');
        break;
      case 'selfvers':
        caps.selfvers = num(c, 'selfvers');
        break;
      case 'flag': {
        const n = attr(c, 'name');
        if (!n) throw cacheError('missing flag name in QEMU capabilities cache');
        caps.flags.add(n);
        break;
      }
      case 'version':
        caps.version = num(c, 'version');
        break;
      case 'kvmVersion':
        caps.kvmVersion = num(c, 'kvmVersion');
        break;
      case 'microcodeVersion':
        caps.microcodeVersion = num(c, 'microcodeVersion');
        break;
      case 'hostCPUSignature':
        caps.hostCPUSignature = textOf(c) ?? '';
        break;
      case 'package':
        caps.package = textOf(c) ?? '';
        break;
      case 'kernelVersion':
        caps.kernelVersion = textOf(c) ?? '';
        break;
      case 'arch':
        caps.arch = (textOf(c) ?? '').trim();
        break;
      case 'hostCPU': {
        const a = accelOf(c, 'hostCPU');
        accelData(caps, a).hostCpu = loadHostCpu(c);
        section = `accel:${a}`;
        break;
      }
      case 'cpu': {
        const a = accelOf(c, 'cpu');
        accelData(caps, a).cpuModels.push(loadCpuModel(c));
        section = `accel:${a}`;
        break;
      }
      case 'machine': {
        const a = accelOf(c, 'machine');
        accelData(caps, a).machines.push(loadMachine(c));
        section = `accel:${a}`;
        break;
      }
      case 'hypervCapabilities': {
        const capsList: string[] = [];
        for (const k of c.children) if (k.kind === 'element' && k.name === 'cap') capsList.push(attr(k, 'name') ?? '');
        caps.hypervCapabilities = { supported: yes(attr(c, 'supported')), caps: capsList };
        break;
      }
      case 'kvmSupportsNesting':
        caps.kvmSupportsNesting = true;
        break;
      case 'kvmSupportsSecureGuest':
        caps.kvmSupportsSecureGuest = true;
        break;
      default:
        section = undefined;
    }
    if (section === undefined) {
      caps.extra.push({ after: last, lines: verbatim(c) });
    } else {
      seen.add(section);
      last = section;
    }
  }
  if (!seen.has('arch') || !caps.arch) throw cacheError('missing arch in QEMU capabilities cache');
  return caps;
}

function boolAttr(v: boolean | undefined): string | undefined {
  return v ? 'yes' : undefined;
}

function a(list: Array<[string, string | number | undefined]>): string {
  let s = '';
  for (const [k, v] of list) if (v !== undefined) s += ` ${k}='${esc(String(v))}'`;
  return s;
}

/** Writes a capabilities cache file (virQEMUCapsFormatCache). Output ends with a newline. */
export function formatCapsCache(caps: QemuCaps): string {
  const out: string[] = ['<qemuCaps>'];
  const p = '  ';
  const extrasAfter = (section: string) => {
    for (const e of caps.extra) if (e.after === section) for (const l of e.lines) out.push(p + l);
  };
  extrasAfter('');
  const sec = (name: string, emit: () => void) => {
    emit();
    extrasAfter(name);
  };
  sec('emulator', () => out.push(`${p}<emulator>${esc(caps.emulator)}</emulator>`));
  sec('qemuctime', () => out.push(`${p}<qemuctime>${caps.qemuctime}</qemuctime>`));
  sec('selfctime', () => out.push(`${p}<selfctime>${caps.selfctime}</selfctime>`));
  sec('selfvers', () => out.push(`${p}<selfvers>${caps.selfvers}</selfvers>`));
  sec('flag', () => {
    for (const f of caps.flags) out.push(`${p}<flag name='${esc(f)}'/>`);
  });
  sec('version', () => out.push(`${p}<version>${caps.version}</version>`));
  sec('kvmVersion', () => out.push(`${p}<kvmVersion>${caps.kvmVersion}</kvmVersion>`));
  sec('microcodeVersion', () => out.push(`${p}<microcodeVersion>${caps.microcodeVersion}</microcodeVersion>`));
  sec('hostCPUSignature', () => {
    if (caps.hostCPUSignature !== undefined) out.push(`${p}<hostCPUSignature>${esc(caps.hostCPUSignature)}</hostCPUSignature>`);
  });
  sec('package', () => {
    if (caps.package) out.push(`${p}<package>${esc(caps.package)}</package>`);
  });
  sec('kernelVersion', () => {
    if (caps.kernelVersion !== undefined) out.push(`${p}<kernelVersion>${esc(caps.kernelVersion)}</kernelVersion>`);
  });
  sec('arch', () => out.push(`${p}<arch>${esc(caps.arch)}</arch>`));
  for (const acc of ACCELS) {
    sec(`accel:${acc}`, () => {
      const d = caps.accel[acc];
      if (!d) return;
      if (d.hostCpu) {
        const h = d.hostCpu;
        const head = `${p}<hostCPU${a([['type', acc], ['model', h.model], ['migratability', h.migratability ? 'yes' : 'no']])}`;
        if (h.props.length === 0) out.push(`${head}/>`);
        else {
          out.push(`${head}>`);
          for (const pr of h.props) {
            const mig = pr.migratable === undefined ? undefined : pr.migratable ? 'yes' : 'no';
            out.push(`${p}  <property${a([['name', pr.name], ['type', pr.type], ['value', pr.value], ['migratable', mig]])}/>`);
          }
          out.push(`${p}</hostCPU>`);
        }
      }
      for (const m of d.cpuModels) {
        const head = `${p}<cpu${a([
          ['type', acc], ['name', m.name], ['typename', m.typename],
          ['usable', m.usable === 'unknown' ? undefined : m.usable], ['deprecated', boolAttr(m.deprecated)],
        ])}`;
        if (m.blockers.length === 0) out.push(`${head}/>`);
        else {
          out.push(`${head}>`);
          for (const b of m.blockers) out.push(`${p}  <blocker name='${esc(b)}'/>`);
          out.push(`${p}</cpu>`);
        }
      }
      for (const m of d.machines) {
        out.push(`${p}<machine${a([
          ['type', acc], ['name', m.name], ['alias', m.alias], ['hotplugCpus', boolAttr(m.hotplugCpus)],
          ['maxCpus', m.maxCpus], ['default', boolAttr(m.default)], ['defaultCPU', m.defaultCPU],
          ['numaMemSupported', boolAttr(m.numaMemSupported)], ['defaultRAMid', m.defaultRAMid],
          ['deprecated', boolAttr(m.deprecated)], ['acpi', m.acpi === undefined ? undefined : m.acpi ? 'yes' : 'no'],
        ])}/>`);
      }
    });
  }
  sec('hypervCapabilities', () => {
    const h = caps.hypervCapabilities;
    if (!h) return;
    if (h.caps.length === 0) out.push(`${p}<hypervCapabilities supported='${h.supported ? 'yes' : 'no'}'/>`);
    else {
      out.push(`${p}<hypervCapabilities supported='${h.supported ? 'yes' : 'no'}'>`);
      for (const c of h.caps) out.push(`${p}  <cap name='${esc(c)}'/>`);
      out.push(`${p}</hypervCapabilities>`);
    }
  });
  sec('kvmSupportsNesting', () => {
    if (caps.kvmSupportsNesting) out.push(`${p}<kvmSupportsNesting/>`);
  });
  sec('kvmSupportsSecureGuest', () => {
    if (caps.kvmSupportsSecureGuest) out.push(`${p}<kvmSupportsSecureGuest/>`);
  });
  // Unknown elements anchored to a section this writer does not know (future formats) go last.
  const known = new Set<string>(['', ...CACHE_SECTIONS]);
  for (const e of caps.extra) if (!known.has(e.after)) for (const l of e.lines) out.push(p + l);
  out.push('</qemuCaps>');
  return out.join('\n') + '\n';
}

// ---- copies and lookups ----------------------------------------------------------------------

/** Deep copy (virQEMUCapsNewCopy). */
export function copyCaps(caps: QemuCaps): QemuCaps {
  const accel: QemuCaps['accel'] = {};
  for (const acc of ACCELS) {
    const d = caps.accel[acc];
    if (!d) continue;
    accel[acc] = {
      machines: d.machines.map((m) => ({ ...m })),
      cpuModels: d.cpuModels.map((m) => ({ ...m, blockers: [...m.blockers] })),
      ...(d.hostCpu ? { hostCpu: { ...d.hostCpu, props: d.hostCpu.props.map((x) => ({ ...x })) } } : {}),
    };
  }
  return {
    ...caps,
    flags: new Set(caps.flags),
    accel,
    ...(caps.hypervCapabilities
      ? { hypervCapabilities: { supported: caps.hypervCapabilities.supported, caps: [...caps.hypervCapabilities.caps] } }
      : {}),
    extra: caps.extra.map((e) => ({ after: e.after, lines: [...e.lines] })),
  };
}

/**
 * virQEMUCapsStripMachineAliases: every aliased machine is renamed to its alias in place (so the preferred
 * machine stays first and `pc` stays `pc` on the command line), and an entry with the original name and the
 * same properties, but never marked default, is appended. Mutates and returns caps.
 */
export function stripMachineAliases(caps: QemuCaps): QemuCaps {
  for (const acc of ACCELS) {
    const d = caps.accel[acc];
    if (!d) continue;
    const n = d.machines.length;
    for (let i = 0; i < n; i++) {
      const m = d.machines[i];
      const alias = m.alias;
      if (alias === undefined) continue;
      const orig = m.name;
      m.name = alias;
      delete m.alias;
      d.machines.push({ ...m, name: orig, default: false });
    }
  }
  return caps;
}

/** The accelerator whose data applies to a domain virt type ('kvm'→kvm, 'qemu'→tcg, 'hvf'→hvf). */
export function accelFor(virtType: string): CapsAccel {
  switch (virtType) {
    case 'kvm':
      return 'kvm';
    case 'hvf':
      return 'hvf';
    case 'qemu':
      return 'tcg';
    default:
      throw new VirError({
        code: ErrorCode.INTERNAL_ERROR,
        domain: ErrorDomain.QEMU,
        message: `internal error: unexpected virtualization type '${virtType}'`,
      });
  }
}

/** Machine types of one accelerator ([] when the emulator does not support it). */
export function machinesOf(caps: QemuCaps, accel: CapsAccel): CapsMachine[] {
  return caps.accel[accel]?.machines ?? [];
}

/** A machine type by name or alias (virQEMUCapsGetCanonicalMachine + lookup). */
export function getMachine(caps: QemuCaps, accel: CapsAccel, name: string): CapsMachine | undefined {
  const list = machinesOf(caps, accel);
  return list.find((m) => m.name === name) ?? list.find((m) => m.alias === name);
}

/** The canonical name for a machine name or alias (unchanged when unknown). */
export function canonicalMachine(caps: QemuCaps, accel: CapsAccel, name: string): string {
  const m = machinesOf(caps, accel).find((x) => x.alias === name);
  return m ? m.name : name;
}

/** The preferred machine (virQEMUCapsGetPreferredMachine): the first listed; probing moves it to the front. */
export function defaultMachine(caps: QemuCaps, accel: CapsAccel): CapsMachine | undefined {
  return machinesOf(caps, accel)[0];
}

/** Whether a canonical machine name is supported (virQEMUCapsIsMachineSupported). */
export function isMachineSupported(caps: QemuCaps, accel: CapsAccel, name: string): boolean {
  return machinesOf(caps, accel).some((m) => m.name === name);
}

/**
 * The CPU model name QEMU uses by default for a machine (virQEMUCapsGetMachineDefaultCPU): the machine's
 * defaultCPU QOM type mapped back through query-cpu-definitions, e.g. 'qemu64-x86_64-cpu' → 'qemu64'.
 */
export function machineDefaultCpuModel(caps: QemuCaps, accel: CapsAccel, machine: string): string | undefined {
  const d = caps.accel[accel];
  if (!d || d.cpuModels.length === 0) return undefined;
  const type = d.machines.find((m) => m.name === machine)?.defaultCPU;
  if (!type) return undefined;
  return d.cpuModels.find((c) => c.typename === type)?.name;
}

/** A CPU model by name from query-cpu-definitions of one accelerator. */
export function getCpuModel(caps: QemuCaps, accel: CapsAccel, name: string): CapsCpuModel | undefined {
  return caps.accel[accel]?.cpuModels.find((m) => m.name === name);
}

/** Whether the emulator reports support for an accelerator (flags 'kvm', 'tcg', 'hvf'). */
export function supportsAccel(caps: QemuCaps, accel: CapsAccel): boolean {
  return caps.flags.has(accel);
}

export type { CapsExtraElement };
