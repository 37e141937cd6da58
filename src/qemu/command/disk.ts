// Disks (qemuBuildDisksCommandLine): per disk the storage -blockdev(s) of the backing chain
// (bottom up), then the -device frontend.
import type { DiskDef } from '../../conf/domain/devices/disk.js';
import type { StorageSource } from '../../conf/domain/storage.js';
import { configUnsupported, ErrorDomain } from '../../util/errors.js';
import { chainOf } from '../domain/prepare.js';
import { addressProps, acpiIndexProps } from './address.js';
import { type BuildCtx, type JsonProps, add, addDevice, json } from './util.js';
import { virtioDriver, virtioOptionProps } from './virtio.js';

function cacheProps(disk: DiskDef): JsonProps {
  switch (disk.driver.cache) {
    case 'none':
      return { cache: { direct: true, 'no-flush': false } };
    case 'writethrough':
    case 'writeback':
      return { cache: { direct: false, 'no-flush': false } };
    case 'directsync':
      return { cache: { direct: true, 'no-flush': false } };
    case 'unsafe':
      return { cache: { direct: false, 'no-flush': true } };
    default:
      return {};
  }
}

function storageProps(ctx: BuildCtx, disk: DiskDef, src: StorageSource, top: boolean): JsonProps {
  let p: JsonProps;
  switch (src.type) {
    case 'file':
      p = { driver: 'file', filename: src.path };
      break;
    case 'block':
      p = { driver: src.hostcdrom || ctx.host.isHostCdrom(src.path ?? '') && disk.device === 'cdrom' ? 'host_cdrom' : 'host_device', filename: src.path };
      break;
    case 'dir':
      p = { driver: 'vvfat', dir: src.path, floppy: disk.device === 'floppy', rw: !src.readonly };
      break;
    case 'network':
      p = networkProps(ctx, src);
      break;
    default:
      throw configUnsupported(`unsupported disk type '${src.type}'`, ErrorDomain.QEMU);
  }
  if (src.type === 'file' || src.type === 'block') {
    if (disk.driver.io === 'native' || disk.driver.io === 'io_uring' || disk.driver.io === 'threads') p.aio = disk.driver.io;
  }
  p['node-name'] = src.nodeStorage;
  if (top) Object.assign(p, cacheProps(disk));
  if (!top && src.type !== 'network') {
    // backing images are opened read-only
  }
  p['auto-read-only'] = true;
  p.discard = 'unmap';
  return p;
}

function networkProps(ctx: BuildCtx, src: StorageSource): JsonProps {
  const hosts = src.hosts;
  const server = (h: (typeof hosts)[number]): JsonProps =>
    h.transport === 'unix' ? { type: 'unix', path: h.socket } : { type: 'inet', host: h.name, port: h.port ?? defaultPort(src.protocol) };
  switch (src.protocol) {
    case 'nbd':
      return { driver: 'nbd', server: hosts[0] ? server(hosts[0]) : undefined, export: src.name };
    case 'gluster': {
      const [vol, ...rest] = (src.name ?? '').split('/');
      return { driver: 'gluster', volume: vol, path: rest.join('/'), server: hosts.map(server), debug: ctx.cfg.glusterDebugLevel };
    }
    case 'rbd': {
      const [pool, image] = (src.name ?? '').split('/');
      return { driver: 'rbd', pool, image, server: hosts.map((h) => ({ host: h.name, port: h.port ?? '6789' })) };
    }
    case 'http':
    case 'https':
    case 'ftp':
    case 'ftps':
    case 'tftp': {
      const h = hosts[0];
      const port = h?.port ? `:${h.port}` : '';
      const name = src.name?.startsWith('/') ? src.name : `/${src.name ?? ''}`;
      return { driver: src.protocol, url: `${src.protocol}://${h?.name ?? ''}${port}${name}${src.query ? `?${src.query}` : ''}` };
    }
    case 'nfs': {
      const h = hosts[0];
      return { driver: 'nfs', server: { type: 'inet', host: h?.name, ...(h?.port ? { port: h.port } : {}) }, path: src.name };
    }
    case 'ssh': {
      const h = hosts[0];
      return { driver: 'ssh', path: src.name, server: { host: h?.name, port: h?.port ?? '22' } };
    }
    case 'iscsi': {
      const h = hosts[0];
      const [target, lun] = (src.name ?? '').split('/');
      return { driver: 'iscsi', portal: `${h?.name}:${h?.port ?? '3260'}`, target, lun: Number(lun ?? 0), transport: 'tcp' };
    }
    default:
      throw configUnsupported(`unsupported network disk protocol '${src.protocol}'`, ErrorDomain.QEMU);
  }
}

function defaultPort(protocol: string | undefined): string | undefined {
  switch (protocol) {
    case 'nbd':
      return '10809';
    case 'gluster':
      return '24007';
    default:
      return undefined;
  }
}

function formatProps(ctx: BuildCtx, disk: DiskDef, src: StorageSource, top: boolean): JsonProps {
  const readOnly = top ? !!src.readonly : true;
  const p: JsonProps = { 'node-name': src.nodeFormat, 'read-only': readOnly };
  if (top) {
    Object.assign(p, cacheProps(disk));
    if (disk.driver.discard) p.discard = disk.driver.discard;
    if (disk.driver.detectZeroes) {
      p['detect-zeroes'] = disk.driver.detectZeroes === 'unmap' && disk.driver.discard !== 'unmap' ? 'on' : disk.driver.detectZeroes;
    }
  }
  p.driver = src.format ?? 'raw';
  if (top && disk.driver.metadataCacheMaxSize !== undefined && src.format === 'qcow2') p['cache-size'] = disk.driver.metadataCacheMaxSize;
  if (src.slices.length && src.format === 'raw') {
    p.offset = src.slices[0].offset;
    p.size = src.slices[0].size;
  }
  p.file = src.nodeStorage;
  if (src.format !== 'raw' && src.format !== undefined) {
    const b = src.backingStore;
    if (b) p.backing = b.nodeFormat;
    else if (b === null || !top) p.backing = null;
  }
  void ctx;
  return p;
}

