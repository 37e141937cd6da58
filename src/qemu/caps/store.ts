// The capabilities cache (virQEMUCapsCache): memory first, then the on-disk file libvirt keeps in
// <cacheDir>/capabilities/<sha256 of the emulator path>.xml, else a probe of the binary. An entry is
// invalid when the binary's ctime, tsvirt's own build (selfctime/selfvers), KVM usability or the host
// CPU microcode/signature/kernel changed.
import { createHash } from 'node:crypto';
import { constants as fsc } from 'node:fs';
import { access, readFile, stat } from 'node:fs/promises';
import { version as osVersion, release } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cpuSignature, microcodeVersion, readCpuInfo } from '../../host/cpuinfo.js';
import { hvfSupported, kvmSupportsNesting, kvmUsable } from '../../host/kvm.js';
import { writeFileAtomic } from '../../util/atomic.js';
import { describeErrno, ErrorCode, ErrorDomain, VirError } from '../../util/errors.js';
import { copyCaps, formatCapsCache, loadCapsCache } from './cache.js';
import { needsTcgProbe, newCapsFor, probeMain, probeTcg } from './probe.js';
import { type ProbeProcessOptions, withProbeProcess } from './spawn.js';
import type { QemuCaps } from './types.js';

/** tsvirt's version as libvirt encodes versions (major*1e6 + minor*1e3 + micro): 0.1.0. */
export const SELF_VERSION = 1000;

let selfCtime: number | undefined;
/** ctime (s) of the running tsvirt code, standing in for libvirt's virGetSelfLastChanged. */
export async function selfLastChanged(): Promise<number> {
  if (selfCtime === undefined) {
    try {
      selfCtime = Math.floor((await stat(fileURLToPath(import.meta.url))).ctimeMs / 1000);
    } catch {
      selfCtime = 0;
    }
  }
  return selfCtime;
}

/** Host facts that decide whether cached capabilities are still valid. */
export interface CapsHostState {
  hostArch: string;
  kvmUsable: boolean;
  hvf: boolean;
  microcodeVersion: number;
  cpuSignature?: string;
  kernelVersion: string;
  kvmNesting: boolean;
}

export async function readCapsHostState(): Promise<CapsHostState> {
  const [kvm, hvf, info, nesting] = await Promise.all([kvmUsable(), hvfSupported(), readCpuInfo(), kvmSupportsNesting()]);
  const s: CapsHostState = {
    hostArch: process.arch === 'x64' ? 'x86_64' : process.arch === 'arm64' ? 'aarch64' : process.arch,
    kvmUsable: kvm,
    hvf,
    microcodeVersion: microcodeVersion(info),
    kernelVersion: `${release()} ${osVersion()}`,
    kvmNesting: nesting,
  };
  const sig = cpuSignature(info);
  if (sig !== undefined) s.cpuSignature = sig;
  return s;
}

export interface GetQemuCapsOptions extends Pick<ProbeProcessOptions, 'runDir' | 'timeoutMs' | 'uid' | 'gid'> {
  /** Host state (read from the host when omitted). */
  host?: CapsHostState;
  /** Skip the on-disk cache (memory only). */
  noDiskCache?: boolean;
}

function isNative(hostArch: string, arch: string): boolean {
  return hostArch === arch || (hostArch === 'x86_64' && arch === 'i686') || (hostArch === 'aarch64' && arch === 'armv7l');
}

function binaryError(emulator: string, e: unknown, what = 'Cannot check QEMU binary'): VirError {
  const code = (e as NodeJS.ErrnoException)?.code;
  const reason = code ? describeErrno(code) : String((e as Error)?.message ?? e);
  return new VirError({ code: ErrorCode.SYSTEM_ERROR, domain: ErrorDomain.QEMU, message: `${what} ${emulator}: ${reason}` });
}

/** Probes a binary: one QEMU with accel=kvm:tcg, and a TCG-only one when an accelerator was in use. */
export async function probeEmulator(emulator: string, opts: GetQemuCapsOptions = {}): Promise<QemuCaps> {
  const host = opts.host ?? (await readCapsHostState());
  let st: Awaited<ReturnType<typeof stat>>;
  try {
    st = await stat(emulator);
  } catch (e) {
    throw binaryError(emulator, e);
  }
  try {
    await access(emulator, fsc.X_OK);
  } catch (e) {
    throw binaryError(emulator, e, 'QEMU binary');
  }
  const caps = newCapsFor(emulator);
  caps.qemuctime = Math.floor(st.ctimeMs / 1000);
  const popts: ProbeProcessOptions = { ...opts };

  // When KVM (or HVF) will be used, the TCG-only QEMU is started right away so both start up together.
  let releaseTcg: (() => void) | undefined;
  let tcgRun: Promise<void> | undefined;
  const mainDone = new Promise<boolean>((resolve) => {
    releaseTcg = () => resolve(needsTcgProbe(caps));
  });
  if (host.kvmUsable || host.hvf) {
    tcgRun = withProbeProcess(emulator, { ...popts, onlyTcg: true }, async (mon) => {
      if (await mainDone) await probeTcg(caps, mon);
    });
    tcgRun.catch(() => {});
  }
  try {
    await withProbeProcess(emulator, popts, (mon) => probeMain(caps, mon, { hvf: host.hvf }));
  } finally {
    releaseTcg?.();
  }
  if (tcgRun) await tcgRun;
  else if (needsTcgProbe(caps)) await withProbeProcess(emulator, { ...popts, onlyTcg: true }, (mon) => probeTcg(caps, mon));

  caps.selfctime = await selfLastChanged();
  caps.selfvers = SELF_VERSION;
  if (caps.flags.has('kvm') || caps.flags.has('hvf')) {
    if (host.cpuSignature !== undefined) caps.hostCPUSignature = host.cpuSignature;
    caps.microcodeVersion = host.microcodeVersion;
    caps.kernelVersion = host.kernelVersion;
  }
  if (caps.flags.has('kvm')) caps.kvmSupportsNesting = host.kvmNesting;
  return caps;
}

