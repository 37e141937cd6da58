// Firmware for QEMU domains (qemu_firmware.c, qemuDomainNVRAMPath*, qemuDomainInitializePflash*):
//  - reading the firmware interop descriptors (/etc/qemu/firmware, /usr/share/qemu/firmware and, when
//    unprivileged, $XDG_CONFIG_HOME/qemu/firmware; merged by file name, higher priority wins, empty
//    files mask, sorted by name);
//  - the define-time NVRAM path of an old-style read-only UEFI loader;
//  - start-time firmware autoselection (<os firmware='efi|bios'>, or a read-only pflash loader
//    without NVRAM template whose varstore does not exist yet);
//  - the pflash storage sources (fixed node names libvirt-pflash0/1-*) the command line uses.
import { createCipheriv } from 'node:crypto';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { hasOldStyleROUEFI, hasOldStyleUEFI } from '../../conf/domain/firmware.js';
import { type StorageSource, emptySource } from '../../conf/domain/storage.js';
import type { DomainDef } from '../../conf/domain/types.js';
import { ErrorDomain, configUnsupported, internalError, operationFailed, operationInvalid } from '../../util/errors.js';
import type { FirmwareDescriptor, Host } from '../command/host.js';
import type { QemuDriverConfig } from '../config.js';

// ---- descriptor discovery ------------------------------------------------------------------------

/** The descriptor folders, highest priority first (qemuInteropFetchConfigs). */
export function firmwareSearchDirs(privileged: boolean, env: Record<string, string | undefined>, sysconfdir = '/etc', datadir = '/usr/share'): string[] {
  const dirs: string[] = [];
  if (!privileged) {
    const xdg = env.XDG_CONFIG_HOME || (env.HOME ? `${env.HOME}/.config` : undefined);
    if (xdg) dirs.push(`${xdg}/qemu/firmware`);
  }
  dirs.push(`${sysconfdir}/qemu/firmware`, `${datadir}/qemu/firmware`);
  return dirs;
}

/**
 * Reads the descriptors of `dirs` (highest priority first): a file name found in an earlier folder
 * hides the same name in later ones, an empty file hides the name altogether, the result is sorted
 * by file name. Unreadable folders are skipped; a descriptor that is not JSON is an error.
 */
export function loadFirmwareDescriptors(dirs: string[], readFile: (path: string) => string = (p) => readFileSync(p, 'utf8')): FirmwareDescriptor[] {
  const chosen = new Map<string, string>();
  for (const dir of dirs) {
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch {
      continue;
    }
    for (const n of names) {
      if (!n.endsWith('.json') || chosen.has(n)) continue;
      chosen.set(n, join(dir, n));
    }
  }
  const out: FirmwareDescriptor[] = [];
  for (const name of [...chosen.keys()].sort()) {
    const path = chosen.get(name) as string;
    let text: string;
    try {
      if (!statSync(path).isFile()) continue;
      text = readFile(path);
    } catch {
      continue;
    }
    if (text.trim() === '') continue;
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw internalError(`unable to parse json file '${path}'`);
    }
    out.push({ name, json });
  }
  return out;
}

// ---- descriptor model ----------------------------------------------------------------------------

interface FwFile {
  filename: string;
  format: string;
}

export interface ParsedFirmware {
  name: string;
  interfaces: string[];
  device: string;
  /** flash mapping mode: split (default), combined, stateless */
  mode: string;
  executable?: FwFile;
  nvramTemplate?: FwFile;
  /** memory/kernel mapping */
  filename?: string;
  targets: Array<{ arch: string; machines: string[] }>;
  features: Set<string>;
}

function obj(v: unknown): Record<string, unknown> {
  return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
}
function strs(v: unknown): string[] {
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
}
function fwFile(v: unknown): FwFile | undefined {
  const o = obj(v);
  if (typeof o.filename !== 'string') return undefined;
  return { filename: o.filename, format: typeof o.format === 'string' ? o.format : 'raw' };
}

export function parseFirmwareDescriptor(d: FirmwareDescriptor): ParsedFirmware {
  const j = obj(d.json);
  const m = obj(j.mapping);
  return {
    name: d.name,
    interfaces: strs(j['interface-types']),
    device: typeof m.device === 'string' ? m.device : '',
    mode: typeof m.mode === 'string' ? m.mode : 'split',
    executable: fwFile(m.executable),
    nvramTemplate: fwFile(m['nvram-template']),
    filename: typeof m.filename === 'string' ? m.filename : undefined,
    targets: (Array.isArray(j.targets) ? j.targets : []).map((t) => {
      const o = obj(t);
      return { arch: typeof o.architecture === 'string' ? o.architecture : '', machines: strs(o.machines) };
    }),
    features: new Set(strs(j.features)),
  };
}

