// Host facts from /proc and sysfs: virNodeInfo (virsh nodeinfo) and the NUMA topology
// (cells with memory and CPUs) for the capabilities XML.
import { readFile, readdir } from 'node:fs/promises';
import { machine } from 'node:os';
import { join } from 'node:path';
import type { NodeInfo } from '../driver/api.js';
import { cpuMHz, readCpuInfo } from './cpuinfo.js';

export interface HostCpuTopo {
  id: number;
  socketId: number;
  dieId: number;
  coreId: number;
  siblings: string;
}

export interface NumaCell {
  id: number;
  /** KiB */
  memory: number;
  cpus: HostCpuTopo[];
  /** node id → distance */
  distances: Array<{ id: number; value: number }>;
}

export interface SysRoots {
  proc?: string;
  sys?: string;
}

async function readText(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch {
    return undefined;
  }
}

/** Parses a kernel CPU list ("0-3,8,10-11"). */
export function parseCpuList(s: string): number[] {
  const out: number[] = [];
  for (const part of s.trim().split(',')) {
    if (!part) continue;
    const [a, b] = part.split('-').map((x) => Number.parseInt(x, 10));
    if (b === undefined) out.push(a);
    else for (let i = a; i <= b; i++) out.push(i);
  }
  return out;
}

async function cpuTopo(sys: string, cpu: number): Promise<HostCpuTopo> {
  const t = join(sys, 'devices/system/cpu', `cpu${cpu}`, 'topology');
  const num = async (f: string) => Number.parseInt((await readText(join(t, f))) ?? '0', 10) || 0;
  return {
    id: cpu,
    socketId: await num('physical_package_id'),
    dieId: await num('die_id'),
    coreId: await num('core_id'),
    siblings: ((await readText(join(t, 'thread_siblings_list'))) ?? String(cpu)).trim(),
  };
}

/** NUMA cells from /sys/devices/system/node (one cell with everything when the host has no NUMA info). */
export async function readNumaCells(roots: SysRoots = {}): Promise<NumaCell[]> {
  const sys = roots.sys ?? '/sys';
  const proc = roots.proc ?? '/proc';
  const online = parseCpuList((await readText(join(sys, 'devices/system/cpu/online'))) ?? '0');
  let nodes: number[] = [];
  try {
    nodes = (await readdir(join(sys, 'devices/system/node')))
      .filter((n) => /^node\d+$/.test(n))
      .map((n) => Number(n.slice(4)))
      .sort((a, b) => a - b);
  } catch {
    nodes = [];
  }
  const cells: NumaCell[] = [];
  if (nodes.length === 0) {
    const mem = /MemTotal:\s+(\d+)/.exec((await readText(join(proc, 'meminfo'))) ?? '');
    cells.push({
      id: 0, memory: mem ? Number(mem[1]) : 0, cpus: await Promise.all(online.map((c) => cpuTopo(sys, c))), distances: [],
    });
    return cells;
  }
  for (const n of nodes) {
    const dir = join(sys, 'devices/system/node', `node${n}`);
    const mem = /MemTotal:\s+(\d+)\s*kB/.exec((await readText(join(dir, 'meminfo'))) ?? '');
    const cpus = parseCpuList((await readText(join(dir, 'cpulist'))) ?? '').filter((c) => online.includes(c));
    const dist = ((await readText(join(dir, 'distance'))) ?? '').trim().split(/\s+/).filter(Boolean).map(Number);
    cells.push({
      id: n,
      memory: mem ? Number(mem[1]) : 0,
      cpus: await Promise.all(cpus.map((c) => cpuTopo(sys, c))),
      distances: dist.map((v, i) => ({ id: nodes[i] ?? i, value: v })),
    });
  }
  return cells;
}

/**
 * virNodeGetInfo on Linux: memory from /proc/meminfo, MHz from /proc/cpuinfo, topology from sysfs.
 * When nodes×sockets×cores×threads does not add up to the online CPUs, libvirt reports the fake
 * topology nodes=1, sockets=1, cores=cpus, threads=1; so does this.
 */
export async function readNodeInfo(roots: SysRoots = {}): Promise<NodeInfo> {
  const proc = roots.proc ?? '/proc';
  const [cells, info, meminfo] = await Promise.all([
    readNumaCells(roots),
    readCpuInfo(join(proc, 'cpuinfo')),
    readText(join(proc, 'meminfo')),
  ]);
  const mem = /MemTotal:\s+(\d+)/.exec(meminfo ?? '');
  const cpus = cells.reduce((n, c) => n + c.cpus.length, 0);
  let sockets = 0;
  let cores = 0;
  let threads = 0;
  for (const cell of cells) {
    const bySocket = new Map<number, Map<string, number>>();
    for (const c of cell.cpus) {
      const s = bySocket.get(c.socketId) ?? new Map<string, number>();
      const key = `${c.dieId}:${c.coreId}`;
      s.set(key, (s.get(key) ?? 0) + 1);
      bySocket.set(c.socketId, s);
    }
    sockets = Math.max(sockets, bySocket.size);
    for (const s of bySocket.values()) {
      cores = Math.max(cores, s.size);
      for (const t of s.values()) threads = Math.max(threads, t);
    }
  }
  let nodes = cells.length;
  if (nodes * sockets * cores * threads !== cpus) {
    nodes = 1;
    sockets = 1;
    cores = cpus;
    threads = 1;
  }
  return { model: machine(), memory: mem ? Number(mem[1]) : 0, cpus, mhz: cpuMHz(info), nodes, sockets, cores, threads };
}
