// Per-guest cgroups on the host's hierarchies, as plain files (no library): cgroup v1 (one mount per
// controller) and v2 (one unified mount), or a hybrid of both as on these machines.
//
// Each guest gets one directory per hierarchy (directCgroupPath: /machine/<machine>.libvirt-qemu). The
// device ACL goes to the v1 devices controller when it is mounted; on a pure v2 host it needs a
// BPF_PROG_TYPE_CGROUP_DEVICE program (./bpf.ts). CPU and memory tuning go wherever those controllers are.
import { existsSync, readFileSync } from 'node:fs';
import { appendFile, mkdir, readFile, readdir, rmdir, writeFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { ErrorCode, ErrorDomain, virError } from '../util/errors.js';
import { type DeviceRule, formatRule, parseRule } from './acl.js';

export const V1_CONTROLLERS = ['cpu', 'cpuacct', 'cpuset', 'memory', 'devices', 'freezer', 'blkio', 'net_cls', 'perf_event', 'pids'] as const;

export interface CgroupLayout {
  /** v1 controller → mount point (e.g. devices → /sys/fs/cgroup/devices). */
  v1: Record<string, string>;
  /** The cgroup2 mount, if any. */
  v2?: string;
  /** Controllers available on the v2 mount (its cgroup.controllers). */
  v2Controllers: string[];
}

/** Reads the hierarchies from a mountinfo text (default /proc/self/mountinfo). */
export function parseMountinfo(text: string): CgroupLayout {
  const layout: CgroupLayout = { v1: {}, v2Controllers: [] };
  for (const line of text.split('\n')) {
    const sep = line.indexOf(' - ');
    if (sep < 0) continue;
    const pre = line.slice(0, sep).split(' ');
    const post = line.slice(sep + 3).split(' ');
    const mnt = pre[4]?.replace(/\\040/g, ' ');
    if (!mnt) continue;
    if (post[0] === 'cgroup2') layout.v2 ??= mnt;
    else if (post[0] === 'cgroup') {
      for (const opt of (post[2] ?? '').split(',')) {
        if ((V1_CONTROLLERS as readonly string[]).includes(opt)) layout.v1[opt] ??= mnt;
      }
    }
  }
  return layout;
}

export function detectLayout(mountinfo = '/proc/self/mountinfo'): CgroupLayout {
  const layout = parseMountinfo(readFileSync(mountinfo, 'utf8'));
  if (layout.v2) {
    try {
      layout.v2Controllers = readFileSync(`${layout.v2}/cgroup.controllers`, 'utf8').trim().split(/\s+/).filter(Boolean);
    } catch {
      layout.v2Controllers = [];
    }
  }
  return layout;
}

/** Tuning from <cputune>/<memtune>/<blkiotune> (libvirt units: KiB for memory). */
export interface CgroupTuning {
  cpuShares?: number;
  cpuPeriod?: number;
  cpuQuota?: number;
  memoryHardLimitKiB?: number;
  memorySoftLimitKiB?: number;
  swapHardLimitKiB?: number;
  blkioWeight?: number;
}

export interface DomainCgroupOptions {
  layout?: CgroupLayout;
  /** Controllers to use (qemu.conf cgroup_controllers); default all that are mounted. */
  controllers?: string[];
  /** Device allow-list (computeDeviceAcl); undefined = no device ACL at all. */
  deviceAcl?: DeviceRule[];
  tuning?: CgroupTuning;
}

const err = (msg: string) => virError(ErrorCode.OPERATION_FAILED, ErrorDomain.CGROUP, msg);

async function writeKnob(dir: string, file: string, value: string): Promise<void> {
  try {
    await writeFile(`${dir}/${file}`, value);
  } catch (e) {
    throw virError(ErrorCode.SYSTEM_ERROR, ErrorDomain.CGROUP, `Unable to write to '${dir}/${file}': ${(e as Error).message}`);
  }
}

/** A guest's cgroup directories (one per hierarchy in use). */
export class DomainCgroup {
  constructor(
    /** Path inside each hierarchy, e.g. /machine/qemu-1-vm.libvirt-qemu. */
    readonly path: string,
    /** v1 controller → absolute directory. */
    readonly v1Dirs: Record<string, string>,
    /** Absolute directory on the v2 mount, if used. */
    readonly v2Dir: string | undefined,
  ) {}

  /** Every distinct directory (v1 controllers sharing a mount appear once). */
  dirs(): string[] {
    const s = new Set<string>(Object.values(this.v1Dirs));
    if (this.v2Dir) s.add(this.v2Dir);
    return [...s];
  }

  /** The cgroup.procs files a process must be written to (see wrapArgv). */
  procsFiles(): string[] {
    return this.dirs().map((d) => `${d}/cgroup.procs`);
  }

  /** Moves a process (all its threads) into the guest's cgroups. */
  async addProcess(pid: number): Promise<void> {
    for (const f of this.procsFiles()) {
      try {
        await appendFile(f, `${pid}\n`);
      } catch (e) {
        throw virError(ErrorCode.SYSTEM_ERROR, ErrorDomain.CGROUP, `Unable to add process ${pid} to '${f}': ${(e as Error).message}`);
      }
    }
  }

  /**
   * argv that joins the cgroups and then execs `argv` — so QEMU is confined before it opens anything:
   * `sh -c '…echo $$ > cgroup.procs…; exec "$@"' tsvirt-cgroup <procs files> -- argv…`.
   */
  wrapArgv(argv: string[]): string[] {
    const script = 'while [ "$1" != "--" ]; do echo $$ > "$1" || exit 125; shift; done; shift; exec "$@"';
    return ['/bin/sh', '-c', script, 'tsvirt-cgroup', ...this.procsFiles(), '--', ...argv];
  }

  /** devices.list of the v1 devices controller, parsed. */
  async deviceList(): Promise<DeviceRule[]> {
    const d = this.v1Dirs.devices;
    if (!d) throw err('the devices controller is not mounted (cgroup v1)');
    const text = await readFile(`${d}/devices.list`, 'utf8');
    return text.split('\n').map(parseRule).filter((r): r is DeviceRule => !!r);
  }

  /** Hotplug: allow one more device node. */
  async allowDevice(r: DeviceRule): Promise<void> {
    const d = this.v1Dirs.devices;
    if (d) await writeKnob(d, 'devices.allow', formatRule(r));
  }

  /** Hot-unplug: deny a device node again. */
  async denyDevice(r: DeviceRule): Promise<void> {
    const d = this.v1Dirs.devices;
    if (d) await writeKnob(d, 'devices.deny', formatRule(r));
  }

  /** PIDs in the guest's cgroups. */
  async pids(): Promise<number[]> {
    const out = new Set<number>();
    for (const f of this.procsFiles()) {
      try {
        for (const l of (await readFile(f, 'utf8')).split('\n')) if (l) out.add(Number(l));
      } catch {
        /* already gone */
      }
    }
    return [...out];
  }
}

function pickControllers(layout: CgroupLayout, wanted?: string[]): { v1: string[]; v2: string[] } {
  const want = (c: string) => !wanted || wanted.includes(c);
  const v1 = Object.keys(layout.v1).filter(want);
  const v2 = layout.v2Controllers.filter((c) => want(c) && !v1.includes(c) && ['cpu', 'cpuset', 'memory', 'io', 'pids'].includes(c));
  return { v1, v2 };
}

async function inheritCpuset(dir: string): Promise<void> {
  // A new v1 cpuset group starts empty and refuses tasks until cpus/mems are set: copy the parent's.
  for (const f of ['cpuset.cpus', 'cpuset.mems']) {
    const cur = (await readFile(`${dir}/${f}`, 'utf8').catch(() => '')).trim();
    if (cur) continue;
    const parent = (await readFile(`${dir}/../${f}`, 'utf8')).trim();
    await writeKnob(dir, f, parent);
  }
}

async function mkdirChain(mount: string, path: string, onEach?: (dir: string) => Promise<void>): Promise<string> {
  let cur = mount;
  for (const part of path.split('/').filter(Boolean)) {
    cur = `${cur}/${part}`;
    if (!existsSync(cur)) {
      await mkdir(cur).catch((e: NodeJS.ErrnoException) => {
        if (e.code !== 'EEXIST') throw virError(ErrorCode.SYSTEM_ERROR, ErrorDomain.CGROUP, `Unable to create cgroup '${cur}': ${e.message}`);
      });
    }
    if (onEach) await onEach(cur);
  }
  return cur;
}

/** Creates the guest's cgroups, applies the device ACL and the tuning. Undoes itself on failure. */
export async function createDomainCgroup(path: string, o: DomainCgroupOptions = {}): Promise<DomainCgroup> {
  const layout = o.layout ?? detectLayout();
  const ctl = pickControllers(layout, o.controllers);
  const v1Dirs: Record<string, string> = {};
  let v2Dir: string | undefined;
  let cg: DomainCgroup | undefined;
  try {
    for (const c of ctl.v1) {
      v1Dirs[c] = await mkdirChain(layout.v1[c], path, c === 'cpuset' ? inheritCpuset : undefined);
    }
    const needV2Devices = o.deviceAcl !== undefined && !v1Dirs.devices && layout.v2 !== undefined &&
      (!o.controllers || o.controllers.includes('devices'));
    if (layout.v2 && (ctl.v2.length > 0 || needV2Devices)) {
      const mount = layout.v2;
      v2Dir = await mkdirChain(mount, path, async (dir) => {
        if (dir === `${mount}/${path.split('/').filter(Boolean).join('/')}`) return;
        // enable the controllers for the children of every ancestor
        for (const c of ctl.v2) await writeKnob(dir, 'cgroup.subtree_control', `+${c}`).catch(() => {});
      });
      for (const c of ctl.v2) await writeKnob(mount, 'cgroup.subtree_control', `+${c}`).catch(() => {});
    }
    cg = new DomainCgroup(path, v1Dirs, v2Dir);
    if (o.deviceAcl && (v1Dirs.devices || needV2Devices)) await applyDeviceAcl(cg, o.deviceAcl);
    if (o.tuning) await applyTuning(cg, o.tuning);
    return cg;
  } catch (e) {
    await removeDirs(new DomainCgroup(path, v1Dirs, v2Dir), 1).catch(() => {});
    throw e;
  }
}

/**
 * Deny everything, then allow the list (v1 devices controller). On a host where only cgroup v2 can carry
 * the guest, the ACL would need a BPF_PROG_TYPE_CGROUP_DEVICE program loaded with bpf(2), which Node
 * cannot issue without a native addon: the start is refused with a message saying so, rather than
 * running the guest without its device ACL.
 */
export async function applyDeviceAcl(cg: DomainCgroup, rules: DeviceRule[]): Promise<void> {
  const d = cg.v1Dirs.devices;
  if (d) {
    await writeKnob(d, 'devices.deny', 'a');
    for (const r of rules) await writeKnob(d, 'devices.allow', formatRule(r));
    return;
  }
  if (!cg.v2Dir) throw err('no cgroup hierarchy can carry the device ACL: neither the v1 devices controller nor cgroup v2 is mounted');
  throw virError(ErrorCode.OPERATION_UNSUPPORTED, ErrorDomain.CGROUP,
    `cannot enforce the device ACL of ${cg.path} on cgroup v2: that needs an eBPF device program (bpf(2)), which tsvirt cannot load yet; ` +
      "mount the v1 'devices' controller, or drop 'devices' from cgroup_controllers in qemu.conf to run guests without a device ACL");
}

/** cpu/memory/blkio knobs where the controllers exist (v1 names, or their v2 equivalents). */
export async function applyTuning(cg: DomainCgroup, t: CgroupTuning): Promise<void> {
  const v1 = cg.v1Dirs;
  const v2 = cg.v2Dir;
  const has2 = async (ctl: string) => !!v2 && (await readFile(`${v2}/cgroup.controllers`, 'utf8').catch(() => '')).split(/\s+/).includes(ctl);
  if (t.cpuShares !== undefined) {
    if (v1.cpu) await writeKnob(v1.cpu, 'cpu.shares', String(t.cpuShares));
    else if (await has2('cpu')) await writeKnob(v2!, 'cpu.weight', String(Math.min(10000, Math.max(1, t.cpuShares))));
    else throw cpuMissing('cpu shares');
  }
  if (t.cpuPeriod !== undefined || t.cpuQuota !== undefined) {
    if (v1.cpu) {
      if (t.cpuPeriod !== undefined) await writeKnob(v1.cpu, 'cpu.cfs_period_us', String(t.cpuPeriod));
      if (t.cpuQuota !== undefined) await writeKnob(v1.cpu, 'cpu.cfs_quota_us', String(t.cpuQuota));
    } else if (await has2('cpu')) {
      const q = t.cpuQuota === undefined || t.cpuQuota < 0 ? 'max' : String(t.cpuQuota);
      await writeKnob(v2!, 'cpu.max', `${q} ${t.cpuPeriod ?? 100000}`);
    } else throw cpuMissing('CPU bandwidth');
  }
  const bytes = (kib: number) => String(kib * 1024);
  if (t.memoryHardLimitKiB !== undefined) {
    if (v1.memory) await writeKnob(v1.memory, 'memory.limit_in_bytes', bytes(t.memoryHardLimitKiB));
    else if (await has2('memory')) await writeKnob(v2!, 'memory.max', bytes(t.memoryHardLimitKiB));
    else throw memMissing();
  }
  if (t.memorySoftLimitKiB !== undefined) {
    if (v1.memory) await writeKnob(v1.memory, 'memory.soft_limit_in_bytes', bytes(t.memorySoftLimitKiB));
    else if (await has2('memory')) await writeKnob(v2!, 'memory.high', bytes(t.memorySoftLimitKiB));
    else throw memMissing();
  }
  if (t.swapHardLimitKiB !== undefined) {
    if (v1.memory) await writeKnob(v1.memory, 'memory.memsw.limit_in_bytes', bytes(t.swapHardLimitKiB));
    else if (await has2('memory')) await writeKnob(v2!, 'memory.swap.max', bytes(Math.max(0, t.swapHardLimitKiB - (t.memoryHardLimitKiB ?? 0))));
    else throw memMissing();
  }
  if (t.blkioWeight !== undefined) {
    if (v1.blkio) await writeKnob(v1.blkio, 'blkio.weight', String(t.blkioWeight));
    else if (await has2('io')) await writeKnob(v2!, 'io.weight', `default ${t.blkioWeight}`);
    else throw virError(ErrorCode.OPERATION_INVALID, ErrorDomain.QEMU, 'Block I/O tuning is not available on this host');
  }
}

const cpuMissing = (what: string) => virError(ErrorCode.CONFIG_UNSUPPORTED, ErrorDomain.QEMU, `cgroup cpu is required for scheduler tuning (${what})`);
const memMissing = () => virError(ErrorCode.OPERATION_INVALID, ErrorDomain.QEMU, 'Memory cgroup is not available on this host');

async function removeDirs(cg: DomainCgroup, attempts: number): Promise<void> {
  const errors: string[] = [];
  for (const dir of cg.dirs()) {
    if (!existsSync(dir)) continue;
    let last: unknown;
    for (let i = 0; i < attempts; i++) {
      try {
        // nested groups first (libvirt's emulator/vcpuN sub-groups, if anyone made them)
        for (const ent of await readdir(dir, { withFileTypes: true })) {
          if (ent.isDirectory()) await rmdir(`${dir}/${ent.name}`).catch(() => {});
        }
        await rmdir(dir);
        last = undefined;
        break;
      } catch (e) {
        last = e;
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') {
          last = undefined;
          break;
        }
        await sleep(50);
      }
    }
    if (last) errors.push(`${dir}: ${(last as Error).message}`);
  }
  if (errors.length) throw virError(ErrorCode.SYSTEM_ERROR, ErrorDomain.CGROUP, `Unable to remove cgroup: ${errors.join('; ')}`);
}

/** Removes the guest's cgroups after QEMU has exited (retries while the kernel still counts exiting tasks). */
export async function removeDomainCgroup(cg: DomainCgroup, timeoutMs = 3000): Promise<void> {
  await removeDirs(cg, Math.max(1, Math.ceil(timeoutMs / 50)));
}

/** The cgroup of a guest that is already running (daemon restart): same path, the dirs that exist. */
export function openDomainCgroup(path: string, layout: CgroupLayout = detectLayout(), controllers?: string[]): DomainCgroup | undefined {
  const ctl = pickControllers(layout, controllers);
  const v1Dirs: Record<string, string> = {};
  for (const c of ctl.v1) {
    const d = `${layout.v1[c]}${path}`;
    if (existsSync(d)) v1Dirs[c] = d;
  }
  const v2 = layout.v2 && existsSync(`${layout.v2}${path}`) ? `${layout.v2}${path}` : undefined;
  if (!Object.keys(v1Dirs).length && !v2) return undefined;
  return new DomainCgroup(path, v1Dirs, v2);
}

