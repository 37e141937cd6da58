// <filesystem>: a typed view of the element (virDomainFSDef). The element is kept verbatim by the
// generic device code; builders and validation read this view.
import { attr, child } from '../../../util/xml.js';
import { type VirtioOptions, parseVirtioOptions } from '../common.js';
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
