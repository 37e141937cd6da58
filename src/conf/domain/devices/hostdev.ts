// <hostdev>: a typed view of the element (virDomainHostdevDef). The element is kept verbatim by the
// generic device code; builders and validation read this view.
import { attr, child, children } from '../../../util/xml.js';
import { parseUInt } from '../common.js';
import type { StorageAuth, StorageHost } from '../storage.js';
import type { GenericDevice } from './generic.js';

export interface HostdevView {
  mode: string;
  /** usb, pci, scsi, scsi_host, mdev */
  type?: string;
  managed?: string;
  model?: string;
  display?: string;
  ramfb?: string;
  /** pci: host address */
  pci?: { domain: number; bus: number; slot: number; function: number };
  /** pci: <driver name=…> backend */
  backend?: string;
  /** usb */
  usb?: { bus?: number; device?: number; vendor?: number; product?: number; guestReset?: string };
  /** scsi: local adapter or iSCSI */
  scsi?: { protocol?: string; adapter?: string; bus?: number; target?: number; unit?: number; name?: string; hosts: StorageHost[]; auth?: StorageAuth; initiatorIqn?: string };
  /** scsi_host: vhost-scsi */
  wwpn?: string;
  /** mdev */
  uuid?: string;
  readonly: boolean;
  shareable: boolean;
}

export function hostdevView(d: GenericDevice): HostdevView {
  const x = d.xml;
  const src = child(x, 'source');
  const a = child(src, 'address');
  const num = (v: string | undefined) => parseUInt(v);
  const type = attr(x, 'type');
  const v: HostdevView = {
    mode: attr(x, 'mode') ?? 'subsystem',
    type,
    managed: attr(x, 'managed'),
    model: attr(x, 'model'),
    display: attr(x, 'display'),
    ramfb: attr(x, 'ramfb'),
    readonly: !!child(x, 'readonly'),
    shareable: !!child(x, 'shareable'),
  };
  switch (type) {
    case 'pci':
      v.pci = { domain: num(attr(a, 'domain')) ?? 0, bus: num(attr(a, 'bus')) ?? 0, slot: num(attr(a, 'slot')) ?? 0, function: num(attr(a, 'function')) ?? 0 };
      v.backend = attr(child(x, 'driver'), 'name');
      break;
    case 'usb':
      v.usb = {
        bus: num(attr(a, 'bus')),
        device: num(attr(a, 'device')),
        vendor: num(attr(child(src, 'vendor'), 'id')),
        product: num(attr(child(src, 'product'), 'id')),
        guestReset: attr(src, 'guestReset'),
      };
      break;
    case 'scsi': {
      const auth = child(src, 'auth');
      const sec = child(auth, 'secret');
      v.scsi = {
        protocol: attr(src, 'protocol'),
        adapter: attr(child(src, 'adapter'), 'name'),
        bus: num(attr(a, 'bus')),
        target: num(attr(a, 'target')),
        unit: num(attr(a, 'unit')),
        name: attr(src, 'name'),
        hosts: children(src, 'host').map((h) => ({ name: attr(h, 'name'), port: attr(h, 'port') })),
        auth: auth ? { username: attr(auth, 'username'), secretType: attr(sec, 'type'), secretUsage: attr(sec, 'usage'), secretUuid: attr(sec, 'uuid') } : undefined,
        initiatorIqn: attr(child(child(src, 'initiator'), 'iqn'), 'name'),
      };
      break;
    }
    case 'scsi_host':
      v.wwpn = attr(src, 'wwpn');
      break;
    case 'mdev':
      v.uuid = attr(a, 'uuid');
      break;
  }
  return v;
}

const HOSTDEV_ATTR_ORDER = ['mode', 'type', 'managed', 'sgio', 'rawio', 'model', 'display', 'ramfb'];

/**
 * virDomainHostdevDefFormat's attribute order; a subsystem hostdev always shows managed='yes|no'
 * (post-parse so the round trip shows it).
 */
export function hostdevPostParse(d: GenericDevice): void {
  const get = (n: string) => d.attrs.find(([k]) => k === n)?.[1];
  const mode = get('mode') ?? 'subsystem';
  const attrs = new Map(d.attrs);
  attrs.set('mode', mode);
  if (mode === 'subsystem') attrs.set('managed', get('managed') === 'yes' ? 'yes' : 'no');
  const out: Array<[string, string]> = [];
  for (const k of HOSTDEV_ATTR_ORDER) {
    const v = attrs.get(k);
    if (v !== undefined) out.push([k, v]);
  }
  for (const [k, v] of d.attrs) if (!HOSTDEV_ATTR_ORDER.includes(k)) out.push([k, v]);
  d.attrs = out;
}
