// Network interfaces (qemuBuildNetCommandLine): -netdev backend then the -device frontend.
import type { NetDef } from '../../conf/domain/devices/net.js';
import { acpiIndexProps, addressProps } from './address.js';
import { add, addDevice, addFdSet, type BuildCtx, type JsonProps, json } from './util.js';
import { virtioDriver, virtioOptionProps } from './virtio.js';

/** <ip> addresses of a user-mode NIC: IPv4 as "net", IPv6 as "ipv6-prefix"/"ipv6-prefixlen". */
function userNetAddrs(n: NetDef): JsonProps {
  const out: JsonProps = {};
  for (const e of n.body) {
    if (e.local !== 'ip') continue;
    const address = e.attrs.find((a) => a.name === 'address')?.value;
    if (!address) continue;
    const prefix = Number(e.attrs.find((a) => a.name === 'prefix')?.value ?? 0);
    const family = e.attrs.find((a) => a.name === 'family')?.value ?? (address.includes(':') ? 'ipv6' : 'ipv4');
    if (family === 'ipv4') out.net = prefix ? `${address}/${prefix}` : address;
    else {
      out['ipv6-prefix'] = address;
      if (prefix) out['ipv6-prefixlen'] = prefix;
    }
  }
  return out;
}

function netdevProps(ctx: BuildCtx, n: NetDef, id: string): JsonProps | undefined {
  switch (n.type) {
    case 'user':
      // passt backend: a stream netdev to the per-interface passt socket (qemuPasstAddNetProps)
      if (n.backendType === 'passt') {
        const path = `${ctx.cfg.passtStateDir}/${ctx.shortName}-${n.info.alias}.socket`;
        return { type: 'stream', addr: { type: 'unix', path }, server: false, id };
      }
      return { type: 'user', ...userNetAddrs(n), id };
    case 'vdpa': {
      // the vhost-vdpa device is opened by the driver and passed in an fd set
      const vhostdev = addFdSet(ctx, ctx.host.openVdpa(n.sourceDev ?? ''), `${n.info.alias}-vdpa`);
      const p: JsonProps = { type: 'vhost-vdpa', vhostdev };
      if (n.driver.queues && n.driver.queues > 1) p.queues = n.driver.queues;
      p.id = id;
      return p;
    }
    case 'ethernet':
    case 'network':
    case 'bridge':
    case 'direct': {
      const { fds } = ctx.host.openTap(n.ifname, n.driver.queues ?? 1);
      ctx.fds.push(...fds);
      const p: JsonProps = { type: 'tap', fd: fds.map(String).join(':') };
      if (n.model === 'virtio' && n.driver.name !== 'qemu') {
        const vfds = ctx.host.openVhostNet(n.driver.queues ?? 1);
        ctx.fds.push(...vfds);
        p.vhost = true;
        p.vhostfd = vfds.map(String).join(':');
      }
      p.id = id;
      return p;
    }
    case 'server':
    case 'client':
    case 'mcast':
      return { type: 'socket', [n.type === 'server' ? 'listen' : n.type === 'client' ? 'connect' : 'mcast']: `${n.sourceAddress ?? ''}:${n.sourcePort}`, id };
    case 'udp':
      return { type: 'socket', udp: `${n.sourceAddress}:${n.sourcePort}`, localaddr: `${n.sourceLocalAddress}:${n.sourceLocalPort}`, id };
    case 'vhostuser':
      return { type: 'vhost-user', chardev: `char${n.info.alias}`, id };
    default:
      return undefined;
  }
}

