// <interface>: virDomainNetDef. The fields the QEMU driver needs are typed; the remaining children
// are kept verbatim and re-emitted in document order after <mac>.
import { type OutElement, type XmlElement, attr, child, el } from '../../../util/xml.js';
import {
  type DeviceInfo,
  type FormatCtx,
  type ParseCtx,
  type VirtioOptions,
  bodyChildren,
  enumAttr,
  formatDeviceInfo,
  parseDeviceInfo,
  parseVirtioOptions,
  uintAttr,
  verbatim,
  xmlErr,
} from '../common.js';
import { type ChrSource, emptyChrSource } from './chardev.js';

export const NET_TYPES = [
  'user', 'ethernet', 'vhostuser', 'server', 'client', 'mcast', 'network', 'bridge', 'internal', 'direct', 'hostdev', 'udp', 'vdpa', 'null', 'vds',
] as const;
export type NetType = (typeof NET_TYPES)[number];

export interface NetDef {
  type: NetType;
  mac?: string;
  macType?: string;
  macCheck?: string;
  /** The MAC was generated (not in the input). */
  macGenerated?: boolean;
  model?: string;
  /** network name / bridge name / direct dev / vdpa dev / udp/mcast address */
  sourceNetwork?: string;
  sourceBridge?: string;
  sourceDev?: string;
  sourceMode?: string;
  sourceAddress?: string;
  sourcePort?: number;
  sourceLocalAddress?: string;
  sourceLocalPort?: number;
  /** vhost-user chardev */
  vhostuser?: ChrSource;
  ifname?: string;
  managedTap?: string;
  script?: string;
  downscript?: string;
  backendType?: string;
  driver: {
    name?: string;
    txmode?: string;
    ioeventfd?: string;
    eventIdx?: string;
    queues?: number;
    rxQueueSize?: number;
    txQueueSize?: number;
    rss?: string;
    rssHashReport?: string;
    virtio: VirtioOptions;
    host: Record<string, string>;
    guest: Record<string, string>;
  };
  linkState?: string;
  mtu?: number;
  info: DeviceInfo;
  /** All children except <mac> and device info, verbatim, in document order. */
  body: XmlElement[];
  attrs: Array<[string, string]>;
}

export function parseNet(e: XmlElement, ctx: ParseCtx): NetDef {
  const type = enumAttr(e, 'type', NET_TYPES, (v) => `unknown interface type '${v}'`) ?? 'user';
  const n: NetDef = {
    type,
    driver: { virtio: {}, host: {}, guest: {} },
    info: parseDeviceInfo(e, ctx),
    body: bodyChildren(e, ['mac']),
    attrs: e.attrs.map((a) => [a.name, a.value]),
  };
  const mac = child(e, 'mac');
  if (mac) {
    const a = attr(mac, 'address');
    if (a !== undefined) {
      if (!/^([0-9a-fA-F]{1,2}:){5}[0-9a-fA-F]{1,2}$/.test(a)) throw xmlErr(`unable to parse mac address '${a}'`);
      const bytes = a.split(':').map((x) => Number.parseInt(x, 16));
      if (bytes[0] & 1) throw xmlErr(`expected unicast mac address, found multicast '${a}'`);
      n.mac = bytes.map((b) => b.toString(16).padStart(2, '0')).join(':');
    }
    n.macType = attr(mac, 'type');
    n.macCheck = attr(mac, 'check');
  }
  const m = child(e, 'model');
  if (m) n.model = attr(m, 'type');
  const s = child(e, 'source');
  switch (type) {
    case 'network':
      n.sourceNetwork = attr(s, 'network');
      n.sourceBridge = attr(s, 'bridge');
      break;
    case 'bridge':
      n.sourceBridge = attr(s, 'bridge');
      if (!n.sourceBridge) throw xmlErr("No <source> 'bridge' attribute specified with <interface type='bridge'/>");
      break;
    case 'direct':
      n.sourceDev = attr(s, 'dev');
      n.sourceMode = attr(s, 'mode');
      break;
    case 'vdpa':
    case 'ethernet':
      n.sourceDev = attr(s, 'dev');
      break;
    case 'vhostuser': {
      const cs = emptyChrSource('unix');
      cs.path = attr(s, 'path');
      cs.listen = attr(s, 'mode') === 'server';
      n.vhostuser = cs;
      break;
    }
    case 'server':
    case 'client':
    case 'mcast':
    case 'udp': {
      n.sourceAddress = attr(s, 'address');
      n.sourcePort = uintAttr(s, 'port');
      const local = child(s, 'local');
      n.sourceLocalAddress = attr(local, 'address');
      n.sourceLocalPort = uintAttr(local, 'port');
      break;
    }
    default:
      break;
  }
  const t = child(e, 'target');
  if (t) {
    n.ifname = attr(t, 'dev');
    n.managedTap = attr(t, 'managed');
  }
  n.script = attr(child(e, 'script'), 'path');
  n.downscript = attr(child(e, 'downscript'), 'path');
  n.backendType = attr(child(e, 'backend'), 'type');
  const d = child(e, 'driver');
  if (d) {
    n.driver.name = attr(d, 'name');
    n.driver.txmode = attr(d, 'txmode');
    n.driver.ioeventfd = attr(d, 'ioeventfd');
    n.driver.eventIdx = attr(d, 'event_idx');
    n.driver.queues = uintAttr(d, 'queues');
    n.driver.rxQueueSize = uintAttr(d, 'rx_queue_size');
    n.driver.txQueueSize = uintAttr(d, 'tx_queue_size');
    n.driver.rss = attr(d, 'rss');
    n.driver.rssHashReport = attr(d, 'rss_hash_report');
    n.driver.virtio = parseVirtioOptions(d);
    const h = child(d, 'host');
    if (h) for (const a of h.attrs) n.driver.host[a.name] = a.value;
    const g = child(d, 'guest');
    if (g) for (const a of g.attrs) n.driver.guest[a.name] = a.value;
  }
  n.linkState = attr(child(e, 'link'), 'state');
  n.mtu = uintAttr(child(e, 'mtu'), 'size');
  return n;
}

export function formatNet(n: NetDef, ctx: FormatCtx): OutElement {
  const kids: OutElement[] = [];
  if (n.mac) kids.push(el('mac', [['address', n.mac], ['type', n.macType], ['check', n.macCheck]]));
  let sawModel = false;
  for (const c of n.body) {
    if (c.local === 'target' && ctx.inactive && n.ifname && /^(vnet|macvtap|macvlan)\d+$/.test(n.ifname)) continue;
    if (c.local === 'model') sawModel = true;
    kids.push(verbatim(c));
  }
  if (!sawModel && n.model) kids.push(el('model', [['type', n.model]]));
  kids.push(...formatDeviceInfo(n.info, ctx, { rom: true }));
  return el('interface', n.attrs, kids);
}