/** g_pattern_match_simple: '*' and '?' wildcards. */
function globMatch(pattern: string, s: string): boolean {
  const re = new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`);
  return re.test(s);
}

/** virQEMUCapsArchToString: QEMU's name of an architecture. */
function qemuArchName(arch: string): string {
  if (arch === 'i686') return 'i386';
  if (arch === 'armv7l') return 'arm';
  return arch;
}

function matchesMachineArch(fw: ParsedFirmware, machine: string, arch: string): boolean {
  const a = qemuArchName(arch);
  return fw.targets.some((t) => t.arch === a && t.machines.some((m) => globMatch(m, machine)));
}

function pmState(def: DomainDef, what: string): string | undefined {
  const pm = def.raw.pm?.[0];
  const e = pm?.children.find((c) => c.kind === 'element' && c.local === what);
  return e && e.kind === 'element' ? e.attrs.find((a) => a.name === 'enabled')?.value : undefined;
}

function sevPolicy(def: DomainDef): number | undefined {
  const ls = def.raw.launchSecurity?.[0];
  if (ls?.attrs.find((a) => a.name === 'type')?.value !== 'sev') return undefined;
  const p = ls.children.find((c) => c.kind === 'element' && c.local === 'policy');
  const t = p && p.kind === 'element' ? p.children.map((c) => (c.kind === 'text' ? c.text : '')).join('').trim() : '';
  return t ? Number(t) : 0;
}

/** qemuFirmwareMatchDomain */
export function firmwareMatchesDomain(def: DomainDef, fw: ParsedFirmware): boolean {
  const loader = def.os.loader;
  let want = def.os.firmware === 'efi' ? 'uefi' : def.os.firmware === 'bios' ? 'bios' : undefined;
  if (!want && loader) {
    want = loader.type === 'rom' ? 'bios' : loader.type === 'pflash' ? 'uefi' : undefined;
    if (fw.device !== 'flash' || fw.executable?.filename !== loader.path) return false;
  }
  if (!want || !fw.interfaces.includes(want)) return false;
  if (!matchesMachineArch(fw, def.os.machine ?? '', def.os.arch ?? '')) return false;
  const f = fw.features;
  if (pmState(def, 'suspend-to-mem') === 'yes' && !f.has('acpi-s3')) return false;
  if (pmState(def, 'suspend-to-disk') === 'yes' && !f.has('acpi-s4')) return false;
  const req = (n: string) => def.os.firmwareFeatures.find((x) => x.name === n)?.enabled;
  const sb = req('secure-boot');
  if (sb === 'yes' && !f.has('secure-boot')) return false;
  if (sb === 'no' && f.has('secure-boot')) return false;
  const keys = req('enrolled-keys');
  if (keys === 'yes' && !f.has('enrolled-keys')) return false;
  if (keys === 'no' && f.has('enrolled-keys')) return false;
  if (loader?.secure === 'yes' && !f.has('requires-smm')) return false;
  if (fw.device === 'flash') {
    if (loader?.stateless === 'yes') {
      if (fw.mode !== 'stateless') return false;
    } else if (fw.mode !== 'split') return false;
  }
  const policy = sevPolicy(def);
  if (policy !== undefined) {
    if (!f.has('amd-sev')) return false;
    if (policy & 4 && !f.has('amd-sev-es')) return false;
  }
  return true;
}

/** qemuDomainNVRAMPathFormat */
export function nvramPath(def: DomainDef, nvramDir: string): string {
  return `${nvramDir}/${def.name}_VARS.fd`;
}

/**
 * qemuDomainDefPostParse's NVRAM part: a read-only pflash loader that is not stateless gets its
 * varstore in the driver's nvram dir when the XML names none.
 */
export function firmwareNvramPostParse(def: DomainDef, nvramDir: string | undefined): void {
  if (!nvramDir || !hasOldStyleROUEFI(def) || def.os.loader?.stateless === 'yes') return;
  const nv = def.os.nvram;
  if (nv?.path || nv?.src) return;
  def.os.nvram = { ...(nv ?? {}), path: nvramPath(def, nvramDir) };
}

function setSmmOn(def: DomainDef): void {
  const f = def.features.find((x) => x.name === 'smm');
  const st = f?.attrs.find(([k]) => k === 'state')?.[1];
  if (f && st === 'off') throw operationInvalid('domain has SMM turned off but chosen firmware requires it');
  if (!f) def.features.push({ name: 'smm', attrs: [['state', 'on']], body: [] });
}

/** qemuFirmwareEnableFeatures */
function enableFirmware(def: DomainDef, fw: ParsedFirmware, cfg: QemuDriverConfig): void {
  const os = def.os;
  switch (fw.device) {
    case 'flash': {
      const exe = fw.executable;
      if (!exe) break;
      if (exe.format !== 'raw') throw configUnsupported(`unsupported flash format '${exe.format}'`, ErrorDomain.QEMU);
      os.loader = { ...(os.loader ?? {}), type: 'pflash', readonly: 'yes', path: exe.filename };
      if (fw.nvramTemplate) {
        if (fw.nvramTemplate.format !== 'raw') {
          throw configUnsupported(`unsupported nvram template format '${fw.nvramTemplate.format}'`, ErrorDomain.QEMU);
        }
        os.nvram = { ...(os.nvram ?? {}), template: fw.nvramTemplate.filename };
      }
      if (fw.mode === 'split' && !os.nvram?.path && !os.nvram?.src) {
        os.nvram = { ...(os.nvram ?? {}), path: nvramPath(def, cfg.nvramDir) };
      }
      break;
    }
    case 'kernel':
      if (fw.filename) os.kernel = fw.filename;
      break;
    case 'memory':
      if (fw.filename) os.loader = { ...(os.loader ?? {}), type: 'rom', path: fw.filename };
      break;
  }
  if (fw.features.has('requires-smm')) {
    setSmmOn(def);
    if (os.loader) os.loader.secure = 'yes';
  }
}

/** qemuFirmwareFillDomain (start of a new domain). */
export function fillFirmware(def: DomainDef, host: Host, cfg: QemuDriverConfig): void {
  let needResult = true;
  if (!def.os.firmware) {
    if (!hasOldStyleROUEFI(def) || def.os.nvram?.template) return;
    const nv = def.os.nvram;
    if (nv?.src && nv.src.type === 'network') return;
    const p = nv?.src?.path ?? nv?.path;
    if (p && host.pathExists(p)) return;
    needResult = false;
  }
  const fw = host.firmware.map(parseFirmwareDescriptor).find((f) => firmwareMatchesDomain(def, f));
  if (!fw) {
    if (needResult) throw operationFailed(`Unable to find any firmware to satisfy '${def.os.firmware}'`);
    return;
  }
  enableFirmware(def, fw, cfg);
}

// ---- pflash storage ------------------------------------------------------------------------------

/** qemuDomainSecretAESSetup for the NVRAM's network auth secret. */
function wrapSecret(host: Host, alias: string, value: Uint8Array, username?: string) {
  const key = host.masterKey?.() ?? host.randomBytes(32);
  const iv = host.randomBytes(16);
  const c = createCipheriv('aes-256-cbc', key, iv);
  const ct = Buffer.concat([c.update(value), c.final()]);
  return { alias, ciphertext: ct.toString('base64'), iv: Buffer.from(iv).toString('base64'), username };
}

/** qemuDomainInitializePflashStorageSource + the NVRAM source's secrets. */
export function preparePflash(def: DomainDef, host: Host): void {
  const os = def.os;
  if (!hasOldStyleUEFI(def) || !os.loader?.path) return;
  const loader: StorageSource = { ...emptySource('file'), path: os.loader.path, format: 'raw', readonly: os.loader.readonly === 'yes' };
  loader.nodeStorage = 'libvirt-pflash0-storage';
  loader.nodeFormat = 'libvirt-pflash0-format';
  let nvram: StorageSource | undefined;
  if (os.nvram?.src) nvram = structuredClone(os.nvram.src);
  else if (os.nvram?.path) nvram = { ...emptySource('file'), path: os.nvram.path };
  if (nvram) {
    nvram.format = os.nvram?.format ?? nvram.format ?? 'raw';
    nvram.readonly = false;
    nvram.backingStore = undefined;
    nvram.nodeStorage = 'libvirt-pflash1-storage';
    nvram.nodeFormat = 'libvirt-pflash1-format';
    const a = nvram.auth;
    if (nvram.type === 'network' && a) {
      const value = host.lookupSecret({ uuid: a.secretUuid, usage: a.secretUsage, type: a.secretType ?? (nvram.protocol === 'rbd' ? 'ceph' : 'iscsi') });
      if (!value) {
        throw internalError(a.secretUuid ? `no secret with matching uuid '${a.secretUuid}'` : `no secret with matching usage '${a.secretUsage ?? ''}'`, ErrorDomain.SECRET);
      }
      nvram.priv = { ...(nvram.priv ?? {}), authSecret: wrapSecret(host, `${nvram.nodeStorage}-auth-secret0`, value, a.username) };
    }
  }
  os.pflash = { loader, nvram };
}

/** Start-time firmware work, in qemuProcessPrepareDomain's order. */
export function prepareFirmware(def: DomainDef, host: Host, cfg: QemuDriverConfig): void {
  firmwareNvramPostParse(def, cfg.nvramDir);
  fillFirmware(def, host, cfg);
  preparePflash(def, host);
}