function frontendProps(ctx: BuildCtx, n: NetDef, netdev: string): JsonProps {
  const model = n.model ?? 'rtl8139';
  const virtio = model === 'virtio' || model.startsWith('virtio-');
  const p: JsonProps = {};
  if (virtio) {
    p.driver = virtioDriver('virtio-net', model, n.info.address);
    Object.assign(p, virtioOptionProps(n.driver.virtio));
    // qemuBuildNicDevProps order
    const tri = (v: string | undefined) => (v === undefined ? undefined : v === 'on');
    if (n.driver.txmode) p.tx = n.driver.txmode === 'iothread' ? 'bh' : n.driver.txmode;
    p.ioeventfd = tri(n.driver.ioeventfd);
    p.event_idx = tri(n.driver.eventIdx);
    const h = n.driver.host;
    const g = n.driver.guest;
    Object.assign(p, {
      csum: tri(h.csum), gso: tri(h.gso), host_tso4: tri(h.tso4), host_tso6: tri(h.tso6), host_ecn: tri(h.ecn), host_ufo: tri(h.ufo),
      mrg_rxbuf: tri(h.mrg_rxbuf), guest_csum: tri(g.csum), guest_tso4: tri(g.tso4), guest_tso6: tri(g.tso6), guest_ecn: tri(g.ecn),
      guest_ufo: tri(g.ufo),
    });
    if (n.driver.queues && n.driver.queues > 1) {
      p.mq = true;
      p.vectors = 2 * n.driver.queues + 2;
    }
    if (n.driver.rxQueueSize) p.rx_queue_size = n.driver.rxQueueSize;
    if (n.driver.txQueueSize) p.tx_queue_size = n.driver.txQueueSize;
    p.rss = tri(n.driver.rss);
    p.hash = tri(n.driver.rssHashReport);
    if (n.mtu) p.host_mtu = n.mtu;
  } else {
    p.driver = model;
  }
  p.netdev = netdev;
  p.id = n.info.alias;
  p.mac = n.mac;
  // qemuBuildNicDevProps: bootindex comes before the device address
  const boot = n.info.bootIndex ?? n.info.effectiveBootIndex;
  if (boot) p.bootindex = boot;
  Object.assign(p, addressProps(ctx, n.info));
  Object.assign(p, acpiIndexProps(n.info));
  if (n.info.rom?.bar) p.rombar = n.info.rom.bar === 'on' ? 1 : 0;
  if (n.info.rom?.file !== undefined) p.romfile = n.info.rom.file;
  return p;
}

export function buildNets(ctx: BuildCtx): void {
  for (const n of ctx.def.devices.nets) {
    if (n.type === 'hostdev') continue;
    const id = `host${n.info.alias}`;
    if (n.type === 'vhostuser' && n.vhostuser) {
      const path = n.vhostuser.path ?? '';
      add(ctx, '-chardev', `socket,id=char${n.info.alias},path=${path.replace(/,/g, ',,')}${n.vhostuser.listen ? ',server=on' : ''}`);
    }
    const nd = netdevProps(ctx, n, id);
    if (nd) add(ctx, '-netdev', json(nd));
    addDevice(ctx, frontendProps(ctx, n, id));
  }
}

/**
 * <interface type='hostdev'>: libvirt keeps the interface's PCI device among the host devices (ahead
 * of the <hostdev> elements), so it is built as a vfio-pci device in the host device step.
 */
export function buildNetHostdevs(ctx: BuildCtx): void {
  const hex = (n: number, w: number) => n.toString(16).padStart(w, '0');
  for (const n of ctx.def.devices.nets) {
    if (n.type !== 'hostdev') continue;
    const src = n.body.find((e) => e.local === 'source');
    const a = src?.children.find((c) => c.kind === 'element' && c.local === 'address');
    if (!a || a.kind !== 'element') continue;
    const type = a.attrs.find((x) => x.name === 'type')?.value ?? 'pci';
    if (type !== 'pci') continue;
    const num = (k: string) => Number(a.attrs.find((x) => x.name === k)?.value ?? 0);
    const p: JsonProps = {
      driver: 'vfio-pci',
      host: `${hex(num('domain'), 4)}:${hex(num('bus'), 2)}:${hex(num('slot'), 2)}.${num('function')}`,
      id: n.info.alias,
      bootindex: n.info.effectiveBootIndex ?? n.info.bootIndex,
      ...addressProps(ctx, n.info),
    };
    if (n.info.rom?.bar) p.rombar = n.info.rom.bar === 'on' ? 1 : 0;
    if (n.info.rom?.enabled === 'no') p.romfile = '';
    else if (n.info.rom?.file !== undefined) p.romfile = n.info.rom.file;
    addDevice(ctx, p);
  }
}
