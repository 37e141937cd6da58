// virNodeGetInfo from /proc and /sys: CPU model (uname machine), memory in KiB, online CPUs, MHz,
// NUMA nodes, sockets per node, cores per socket, threads per core.
import { readFile, readdir } from 'node:fs/promises';
import { arch, cpus } from 'node:os';
import type { NodeInfo } from '../../driver/api.js';

const MACHINE: Record<string, string> = { x64: 'x86_64', arm64: 'aarch64', ia32: 'i686', ppc64: 'ppc64le', s390x: 's390x' };

async function text(path: string): Promise<string | null> {
  try {
    return await readFile(path, 'utf8');
  } catch {
    return null;
  }
}

export async function readNodeInfo(): Promise<NodeInfo> {
  const meminfo = (await text('/proc/meminfo')) ?? '';
  const memKiB = Number(/^MemTotal:\s+(\d+)/m.exec(meminfo)?.[1] ?? 0);
  const cpuinfo = (await text('/proc/cpuinfo')) ?? '';
  const list = cpus();
  let mhz = Math.floor(Number(/^cpu MHz\s*:\s*([\d.]+)/m.exec(cpuinfo)?.[1] ?? 0));
  if (!mhz && list.length) mhz = list[0].speed;
  // Topology from sysfs.
  const pkgs = new Set<string>();
  const coresPerPkg = new Map<string, Set<string>>();
  let threadsPerCore = 1;
  let online = 0;
  let nodes = 1;
  try {
    const cpuDirs = (await readdir('/sys/devices/system/cpu')).filter((n) => /^cpu\d+$/.test(n));
    for (const c of cpuDirs) {
      const base = `/sys/devices/system/cpu/${c}`;
      const on = await text(`${base}/online`);
      if (on !== null && on.trim() === '0') continue;
      online++;
      const pkg = ((await text(`${base}/topology/physical_package_id`)) ?? '0').trim();
      const core = ((await text(`${base}/topology/core_id`)) ?? c).trim();
      pkgs.add(pkg);
      if (!coresPerPkg.has(pkg)) coresPerPkg.set(pkg, new Set());
      coresPerPkg.get(pkg)?.add(core);
      const sib = await text(`${base}/topology/thread_siblings_list`);
      if (sib) {
        const n = sib.trim().split(',').reduce((acc, r) => {
          const [a, b] = r.split('-').map(Number);
          return acc + (b !== undefined ? b - a + 1 : 1);
        }, 0);
        threadsPerCore = Math.max(threadsPerCore, n);
      }
    }
    const nodeDirs = (await readdir('/sys/devices/system/node').catch(() => [] as string[])).filter((n) => /^node\d+$/.test(n));
    nodes = Math.max(1, nodeDirs.length);
  } catch {
    online = list.length;
  }
  if (!online) online = list.length || 1;
  const sockets = Math.max(1, Math.floor(pkgs.size / nodes) || 1);
  const cores = Math.max(1, ...[...coresPerPkg.values()].map((s) => s.size));
  return {
    model: MACHINE[arch()] ?? arch(),
    memory: memKiB,
    cpus: online,
    mhz,
    nodes,
    sockets,
    cores,
    threads: threadsPerCore,
  };
}
