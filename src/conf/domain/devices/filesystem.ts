// <filesystem>: a typed view of the element (virDomainFSDef). The element is kept verbatim by the
// generic device code; builders and validation read this view.
import { attr, child } from '../../../util/xml.js';
import { parseVirtioOptions, type VirtioOptions, xmlErr } from '../common.js';
import type { GenericDevice } from './generic.js';

export interface FsView {
  /** mount (default), block, file, template, ram, bind, volume */
  type: string;
  /** driver type: path, handle, loop, nbd, ploop, virtiofs; undefined = default */
  driver?: string;
  wrpolicy?: string;
  queue?: number;
  accessmode?: string;
  model?: string;
  multidevs?: string;
  fmode?: number;
  dmode?: number;
  source?: string;
  /** vhost-user-fs: an externally started virtiofsd's socket */
  socket?: string;
  target: string;
  readonly: boolean;
  virtio: VirtioOptions;
}

export function fsView(d: GenericDevice): FsView {
  const x = d.xml;
  const drv = child(x, 'driver');
  const src = child(x, 'source');
  const octal = (v: string | undefined) => (v === undefined ? undefined : Number.parseInt(v, 8));
  const q = attr(drv, 'queue');
  return {
    type: attr(x, 'type') ?? 'mount',
    driver: attr(drv, 'type'),
    wrpolicy: attr(drv, 'wrpolicy'),
    queue: q === undefined ? undefined : Number(q),
    accessmode: attr(x, 'accessmode'),
    model: attr(x, 'model'),
    multidevs: attr(x, 'multidevs'),
    fmode: octal(attr(x, 'fmode')),
    dmode: octal(attr(x, 'dmode')),
    source: attr(src, 'dir') ?? attr(src, 'file') ?? attr(src, 'dev') ?? attr(src, 'name') ?? attr(src, 'usage'),
    socket: attr(src, 'socket'),
    target: attr(child(x, 'target'), 'dir') ?? '',
    readonly: !!child(x, 'readonly'),
    virtio: parseVirtioOptions(drv),
  };
}

const FS_ATTR_ORDER = ['type', 'accessmode', 'model', 'multidevs', 'fmode', 'dmode'];

/**
 * virDomainFSDefParseXML/virDomainFSDefPostParse/virDomainFSDefFormat: fmode/dmode are octal, at most
 * 0777, shown as '%04o' (omitted when 0); the access mode defaults to passthrough unless the
 * filesystem is served by an external vhost-user socket; attributes in libvirt's order.
 */
export function filesystemPostParse(d: GenericDevice): void {
  const attrs = new Map<string, string>();
  for (const [k, v] of d.attrs) {
    if (k !== 'fmode' && k !== 'dmode') {
      attrs.set(k, v);
      continue;
    }
    const n = /^[0-7]+$/.test(v.trim()) ? Number.parseInt(v.trim(), 8) : Number.NaN;
    if (Number.isNaN(n)) throw xmlErr(`Invalid value for attribute '${k}' in element 'filesystem': '${v}'. Expected integer value`);
    if (n > 0o777) throw xmlErr(`invalid ${k}: '0${n.toString(8)}'`);
    if (n > 0) attrs.set(k, n.toString(8).padStart(4, '0'));
  }
  if (!attrs.has('type')) attrs.set('type', 'mount');
  const acc = attrs.get('accessmode');
  if ((acc === undefined || acc === 'default') && !attr(child(d.xml, 'source'), 'socket')) attrs.set('accessmode', 'passthrough');
  const out: Array<[string, string]> = [];
  for (const k of FS_ATTR_ORDER) {
    const v = attrs.get(k);
    if (v !== undefined) out.push([k, v]);
  }
  for (const [k, v] of attrs) if (!FS_ATTR_ORDER.includes(k)) out.push([k, v]);
  d.attrs = out;
}
