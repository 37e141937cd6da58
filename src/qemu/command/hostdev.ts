// Host devices (qemuBuildHostdevCommandLine): vfio-pci PCI assignment, usb-host, SCSI generic
// passthrough (a backend -blockdev per device, local /dev/sg or iSCSI), vhost-scsi and mediated devices.
import { createCipheriv } from 'node:crypto';
import { type HostdevView, hostdevView } from '../../conf/domain/devices/hostdev.js';
import type { DeviceInfo } from '../../conf/domain/common.js';
import type { GenericDevice } from '../../conf/domain/devices/generic.js';
import { configUnsupported, ErrorDomain, internalError } from '../../util/errors.js';
import { addressProps } from './address.js';
import { virtioDriver } from './virtio.js';
import { type BuildCtx, type JsonProps, add, addDevice, json } from './util.js';

const hex = (n: number, w: number) => n.toString(16).padStart(w, '0');

function bootIndex(info: DeviceInfo): number | undefined {
  return info.effectiveBootIndex ?? info.bootIndex;
}

/** qemuBuildRomProps */
function romProps(info: DeviceInfo): JsonProps {
  const r = info.rom;
  if (!r) return {};
  const out: JsonProps = {};
  if (r.bar) out.rombar = r.bar === 'on' ? 1 : 0;
  if (r.enabled === 'no') out.romfile = '';
  else if (r.file !== undefined) out.romfile = r.file;
  return out;
}

function pciProps(ctx: BuildCtx, h: GenericDevice, v: HostdevView): JsonProps {
  const p = v.pci ?? { domain: 0, bus: 0, slot: 0, function: 0 };
  if (v.backend && v.backend !== 'vfio' && v.backend !== 'default') {
    throw configUnsupported(`The '${v.backend}' driver is not supported`, ErrorDomain.QEMU);
  }
  return {
    driver: 'vfio-pci',
    host: `${hex(p.domain, 4)}:${hex(p.bus, 2)}:${hex(p.slot, 2)}.${p.function}`,
    id: h.info.alias,
    bootindex: bootIndex(h.info),
    ...addressProps(ctx, h.info),
    ...romProps(h.info),
  };
}

function usbProps(ctx: BuildCtx, h: GenericDevice, v: HostdevView): JsonProps {
  const u = v.usb ?? {};
  const byAddr = !!(u.bus || u.device);
  let reset: boolean | undefined;
  let resetsAll: boolean | undefined;
  if (u.guestReset === 'off') reset = false;
  else if (u.guestReset === 'uninitialized') {
    reset = true;
    resetsAll = false;
  } else if (u.guestReset === 'on') {
    reset = true;
    resetsAll = true;
  }
  return {
    driver: 'usb-host',
    hostdevice: byAddr ? `/dev/bus/usb/${String(u.bus ?? 0).padStart(3, '0')}/${String(u.device ?? 0).padStart(3, '0')}` : undefined,
    vendorid: byAddr ? undefined : u.vendor,
    productid: byAddr ? undefined : u.product,
    id: h.info.alias,
    'guest-reset': reset,
    'guest-resets-all': resetsAll,
    bootindex: bootIndex(h.info),
    ...addressProps(ctx, h.info),
  };
}

function mdevProps(ctx: BuildCtx, h: GenericDevice, v: HostdevView): JsonProps {
  const model = v.model ?? 'vfio-pci';
  let driver = model;
  if (model === 'vfio-pci' && v.ramfb === 'on') driver = 'vfio-pci-nohotplug';
  return {
    driver,
    id: h.info.alias,
    sysfsdev: `/sys/bus/mdev/devices/${v.uuid ?? ''}`,
    display: v.display && v.display !== 'default' ? v.display : undefined,
    ramfb: v.ramfb === 'on' ? true : undefined,
    bootindex: bootIndex(h.info),
    ...addressProps(ctx, h.info),
  };
}

/** The SCSI controller bus properties of a drive address (as for SCSI disks). */
function scsiBusProps(ctx: BuildCtx, info: DeviceInfo): JsonProps {
  const a = info.address;
  if (a?.type !== 'drive') return {};
  const c = ctx.def.devices.controllers.find((x) => x.type === 'scsi' && x.index === a.controller);
  if (!c) throw internalError(`unable to find a SCSI controller for idx=${a.controller}`);
  const alias = c.info.alias ?? `scsi${a.controller}`;
  switch (c.model ?? 'lsilogic') {
    case 'lsilogic':
    case 'ncr53c90':
    case 'dc390':
    case 'am53c974':
      return { bus: `${alias}.${a.bus}`, 'scsi-id': a.unit };
    default:
      return { bus: `${alias}.0`, channel: a.bus, 'scsi-id': a.target, lun: a.unit };
  }
}

