// Small device families kept in the generic device model: IOMMU (intel-iommu / virtio-iommu), panic
// notifiers (pvpanic / pvpanic-pci / hv-crash), vsock (vhost-vsock), shared memory (ivshmem),
// vmcoreinfo and launch security (sev-guest). Builders follow qemu_command.c's property order.

import { parseUInt, parseVirtioOptions, textContent } from '../../conf/domain/common.js';
import { emptyChrSource, parseChrSource } from '../../conf/domain/devices/chardev.js';
import type { GenericDevice } from '../../conf/domain/devices/generic.js';
import type { DomainDef } from '../../conf/domain/types.js';
import { hasFeature } from '../../conf/domain/types.js';
import { configUnsupported, ErrorDomain } from '../../util/errors.js';
import { child } from '../../util/xml.js';
import { addressProps } from './address.js';
import { chardevArg } from './chardev.js';
import { add, addDevice, type BuildCtx, type JsonProps, json } from './util.js';
import { virtioDriver, virtioOptionProps } from './virtio.js';

/** An attribute of a generic device, including ones added by post-parse. */
export function devAttr(d: GenericDevice, name: string): string | undefined {
  return d.attrs.find(([k]) => k === name)?.[1] ?? d.addAttrs?.find(([k]) => k === name)?.[1];
}

function childAttr(d: GenericDevice, el: string, name: string): string | undefined {
  return child(d.xml, el)?.attrs.find((a) => a.name === name)?.value;
}

// ---- IOMMU -----------------------------------------------------------------------------------

export interface IommuDriverOpts {
  intremap?: string;
  cachingMode?: string;
  eim?: string;
  iotlb?: string;
  awBits?: number;
}

export function iommuDriver(d: GenericDevice): IommuDriverOpts {
  const aw = childAttr(d, 'driver', 'aw_bits');
  return {
    intremap: childAttr(d, 'driver', 'intremap'),
    cachingMode: childAttr(d, 'driver', 'caching_mode'),
    eim: childAttr(d, 'driver', 'eim'),
    iotlb: childAttr(d, 'driver', 'iotlb'),
    awBits: aw === undefined ? undefined : parseUInt(aw),
  };
}

const onOff = (v: string | undefined): boolean | undefined => (v === undefined ? undefined : v === 'on');

export function buildIommu(ctx: BuildCtx): void {
  const iommu = ctx.def.devices.iommu;
  if (!iommu) return;
  const model = devAttr(iommu, 'model');
  if (model === 'intel') {
    const o = iommuDriver(iommu);
    addDevice(ctx, {
      driver: 'intel-iommu',
      id: iommu.info.alias,
      intremap: o.intremap,
      'caching-mode': onOff(o.cachingMode),
      eim: o.eim,
      'device-iotlb': onOff(o.iotlb),
      'aw-bits': o.awBits || undefined,
    });
  } else if (model === 'virtio') {
    addDevice(ctx, { driver: 'virtio-iommu', id: iommu.info.alias, ...addressProps(ctx, iommu.info) });
  }
}

/** `-machine` kernel_irqchip from <features><ioapic driver=…/>. */
export function ioapicMachineProps(def: DomainDef): string[] {
  const f = def.features.find((x) => x.name === 'ioapic');
  const drv = f?.attrs.find(([k]) => k === 'driver')?.[1];
  if (drv === 'qemu') return ['kernel_irqchip=split'];
  if (drv === 'kvm') return ['kernel_irqchip=on'];
  return [];
}

// ---- panic -----------------------------------------------------------------------------------

export function panicModel(p: GenericDevice): string | undefined {
  return devAttr(p, 'model');
}

/** `-cpu …,hv-crash` when a Hyper-V panic notifier is configured. */
export function panicCpuProps(def: DomainDef): string[] {
  return def.devices.panics.some((p) => panicModel(p) === 'hyperv') ? ['hv-crash'] : [];
}