function isEmpty(src: StorageSource): boolean {
  if (src.type === 'network') return !src.protocol;
  if (src.type === 'volume') return !src.pool?.volume;
  return !src.path;
}

export function buildDiskBlockdevs(ctx: BuildCtx, disk: DiskDef): void {
  if (isEmpty(disk.src)) return;
  const chain = chainOf(disk.src);
  for (let i = chain.length - 1; i >= 0; i--) {
    const s = chain[i];
    add(ctx, '-blockdev', json(storageProps(ctx, disk, s, i === 0)));
    add(ctx, '-blockdev', json(formatProps(ctx, disk, s, i === 0)));
  }
}

function diskFrontend(ctx: BuildCtx, disk: DiskDef): JsonProps {
  const a = disk.info.address;
  const empty = isEmpty(disk.src);
  const p: JsonProps = {};
  switch (disk.bus) {
    case 'ide':
    case 'sata': {
      p.driver = disk.device === 'cdrom' ? 'ide-cd' : 'ide-hd';
      if (a?.type === 'drive') {
        const c = ctx.def.devices.controllers.find((x) => x.type === disk.bus && x.index === a.controller);
        const alias = c?.info.alias ?? 'ide';
        p.bus = disk.bus === 'ide' ? `${alias}.${a.bus}` : `${alias}.${a.unit}`;
        if (disk.bus === 'ide') p.unit = a.unit;
      }
      break;
    }
    case 'scsi': {
      p.driver = disk.device === 'lun' ? 'scsi-block' : disk.device === 'cdrom' ? 'scsi-cd' : 'scsi-hd';
      if (a?.type === 'drive') {
        const c = ctx.def.devices.controllers.find((x) => x.type === 'scsi' && x.index === a.controller);
        if (c?.model === 'lsilogic' || c?.model === undefined) {
          p.bus = `${c?.info.alias ?? `scsi${a.controller}`}.${a.bus}`;
          p['scsi-id'] = a.unit;
        }
        if (disk.device !== 'lun') p.device_id = disk.serial ?? `drive-${disk.info.alias}`; else {
          p.bus = `${c?.info.alias ?? `scsi${a.controller}`}.0`;
          p.channel = a.bus;
          p['scsi-id'] = a.target;
          p.lun = a.unit;
        }
      }
      break;
    }
    case 'virtio': {
      p.driver = virtioDriver('virtio-blk', disk.model, a);
      Object.assign(p, virtioOptionProps(disk.driver.virtio));
      if (disk.driver.ioeventfd) p.ioeventfd = disk.driver.ioeventfd === 'on';
      if (disk.driver.eventIdx) p.event_idx = disk.driver.eventIdx === 'on';
      if (disk.driver.iothread) p.iothread = `iothread${disk.driver.iothread}`;
      if (disk.driver.queues) p['num-queues'] = disk.driver.queues;
      if (disk.driver.queueSize) p['queue-size'] = disk.driver.queueSize;
      Object.assign(p, addressProps(ctx, disk.info));
      break;
    }
    case 'usb':
      p.driver = 'usb-storage';
      Object.assign(p, addressProps(ctx, disk.info));
      break;
    case 'fdc':
      p.driver = 'floppy';
      if (a?.type === 'drive') p.unit = a.unit;
      break;
    default:
      throw configUnsupported(`unsupported disk bus '${disk.bus}'`, ErrorDomain.QEMU);
  }
  if (disk.bus === 'scsi' && disk.device !== 'lun') {
    // scsi-hd/cd take the device props below
  }
  if (!empty) p.drive = disk.src.nodeFormat;
  p.id = disk.info.alias;
  const boot = disk.info.bootIndex ?? disk.info.effectiveBootIndex;
  if (boot) p.bootindex = boot;
  if (disk.blockio?.logical) p.logical_block_size = disk.blockio.logical;
  if (disk.blockio?.physical) p.physical_block_size = disk.blockio.physical;
  if (disk.wwn) p.wwn = BigInt(disk.wwn.startsWith('0x') ? disk.wwn : `0x${disk.wwn}`);
  if (disk.rotationRate) p.rotation_rate = disk.rotationRate;
  if (disk.serial) p.serial = disk.serial;
  if (disk.vendor) p.vendor = disk.vendor;
  if (disk.product) p.product = disk.product;
  if (disk.driver.cache) {
    const wc = ['none', 'writeback', 'unsafe'].includes(disk.driver.cache) ? 'on' : 'off';
    p['write-cache'] = wc;
  }
  if (disk.driver.errorPolicy) {
    const map: Record<string, string> = { stop: 'stop', report: 'report', ignore: 'ignore', enospace: 'enospc' };
    p.werror = map[disk.driver.errorPolicy];
    p.rerror = map[disk.driver.rerrorPolicy ?? disk.driver.errorPolicy];
  }
  Object.assign(p, acpiIndexProps(disk.info));
  return p;
}

export function buildDisks(ctx: BuildCtx): void {
  for (const disk of ctx.def.devices.disks) {
    buildDiskBlockdevs(ctx, disk);
    addDevice(ctx, diskFrontend(ctx, disk));
  }
}
