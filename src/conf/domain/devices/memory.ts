// <memory> devices (virDomainMemoryDef): dimm, nvdimm, virtio-pmem, virtio-mem, sgx-epc.
import { attr, child, el, type OutElement, type XmlElement } from '../../../util/xml.js';
import { type DeviceInfo, type FormatCtx, formatDeviceInfo, memoryElement, type ParseCtx, parseDeviceInfo, textContent, xmlErr } from '../common.js';
import { formatBitmap, parseBitmap } from '../numa.js';

export const MEMORY_MODELS = ['dimm', 'nvdimm', 'virtio-pmem', 'virtio-mem', 'sgx-epc'] as const;
export type MemoryModel = (typeof MEMORY_MODELS)[number];

export interface MemoryDef {
  model: MemoryModel;
  access?: 'shared' | 'private';
  discard?: 'yes' | 'no';
  uuid?: string;
  /** <source> */
  sourceNodes?: number[];
  /** KiB */
  pagesize?: number;
  path?: string;
  /** KiB */
  alignsize?: number;
  pmem?: boolean;
  /** <target>: KiB */
  size: number;
  /** Guest NUMA node; -1 when absent. */
  targetNode: number;
  /** KiB (nvdimm label) */
  labelsize?: number;
  readonly?: boolean;
  /** KiB (virtio-mem) */
  blocksize?: number;
  requestedsize?: number;
  currentsize?: number;
  /** virtio-mem guest physical address */
  address?: number;
  info: DeviceInfo;
}

export function parseMemoryDevice(e: XmlElement, ctx: ParseCtx): MemoryDef {
  const model = attr(e, 'model');
  if (!model) throw xmlErr('missing memory model');
  if (!(MEMORY_MODELS as readonly string[]).includes(model)) throw xmlErr(`invalid memory model '${model}'`);
  const m: MemoryDef = { model: model as MemoryModel, size: 0, targetNode: -1, info: parseDeviceInfo(e, ctx) };
  const access = attr(e, 'access');
  if (access !== undefined) {
    if (access !== 'shared' && access !== 'private') throw xmlErr(`invalid access mode '${access}'`);
    m.access = access;
  }
  const discard = attr(e, 'discard');
  if (discard !== undefined) {
    if (discard !== 'yes' && discard !== 'no') throw xmlErr(`Invalid discard value '${discard}'`);
    m.discard = discard;
  }
  const uuid = textContent(child(e, 'uuid'))?.trim();
  if (uuid) m.uuid = uuid;
  const src = child(e, 'source');
  if (src) {
    const nm = textContent(child(src, 'nodemask'));
    if (nm !== undefined) m.sourceNodes = parseBitmap(nm);
    const ps = memoryElement(src, 'pagesize');
    if (ps !== undefined) m.pagesize = ps;
    const p = textContent(child(src, 'path'))?.trim();
    if (p) m.path = p;
    const al = memoryElement(src, 'alignsize');
    if (al !== undefined) m.alignsize = al;
    if (child(src, 'pmem')) m.pmem = true;
  }
  const tgt = child(e, 'target');
  if (!tgt) throw xmlErr('missing memory target');
  m.size = memoryElement(tgt, 'size') ?? 0;
  const node = textContent(child(tgt, 'node'))?.trim();
  if (node !== undefined) {
    if (!/^\d+$/.test(node)) throw xmlErr('invalid value of memory device node');
    m.targetNode = Number(node);
  }
  const label = child(tgt, 'label');
  if (label) m.labelsize = memoryElement(label, 'size');
  if (child(tgt, 'readonly')) m.readonly = true;
  const bs = memoryElement(tgt, 'block');
  if (bs !== undefined) m.blocksize = bs;
  const rs = memoryElement(tgt, 'requested');
  if (rs !== undefined) m.requestedsize = rs;
  if (ctx.live) {
    const cs = memoryElement(tgt, 'current');
    if (cs !== undefined) m.currentsize = cs;
  }
  const addr = attr(child(tgt, 'address'), 'base');
  if (addr !== undefined) m.address = Number(addr);
  return m;
}

function kib(name: string, v: number | undefined): OutElement | undefined {
  return v === undefined ? undefined : el(name, [['unit', 'KiB']], String(v));
}

export function formatMemoryDevice(m: MemoryDef, ctx: FormatCtx): OutElement {
  const src: Array<OutElement | undefined> = [];
  if (m.model === 'dimm' || m.model === 'virtio-mem' || m.model === 'sgx-epc') {
    if (m.sourceNodes) src.push(el('nodemask', [], formatBitmap(m.sourceNodes)));
    if (m.model !== 'sgx-epc') src.push(kib('pagesize', m.pagesize));
  } else {
    if (m.path) src.push(el('path', [], m.path));
    if (m.model === 'nvdimm') {
      src.push(kib('alignsize', m.alignsize));
      if (m.pmem) src.push(el('pmem'));
    }
  }
  const tgt: Array<OutElement | undefined> = [kib('size', m.size)];
  if (m.targetNode >= 0) tgt.push(el('node', [], String(m.targetNode)));
  if (m.labelsize) tgt.push(el('label', [], kib('size', m.labelsize)));
  if (m.readonly) tgt.push(el('readonly'));
  tgt.push(kib('block', m.blocksize), kib('requested', m.requestedsize));
  if (!ctx.inactive) tgt.push(kib('current', m.currentsize));
  if (m.address !== undefined) tgt.push(el('address', [['base', `0x${m.address.toString(16)}`]]));
  const kids: Array<OutElement | undefined> = [];
  if (m.uuid) kids.push(el('uuid', [], m.uuid));
  const srcKids = src.filter((x): x is OutElement => !!x);
  if (srcKids.length) kids.push(el('source', [], srcKids));
  kids.push(el('target', [], tgt.filter((x): x is OutElement => !!x)));
  return el('memory', [['model', m.model], ['access', m.access], ['discard', m.discard]], kids, formatDeviceInfo(m.info, ctx, { boot: false }));
}