export function buildPanics(ctx: BuildCtx): void {
  for (const p of ctx.def.devices.panics) {
    const model = panicModel(p);
    if (model === 'isa') {
      const props: JsonProps = { driver: 'pvpanic' };
      const a = p.info.address;
      if (a?.type === 'isa' && a.iobase !== undefined) props.ioport = a.iobase;
      addDevice(ctx, props);
    } else if (model === 'pvpanic') {
      addDevice(ctx, { driver: 'pvpanic-pci', ...addressProps(ctx, p.info) });
    }
  }
}

// ---- vsock -----------------------------------------------------------------------------------

export function buildVsock(ctx: BuildCtx): void {
  const v = ctx.def.devices.vsock;
  if (!v) return;
  const fd = ctx.host.openVhostVsock();
  ctx.fds.push(fd);
  const cidAuto = childAttr(v, 'cid', 'auto');
  const cidAddr = childAttr(v, 'cid', 'address');
  let cid = cidAddr !== undefined ? parseUInt(cidAddr) : undefined;
  if (cid === undefined && cidAuto === 'yes') cid = ctx.host.vsockGuestCid?.() ?? 3;
  const drvEl = child(v.xml, 'driver');
  const p: JsonProps = {
    driver: virtioDriver('vhost-vsock', devAttr(v, 'model'), v.info.address),
    ...virtioOptionProps(parseVirtioOptions(drvEl)),
    id: v.info.alias,
    'guest-cid': cid,
    vhostfd: String(fd),
    ...addressProps(ctx, v.info),
  };
  addDevice(ctx, p);
}

// ---- shmem -----------------------------------------------------------------------------------

export function buildShmems(ctx: BuildCtx): void {
  for (const s of ctx.def.devices.shmems) {
    const model = child(s.xml, 'model')?.attrs.find((a) => a.name === 'type')?.value ?? 'ivshmem';
    const alias = s.info.alias ?? '';
    const name = devAttr(s, 'name') ?? '';
    if (model === 'ivshmem') throw configUnsupported('ivshmem device is not supported with this QEMU binary', ErrorDomain.QEMU);
    if (model === 'ivshmem-plain') {
      const size = shmemSize(s) ?? 4 * 1024 * 1024;
      add(ctx, '-object', json({ 'qom-type': 'memory-backend-file', id: `shmmem-${alias}`, 'mem-path': `/dev/shm/${name}`, size, share: true }));
      addDevice(ctx, { driver: 'ivshmem-plain', id: alias, memdev: `shmmem-${alias}`, ...addressProps(ctx, s.info) });
    } else {
      const srv = child(s.xml, 'server');
      const src = emptyChrSource('unix');
      src.path = srv?.attrs.find((a) => a.name === 'path')?.value ?? `/var/lib/libvirt/shmem-${name}-sock`;
      src.listen = false;
      const msi = child(s.xml, 'msi');
      const vectors = msi?.attrs.find((a) => a.name === 'vectors')?.value;
      const ioeventfd = msi?.attrs.find((a) => a.name === 'ioeventfd')?.value;
      // the device comes before its server chardev; MSI ioeventfd defaults to on
      addDevice(ctx, {
        driver: 'ivshmem-doorbell',
        id: alias,
        chardev: `char${alias}`,
        vectors: vectors ? parseUInt(vectors) || undefined : undefined,
        ioeventfd: ioeventfd !== 'off',
        ...addressProps(ctx, s.info),
      });
      add(ctx, '-chardev', chardevArg(ctx, src, `char${alias}`, alias));
    }
  }
}

/** <size unit=…> of a shmem device in bytes. */
export function shmemSize(s: GenericDevice): number | undefined {
  const e = child(s.xml, 'size');
  if (!e) return undefined;
  const v = Number(textContent(e)?.trim() ?? '0');
  const unit = (e.attrs.find((a) => a.name === 'unit')?.value ?? 'b').toLowerCase();
  const scale: Record<string, number> = { b: 1, bytes: 1, k: 1024, kib: 1024, kb: 1000, m: 1024 ** 2, mib: 1024 ** 2, mb: 1e6, g: 1024 ** 3, gib: 1024 ** 3, gb: 1e9 };
  return v * (scale[unit] ?? 1);
}

