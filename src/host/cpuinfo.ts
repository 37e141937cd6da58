// /proc/cpuinfo: the facts libvirt takes from it (vendor, model name, family/model/stepping, MHz,
// microcode revision, flags).
import { readFile } from 'node:fs/promises';

export interface CpuInfoEntry {
  [key: string]: string;
}

/** Parses /proc/cpuinfo text into one record per processor block. */
export function parseCpuInfo(text: string): CpuInfoEntry[] {
  const out: CpuInfoEntry[] = [];
  for (const block of text.split(/\n\s*\n/)) {
    const e: CpuInfoEntry = {};
    for (const line of block.split('\n')) {
      const i = line.indexOf(':');
      if (i < 0) continue;
      e[line.slice(0, i).trim()] = line.slice(i + 1).trim();
    }
    if (Object.keys(e).length) out.push(e);
  }
  return out;
}

export async function readCpuInfo(path = '/proc/cpuinfo'): Promise<CpuInfoEntry[]> {
  try {
    return parseCpuInfo(await readFile(path, 'utf8'));
  } catch {
    return [];
  }
}

/** virHostCPUGetMicrocodeVersion: the first "microcode" value (hex), 0 when not reported. */
export function microcodeVersion(info: CpuInfoEntry[]): number {
  for (const e of info) {
    const v = e.microcode;
    if (v) {
      const n = Number.parseInt(v, v.startsWith('0x') ? 16 : 10);
      return Number.isFinite(n) ? n >>> 0 : 0;
    }
  }
  return 0;
}

/** virHostCPUGetSignature (x86): "<vendor>, <model name>, family: F, model: M, stepping: S". */
export function cpuSignature(info: CpuInfoEntry[]): string | undefined {
  const e = info[0];
  if (!e?.vendor_id) return undefined;
  return `${e.vendor_id}, ${e['model name'] ?? ''}, family: ${e['cpu family'] ?? ''}, model: ${e.model ?? ''}, stepping: ${e.stepping ?? ''}`;
}

/** CPU frequency in MHz from the first "cpu MHz" line (integer part), 0 when absent. */
export function cpuMHz(info: CpuInfoEntry[]): number {
  for (const e of info) {
    const v = e['cpu MHz'] ?? e['clock'];
    if (v) {
      const n = Number.parseInt(v, 10);
      if (Number.isFinite(n)) return n;
    }
  }
  return 0;
}
