// Guest memory: -m, the default RAM backend, -overcommit (qemuBuildMemCommandLine), memory backend
// objects (qemuBuildMemoryBackendProps, thread contexts) and memory devices (dimm, nvdimm,
// virtio-pmem, virtio-mem).
import type { MemoryDef } from '../../conf/domain/devices/memory.js';
import {hasMemoryHotplug, initialMemory, 
  type MemoryBacking, memoryBackingOf, type NumatuneMode, numatuneMode, numatuneNodeSpecified,
  numatuneNodeset, numatuneOf,
} from '../../conf/domain/memory.js';
import { numaCells, numaHasHMAT, numaNodeCount } from '../../conf/domain/numa.js';
import { configUnsupported, ErrorCode, ErrorDomain, type VirError, virError } from '../../util/errors.js';
import { getMachine } from '../caps/cache.js';
import { addressProps } from './address.js';
import { add, addDevice, type BuildCtx, hasCap, type JsonProps, json } from './util.js';

/** The memory a backend is built for: a NUMA cell, the default RAM or a memory device. */
export interface BackendMem {
  /** KiB */
  size: number;
  targetNode: number;
  model?: MemoryDef['model'];
  pagesize?: number;
  sourceNodes?: number[];
  access?: 'shared' | 'private';
  discard?: 'yes' | 'no';
  nvdimmPath?: string;
  alignsize?: number;
  pmem?: boolean;
  /** Alias for memory-backing-dir paths. */
  alias: string;
}

export interface BackendResult {
  props: JsonProps;
  /** True when a plain backend would not have been needed (rc 1 in libvirt). */
  notNeeded: boolean;
  /** Host nodes the backend binds to (for the thread context). */
  nodemask?: number[];
}

const POLICY: Record<NumatuneMode, string> = { strict: 'bind', preferred: 'preferred', interleave: 'interleave', restrictive: 'restrictive' };

function internal(msg: string): VirError {
  return virError(ErrorCode.INTERNAL_ERROR, ErrorDomain.QEMU, msg);
}

function defaultHugepageSize(ctx: BuildCtx): number {
  const mounts = ctx.host.hugetlbfs;
  if (!mounts.length) throw internal('hugetlbfs filesystem is not mounted or disabled by administrator config');
  return (mounts.find((m) => m.deflt) ?? mounts[0]).size;
}

/** qemuGetDomainHupageMemPath */
function hugepagePath(ctx: BuildCtx, pagesize: number): string {
  const mounts = ctx.host.hugetlbfs;
  if (!mounts.length) throw internal('hugetlbfs filesystem is not mounted or disabled by administrator config');
  const m = mounts.find((x) => x.size === pagesize);
  if (!m) throw internal(`Unable to find any usable hugetlbfs mount for ${pagesize} KiB`);
  return `${m.mnt}/libvirt/qemu/${ctx.shortName}`;
}

interface Pagesize {
  pagesize: number;
  needHugepage: boolean;
  useHugepage: boolean;
  prealloc: boolean;
}

/** qemuBuildMemoryGetPagesize: the page size for a backend, from the device or <hugepages>. */
function memoryPagesize(ctx: BuildCtx, mb: MemoryBacking, mem: BackendMem): Pagesize {
  let pagesize = mem.pagesize ?? 0;
  let needHugepage = !!pagesize;
  let useHugepage = !!pagesize;
  if (!pagesize) {
    let chosen = mb.hugepages.find((h) => !h.nodes);
    if (mem.targetNode >= 0) {
      const specific = mb.hugepages.find((h) => h.nodes?.includes(mem.targetNode));
      if (specific) {
        chosen = specific;
        needHugepage = true;
      }
    }
    if (chosen) {
      pagesize = chosen.size;
      useHugepage = true;
    }
  }
  if (pagesize === ctx.host.systemPageSizeKiB) {
    pagesize = 0;
    needHugepage = false;
    useHugepage = false;
  } else if (useHugepage && pagesize === 0) {
    pagesize = defaultHugepageSize(ctx);
  }
  let prealloc = mb.allocation === 'immediate';
  if (mem.nvdimmPath) {
    if (!mem.pmem && mem.model !== 'virtio-pmem') prealloc = true;
  } else if (useHugepage) prealloc = true;
  return { pagesize, needHugepage, useHugepage, prealloc };
}

function cellAttr(ctx: BuildCtx, node: number) {
  return numaCells(ctx.def)[node];
}