// ---- vmcoreinfo ------------------------------------------------------------------------------

export function buildVmcoreinfo(ctx: BuildCtx): void {
  if (hasFeature(ctx.def, 'vmcoreinfo')) add(ctx, '-device', json({ driver: 'vmcoreinfo' }));
}

// ---- launch security -------------------------------------------------------------------------

function sevElement(def: DomainDef) {
  const ls = def.raw.launchSecurity?.[0];
  if (!ls || ls.attrs.find((a) => a.name === 'type')?.value !== 'sev') return undefined;
  return ls;
}

/** `-machine …,confidential-guest-support=lsec0`. */
export function launchSecurityMachineProps(def: DomainDef): string[] {
  return sevElement(def) ? ['confidential-guest-support=lsec0'] : [];
}

export function buildLaunchSecurity(ctx: BuildCtx): void {
  const ls = sevElement(ctx.def);
  if (!ls) return;
  const num = (name: string): number | undefined => {
    const t = textContent(child(ls, name))?.trim();
    return t === undefined ? undefined : parseUInt(t);
  };
  const kh = ls.attrs.find((a) => a.name === 'kernelHashes')?.value;
  add(ctx, '-object', json({
    'qom-type': 'sev-guest',
    id: 'lsec0',
    cbitpos: num('cbitpos'),
    'reduced-phys-bits': num('reducedPhysBits'),
    policy: num('policy'),
    'dh-cert-file': child(ls, 'dhCert') ? `${ctx.libDir}/dh_cert.base64` : undefined,
    'session-file': child(ls, 'session') ? `${ctx.libDir}/session.base64` : undefined,
    'kernel-hashes': kh === undefined ? undefined : kh === 'yes',
  }));
}

// ---- USB hubs and smartcards -------------------------------------------------------

export function buildHubs(ctx: BuildCtx): void {
  for (const h of ctx.def.devices.hubs) {
    if (devAttr(h, 'type') !== 'usb') continue;
    addDevice(ctx, { driver: 'usb-hub', id: h.info.alias, ...addressProps(ctx, h.info) });
  }
}

function ccidBus(ctx: BuildCtx, d: GenericDevice): string {
  const a = d.info.address;
  const idx = a?.type === 'ccid' ? a.controller : 0;
  const c = ctx.def.devices.controllers.find((x) => x.type === 'ccid' && x.index === idx);
  return `${c?.info.alias ?? `ccid${idx}`}.0`;
}

export function buildSmartcards(ctx: BuildCtx): void {
  for (const s of ctx.def.devices.smartcards) {
    const mode = devAttr(s, 'mode');
    let p: JsonProps;
    if (mode === 'host') {
      p = { driver: 'ccid-card-emulated', backend: 'nss-emulated' };
    } else if (mode === 'host-certificates') {
      const certs = s.xml.children.filter((c) => c.kind === 'element' && c.local === 'certificate').map((c) => (c.kind === 'element' ? textContent(c) ?? '' : ''));
      const db = textContent(child(s.xml, 'database')) ?? '/etc/pki/nssdb';
      p = { driver: 'ccid-card-emulated', backend: 'certificates', cert1: certs[0], cert2: certs[1], cert3: certs[2], db };
    } else if (mode === 'passthrough') {
      const alias = s.info.alias ?? '';
      add(ctx, '-chardev', chardevArg(ctx, parseChrSource(s.xml, 'type'), `char${alias}`, alias));
      p = { driver: 'ccid-card-passthru', chardev: `char${alias}` };
    } else continue;
    addDevice(ctx, { ...p, id: s.info.alias, bus: ccidBus(ctx, s) });
  }
}