/** The last block node index the disks took (libvirt's per-VM nodename counter continues from it). */
function lastDiskNodeIndex(ctx: BuildCtx): number {
  let n = 0;
  for (const d of ctx.def.devices.disks) {
    let s: typeof d.src | null | undefined = d.src;
    while (s) {
      const m = /^libvirt-(\d+)-storage$/.exec(s.nodeStorage ?? '');
      if (m) n = Math.max(n, Number(m[1]));
      s = s.backingStore;
    }
  }
  return n;
}

function secretObject(ctx: BuildCtx, alias: string, value: Uint8Array): void {
  const key = ctx.host.masterKey?.() ?? ctx.host.randomBytes(32);
  const iv = ctx.host.randomBytes(16);
  const c = createCipheriv('aes-256-cbc', key, iv);
  const data = Buffer.concat([c.update(value), c.final()]).toString('base64');
  add(ctx, '-object', json({ 'qom-type': 'secret', id: alias, data, keyid: 'masterKey0', iv: Buffer.from(iv).toString('base64'), format: 'base64' }));
}

function buildScsiHostdev(ctx: BuildCtx, h: GenericDevice, v: HostdevView, node: string): void {
  const s = v.scsi;
  const readOnly = v.readonly;
  let backend: JsonProps;
  if (s?.protocol === 'iscsi') {
    const name = s.name ?? '';
    const slash = name.lastIndexOf('/');
    const target = slash >= 0 ? name.slice(0, slash) : name;
    const lun = slash >= 0 ? Number(name.slice(slash + 1)) || 0 : 0;
    const host = s.hosts[0];
    let user: string | undefined;
    let secret: string | undefined;
    if (s.auth) {
      const value = ctx.host.lookupSecret({ uuid: s.auth.secretUuid, usage: s.auth.secretUsage, type: s.auth.secretType ?? 'iscsi' });
      if (!value) throw internalError(`no secret with matching usage '${s.auth.secretUsage ?? ''}'`, ErrorDomain.SECRET);
      secret = `${node}-secret0`;
      user = s.auth.username;
      secretObject(ctx, secret, value);
    }
    backend = {
      driver: 'iscsi',
      portal: `${host?.name ?? ''}:${host?.port ?? '3260'}`,
      target,
      lun,
      transport: 'tcp',
      user,
      'password-secret': secret,
      'initiator-name': s.initiatorIqn,
      'node-name': node,
      'read-only': readOnly,
    };
  } else {
    backend = { driver: 'host_device', filename: ctx.host.scsiHostdevPath ? ctx.host.scsiHostdevPath(s?.adapter ?? '', s?.bus ?? 0, s?.target ?? 0, s?.unit ?? 0) : '/dev/sg0', 'node-name': node, 'read-only': readOnly };
  }
  add(ctx, '-blockdev', json(backend));
  addDevice(ctx, { driver: 'scsi-generic', drive: node, id: h.info.alias, bootindex: bootIndex(h.info), ...scsiBusProps(ctx, h.info) });
}

export function buildHostdevs(ctx: BuildCtx): void {
  let node = lastDiskNodeIndex(ctx);
  for (const h of ctx.def.devices.hostdevs) {
    const v = hostdevView(h);
    if (v.mode !== 'subsystem') continue;
    switch (v.type) {
      case 'pci':
        addDevice(ctx, pciProps(ctx, h, v));
        break;
      case 'usb':
        addDevice(ctx, usbProps(ctx, h, v));
        break;
      case 'mdev':
        addDevice(ctx, mdevProps(ctx, h, v));
        break;
      case 'scsi':
        node++;
        buildScsiHostdev(ctx, h, v, `libvirt-${node}-backend`);
        break;
      case 'scsi_host': {
        const fd = ctx.host.openVhostScsi(v.wwpn ?? '');
        ctx.fds.push(fd);
        addDevice(ctx, { driver: virtioDriver('vhost-scsi', v.model, h.info.address), wwpn: v.wwpn, vhostfd: String(fd), id: h.info.alias, bootindex: bootIndex(h.info), ...addressProps(ctx, h.info) });
        break;
      }
    }
  }
}