/** virQEMUCapsIsValid. */
export async function capsStillValid(caps: QemuCaps, host: CapsHostState): Promise<boolean> {
  if (caps.selfctime !== (await selfLastChanged()) || caps.selfvers !== SELF_VERSION) return false;
  let st: Awaited<ReturnType<typeof stat>>;
  try {
    st = await stat(caps.emulator);
  } catch {
    return false;
  }
  if (Math.floor(st.ctimeMs / 1000) !== caps.qemuctime) return false;
  if (!isNative(host.hostArch, caps.arch)) return true;
  if (caps.flags.has('kvm') !== host.kvmUsable) return false;
  if (caps.flags.has('kvm') || caps.flags.has('hvf')) {
    if ((caps.hostCPUSignature ?? undefined) !== host.cpuSignature) return false;
    if (caps.microcodeVersion !== host.microcodeVersion) return false;
    if ((caps.kernelVersion ?? undefined) !== host.kernelVersion) return false;
  }
  if (caps.flags.has('kvm') && !!caps.kvmSupportsNesting !== host.kvmNesting) return false;
  return true;
}

/** <cacheDir>/capabilities/<sha256(emulator)>.xml */
export function capsCacheFile(cacheDir: string, emulator: string): string {
  return join(cacheDir, 'capabilities', `${createHash('sha256').update(emulator).digest('hex')}.xml`);
}

interface MemEntry {
  caps?: QemuCaps;
  pending?: Promise<QemuCaps>;
}
const memory = new Map<string, MemEntry>();

/** Forgets in-memory entries (all, or one emulator). */
export function clearQemuCapsMemory(emulator?: string): void {
  if (emulator === undefined) memory.clear();
  else for (const k of memory.keys()) if (k.endsWith(`\0${emulator}`)) memory.delete(k);
}

async function lookup(emulator: string, cacheDir: string, opts: GetQemuCapsOptions): Promise<QemuCaps> {
  const host = opts.host ?? (await readCapsHostState());
  const file = capsCacheFile(cacheDir, emulator);
  if (!opts.noDiskCache) {
    let text: string | undefined;
    try {
      text = await readFile(file, 'utf8');
    } catch {
      text = undefined;
    }
    if (text !== undefined) {
      try {
        const caps = loadCapsCache(text);
        if (caps.emulator === emulator && (await capsStillValid(caps, host))) return caps;
      } catch {
        /* unreadable or outdated file: probe again */
      }
    }
  }
  const caps = await probeEmulator(emulator, { ...opts, host });
  if (!opts.noDiskCache) {
    // The file only saves the next process a probe: an unwritable cache directory (a root opened by
    // a user who does not own it) must not make the probed capabilities unusable.
    await writeFileAtomic(file, formatCapsCache(caps), { mode: 0o600, mkdirs: true }).catch(() => {});
  }
  return caps;
}

/**
 * The capabilities of an emulator binary (virQEMUCapsCacheLookup). Concurrent callers share one probe.
 * Returns a copy the caller may modify.
 */
export async function getQemuCaps(emulator: string, cacheDir: string, opts: GetQemuCapsOptions = {}): Promise<QemuCaps> {
  const key = `${cacheDir}\0${emulator}`;
  const e = memory.get(key);
  if (e?.pending) return copyCaps(await e.pending);
  if (e?.caps) {
    const host = opts.host ?? (await readCapsHostState());
    if (await capsStillValid(e.caps, host)) return copyCaps(e.caps);
    opts = { ...opts, host };
  } else {
    try {
      await stat(emulator);
    } catch (err) {
      throw binaryError(emulator, err);
    }
  }
  const pending = lookup(emulator, cacheDir, opts);
  memory.set(key, { pending });
  try {
    const caps = await pending;
    memory.set(key, { caps });
    return copyCaps(caps);
  } catch (err) {
    memory.delete(key);
    throw err;
  }
}