/** qemuBuildMemoryBackendProps */
export function memoryBackendProps(ctx: BuildCtx, id: string, mem: BackendMem, force: boolean, systemMemory: boolean): BackendResult {
  const def = ctx.def;
  const mb = memoryBackingOf(def);
  const nt = numatuneOf(def);
  let backendType = 'memory-backend-file';
  let access = mem.access;
  let discard = mem.discard;
  const nodeSpecified = numatuneNodeSpecified(nt, mem.targetNode);
  if (mem.targetNode >= 0) {
    const n = numaNodeCount(def);
    if (mem.targetNode >= n) {
      throw configUnsupported(
        `can't add memory backend for guest node '${mem.targetNode}' as the guest has only '${n}' NUMA nodes configured`,
        ErrorDomain.QEMU,
      );
    }
    const cell = cellAttr(ctx, mem.targetNode);
    if (!access && (cell.memAccess === 'shared' || cell.memAccess === 'private')) access = cell.memAccess;
    if (!discard && (cell.discard === 'yes' || cell.discard === 'no')) discard = cell.discard;
  }
  access ??= mb.access;
  if (!discard && mb.discard) discard = 'yes';
  const mode: NumatuneMode = numatuneMode(nt, mem.targetNode) ?? 'strict';
  const ps = memoryPagesize(ctx, mb, mem);
  const props: JsonProps = {};
  let disableCanonicalPath = false;
  const share = () => {
    if (access === 'shared') props.share = true;
    else if (access === 'private') props.share = false;
  };
  if (mb.source === 'memfd' && !mem.nvdimmPath) {
    backendType = 'memory-backend-memfd';
    if (ps.useHugepage) {
      props.hugetlb = true;
      props.hugetlbsize = ps.pagesize * 1024;
    }
    share();
    if (systemMemory) disableCanonicalPath = true;
  } else if (ps.useHugepage || mem.nvdimmPath || access || mb.source === 'file') {
    let path: string;
    if (mem.nvdimmPath) path = mem.nvdimmPath;
    else if (ps.useHugepage) path = hugepagePath(ctx, ps.pagesize);
    else path = `${ctx.cfg.memoryBackingDir}/${ctx.shortName}/${mem.alias}`;
    props['mem-path'] = path;
    if (!mem.nvdimmPath && discard) props['discard-data'] = discard === 'yes';
    share();
    if (systemMemory) disableCanonicalPath = true;
  } else {
    backendType = 'memory-backend-ram';
  }
  if (disableCanonicalPath && hasCap(ctx, 'memory-backend-file.x-use-canonical-path-for-ramblock-id')) {
    props['x-use-canonical-path-for-ramblock-id'] = false;
  }
  if (mem.model === 'sgx-epc') backendType = 'memory-backend-epc';
  if (mem.model === 'virtio-mem') {
    // preallocation moves to the virtio-mem device
    if (hasCap(ctx, 'memory-backend-file.reserve')) props.reserve = false;
  } else if ((ps.prealloc || mem.model === 'sgx-epc') && !memPrealloc.has(ctx)) {
    props.prealloc = true;
    if (mb.allocationThreads && hasCap(ctx, 'memory-backend-file.prealloc-threads')) props['prealloc-threads'] = mb.allocationThreads;
  }
  props.size = mem.size * 1024;
  if (mem.alignsize) props.align = mem.alignsize * 1024;
  if (mem.pmem) props.pmem = true;
  const nodemask = mem.sourceNodes ?? numatuneNodeset(nt, mem.targetNode);
  let boundNodes: number[] | undefined;
  if (nodemask?.length) {
    checkNodesetAvailable(ctx, nodemask);
    if (mode !== 'restrictive') {
      props['host-nodes'] = nodemask;
      props.policy = POLICY[mode];
      boundNodes = nodemask;
    }
  }
  const notNeeded =
    !ps.needHugepage && !mem.sourceNodes && !nodeSpecified && !mem.nvdimmPath && !access && mb.source !== 'file' && mb.source !== 'memfd' && !force;
  return { props: { 'qom-type': backendType, id, ...props }, notNeeded, nodemask: boundNodes };
}

/** virNumaNodesetIsAvailable (through the host: the test host reports libvirt's mock error). */
export function checkNodesetAvailable(ctx: BuildCtx, nodes: readonly number[]): void {
  for (const n of nodes) {
    if (n > ctx.host.numaMaxNode || n < 0) {
      throw internal(ctx.host.numaNodeUnavailableMessage?.(n) ?? `NUMA node ${n} is unavailable`);
    }
  }
}

/** qemuBuildThreadContextProps: a thread-context object to preallocate a bound backend from. */
export function threadContextProps(ctx: BuildCtx, backend: BackendResult): JsonProps | undefined {
  if (!hasCap(ctx, 'thread-context')) return undefined;
  if (backend.props.prealloc !== true || !backend.nodemask) return undefined;
  const tcId = `tc-${backend.props.id}`;
  backend.props['prealloc-context'] = tcId;
  return { 'qom-type': 'thread-context', id: tcId, 'node-affinity': backend.nodemask };
}

export function addObject(ctx: BuildCtx, props: JsonProps): void {
  add(ctx, '-object', json(props));
}

/** Contexts where -mem-prealloc already preallocates all guest memory (priv->memPrealloc). */
const memPrealloc = new WeakSet<BuildCtx>();

/** qemuBuildMemPathStr: -mem-prealloc/-mem-path for machines without a default RAM backend id. */
function buildMemPath(ctx: BuildCtx, mb: MemoryBacking): void {
  let path: string | undefined;
  let prealloc = false;
  const first = mb.hugepages[0];
  if (first && first.size !== ctx.host.systemPageSizeKiB) {
    path = hugepagePath(ctx, first.size || defaultHugepageSize(ctx));
    prealloc = true;
  } else if (mb.source === 'file') {
    path = `${ctx.cfg.memoryBackingDir}/${ctx.shortName}/ram`;
  }
  if (mb.allocation === 'immediate') prealloc = true;
  if (prealloc && !memPrealloc.has(ctx)) {
    add(ctx, '-mem-prealloc');
    memPrealloc.add(ctx);
  }
  if (path) add(ctx, '-mem-path', path);
}

/** -m, the default RAM backend (domains without NUMA), -overcommit. */
export function buildMemory(ctx: BuildCtx): void {
  const def = ctx.def;
  const initial = initialMemory(def);
  if (hasMemoryHotplug(def)) add(ctx, '-m', `size=${initial}k,slots=${def.maxMemory?.slots ?? 0},maxmem=${def.maxMemory?.size ?? 0}k`);
  else add(ctx, '-m', String(Math.floor(initial / 1024)));
  const mb = memoryBackingOf(def);
  if (!numaNodeCount(def)) {
    const m = getMachine(ctx.caps, def.type === 'kvm' ? 'kvm' : 'tcg', def.os.machine ?? '');
    if (m?.defaultRAMid) {
      const b = memoryBackendProps(ctx, m.defaultRAMid, { size: initial, targetNode: -1, alias: m.defaultRAMid }, false, true);
      addObject(ctx, b.props);
    } else buildMemPath(ctx, mb);
  }
  add(ctx, '-overcommit', `mem-lock=${mb.locked ? 'on' : 'off'}`);
}

function backendMemOf(m: MemoryDef): BackendMem {
  return {
    size: m.size,
    targetNode: m.targetNode,
    model: m.model,
    pagesize: m.pagesize,
    sourceNodes: m.sourceNodes,
    access: m.access,
    discard: m.discard,
    nvdimmPath: m.path,
    alignsize: m.alignsize,
    pmem: m.pmem,
    alias: m.info.alias ?? '',
  };
}

const MEM_DRIVER: Record<MemoryDef['model'], string> = {
  dimm: 'pc-dimm',
  nvdimm: 'nvdimm',
  'virtio-pmem': 'virtio-pmem-pci',
  'virtio-mem': 'virtio-mem-pci',
  'sgx-epc': '',
};

/** qemuBuildMemoryDeviceProps */
export function memoryDeviceProps(ctx: BuildCtx, m: MemoryDef): JsonProps {
  const alias = m.info.alias ?? '';
  let prealloc = false;
  if (m.model === 'virtio-mem' && hasCap(ctx, 'virtio-mem-pci.prealloc')) {
    prealloc = memoryPagesize(ctx, memoryBackingOf(ctx.def), backendMemOf(m)).prealloc;
  }
  const props: JsonProps = {
    driver: MEM_DRIVER[m.model],
    node: m.targetNode >= 0 ? m.targetNode : undefined,
    'label-size': m.labelsize ? m.labelsize * 1024 : undefined,
    'block-size': m.blocksize ? m.blocksize * 1024 : undefined,
    'requested-size': m.requestedsize ? m.requestedsize * 1024 : undefined,
    uuid: m.uuid,
    unarmed: m.readonly ? true : undefined,
    memdev: `mem${alias}`,
    prealloc: prealloc ? true : undefined,
    id: alias,
  };
  const a = m.info.address;
  if (a?.type === 'dimm') {
    props.slot = a.slot ?? 0;
    if (a.base) props.addr = a.base;
    return props;
  }
  return { ...props, ...addressProps(ctx, m.info) };
}

/** Memory devices: backend object (with its thread context) then the device. */
export function buildMemoryDevices(ctx: BuildCtx): void {
  for (const m of ctx.def.devices.memories) {
    if (m.model === 'sgx-epc') continue;
    const b = memoryBackendProps(ctx, `mem${m.info.alias ?? ''}`, backendMemOf(m), true, false);
    const tc = threadContextProps(ctx, b);
    if (tc) addObject(ctx, tc);
    addObject(ctx, b.props);
    addDevice(ctx, memoryDeviceProps(ctx, m));
  }
}

/** -machine properties for memory: mem-merge=off, nvdimm=on, hmat=on. */
export function memoryMachineProps(ctx: BuildCtx): string[] {
  const out: string[] = [];
  if (memoryBackingOf(ctx.def).nosharepages) out.push('mem-merge=off');
  if (ctx.def.devices.memories.some((m) => m.model === 'nvdimm')) out.push('nvdimm=on');
  if (numaHasHMAT(ctx.def)) out.push('hmat=on');
  return out;
}
