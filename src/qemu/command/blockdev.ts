// -blockdev properties of a storage source (qemuBlockStorageSourceGetBackendProps,
// qemuBlockStorageSourceGetFormatProps) and the objects a source depends on (secrets, TLS
// credentials, persistent-reservation managers), emitted per image of a chain, bottom up.
import type { DiskDef } from '../../conf/domain/devices/disk.js';
import { chainOf, type SourceSecret, type StorageSource } from '../../conf/domain/storage.js';
import { configUnsupported, ErrorDomain, internalError } from '../../util/errors.js';
import { add, type BuildCtx, type JsonProps, type JsonValue, json } from './util.js';

/** qemuDomainDiskCachemodeFlags: [write-back, direct, no-flush] of a cache mode. */
export function cacheModeFlags(mode: string | undefined): { wb: boolean; direct: boolean; noflush: boolean } | undefined {
  switch (mode) {
    case 'none':
      return { wb: true, direct: true, noflush: false };
    case 'writethrough':
      return { wb: false, direct: false, noflush: false };
    case 'writeback':
      return { wb: true, direct: false, noflush: false };
    case 'directsync':
      return { wb: false, direct: true, noflush: false };
    case 'unsafe':
      return { wb: true, direct: false, noflush: true };
    default:
      return undefined;
  }
}

/** Image formats that can have a backing image (virStorageFileFormat >= VIR_STORAGE_FILE_BACKING). */
const BACKING_FORMATS = new Set(['cow', 'qcow', 'qcow2', 'qed', 'vmdk']);

/** The disk-level settings that apply to an image of the chain (qemuDomainPrepareDiskSourceData). */
interface SrcCtx {
  disk: DiskDef;
  src: StorageSource;
  top: boolean;
}

function cacheObj(disk: DiskDef): JsonProps | undefined {
  const f = cacheModeFlags(disk.driver.cache);
  return f ? { direct: f.direct, 'no-flush': f.noflush } : undefined;
}

export function secretObjectProps(s: SourceSecret): JsonProps {
  return { 'qom-type': 'secret', id: s.alias, data: s.ciphertext, keyid: 'masterKey0', iv: s.iv, format: 'base64' };
}

/** The number in an nfs <identity user='+N'/> (virGetUserID accepts '+N' as a numeric id). */
function nfsId(src: StorageSource, attrName: 'user' | 'group'): number | undefined {
  const id = src.extra.find((e) => e.local === 'identity');
  const v = id?.attrs.find((a) => a.name === attrName)?.value;
  if (v === undefined) return undefined;
  const m = /^\+?(\d+)$/.exec(v);
  if (m) return Number(m[1]);
  if (v === 'root') return 0;
  return undefined;
}

function extraAttr(src: StorageSource, elName: string, attrName: string): string | undefined {
  return src.extra.find((e) => e.local === elName)?.attrs.find((a) => a.name === attrName)?.value;
}

function inetServer(h: StorageSource['hosts'][number]): JsonProps {
  if (h.transport === 'unix' || h.transport === 'rdma') throw internalError('only TCP protocol can be converted to InetSocketAddress');
  return { host: h.name, port: h.port ?? '0' };
}

function socketServer(h: StorageSource['hosts'][number]): JsonProps {
  if (h.transport === 'unix') return { type: 'unix', path: h.socket };
  if (h.transport === 'rdma') throw internalError("transport protocol 'rdma' is not yet supported");
  return { type: 'inet', host: h.name, port: h.port ?? '0' };
}

function oneHost(src: StorageSource, what: string): StorageSource['hosts'][number] {
  if (src.hosts.length !== 1) throw internalError(`${what} protocol accepts only one host`);
  return src.hosts[0];
}

/** virURIFormat of qemuBlockStorageSourceGetURI. */
function sourceURI(src: StorageSource): string {
  if (src.hosts.length !== 1) throw internalError(`protocol '${src.protocol}' accepts only one host`);
  const h = src.hosts[0];
  const scheme = h.transport && h.transport !== 'tcp' ? `${src.protocol}+${h.transport}` : src.protocol;
  let server = h.name ?? '';
  if (server.includes(':')) server = `[${server}]`;
  const port = h.transport && h.transport !== 'tcp' ? '' : h.port && h.port !== '0' ? `:${h.port}` : '';
  let path = '';
  if (src.name) path = src.name.startsWith('/') ? src.name : `/${src.name}`;
  return `${scheme}://${server}${port}${path}${src.query ? `?${src.query}` : ''}`;
}

function networkProps(ctx: BuildCtx, sc: SrcCtx): JsonProps {
  const { src } = sc;
  const priv = src.priv;
  switch (src.protocol) {
    case 'gluster': {
      const [volume, ...rest] = (src.name ?? '').split('/');
      const p: JsonProps = { driver: 'gluster', volume, path: rest.join('/'), server: src.hosts.map(socketServer) };
      if (ctx.cfg.glusterDebugLevel > 0) p.debug = ctx.cfg.glusterDebugLevel;
      return p;
    }
    case 'vxhs':
      return { driver: 'vxhs', 'tls-creds': priv?.tlsAlias, 'vdisk-id': src.name, server: inetServer(oneHost(src, 'VxHS')) };
    case 'http':
    case 'https':
    case 'ftp':
    case 'ftps':
    case 'tftp': {
      const ssl = extraAttr(src, 'ssl', 'verify');
      const timeout = extraAttr(src, 'timeout', 'seconds');
      const readahead = extraAttr(src, 'readahead', 'size');
      return {
        driver: src.protocol,
        url: sourceURI(src),
        username: src.auth ? src.auth.username : undefined,
        'password-secret': src.auth ? priv?.authSecret?.alias : undefined,
        sslverify: ssl === undefined ? undefined : ssl === 'yes',
        'cookie-secret': priv?.httpCookieSecret?.alias,
        timeout: timeout && Number(timeout) ? Number(timeout) : undefined,
        readahead: readahead && Number(readahead) ? Number(readahead) : undefined,
      };
    }
    case 'iscsi': {
      const h = src.hosts[0];
      const name = src.name ?? '';
      const slash = name.indexOf('/');
      const target = slash >= 0 ? name.slice(0, slash) : name;
      let lun = 0;
      if (slash >= 0) {
        const l = name.slice(slash + 1);
        if (!/^\d+$/.test(l)) throw internalError(`cannot parse target for lunStr '${target}'`);
        lun = Number(l);
      }
      const host = h?.name ?? '';
      const portal = host.includes(':') ? `[${host}]:${h?.port ?? '0'}` : `${host}:${h?.port ?? '0'}`;
      const initiator = src.extra.find((e) => e.local === 'initiator');
      const iqn = initiator?.children.find((c) => c.kind === 'element' && c.local === 'iqn');
      return {
        driver: 'iscsi',
        portal,
        target,
        lun,
        transport: 'tcp',
        user: src.auth ? src.auth.username : undefined,
        'password-secret': src.auth ? priv?.authSecret?.alias : undefined,
        'initiator-name': iqn && iqn.kind === 'element' ? iqn.attrs.find((a) => a.name === 'name')?.value : undefined,
      };
    }
    case 'nbd': {
      const reconnect = extraAttr(src, 'reconnect', 'delay');
      return {
        driver: 'nbd',
        server: socketServer(oneHost(src, 'nbd')),
        export: src.name,
        'tls-creds': priv?.tlsAlias,
        'tls-hostname': priv?.tlsAlias ? src.tlsHostname : undefined,
        'reconnect-delay': reconnect && Number(reconnect) ? Number(reconnect) : undefined,
      };
    }
    case 'rbd': {
      const name = src.name ?? '';
      const slash = name.indexOf('/');
      let image = slash >= 0 ? name.slice(slash + 1) : name;
      let snapshot = extraAttr(src, 'snapshot', 'name');
      const at = image.indexOf('@');
      if (at >= 0 && snapshot === undefined) {
        snapshot = image.slice(at + 1);
        image = image.slice(0, at);
      }
      let encrypt: JsonValue | undefined;
      const enc = src.encryption;
      if (enc && enc.engine === 'librbd') {
        const fmt = enc.format === 'luks' || enc.format === 'luks2' || enc.format === 'luks-any' ? enc.format : undefined;
        const secrets = priv?.encSecrets ?? [];
        for (let i = secrets.length; i > 0; i--) {
          const o: JsonProps = { format: fmt, 'key-secret': secrets[i - 1].alias };
          if (encrypt !== undefined) o.parent = encrypt;
          encrypt = o;
        }
      }
      const auth = src.auth && priv?.authSecret;
      return {
        driver: 'rbd',
        pool: slash >= 0 ? name.slice(0, slash) : '',
        image,
        snapshot,
        conf: extraAttr(src, 'config', 'file'),
        server: src.hosts.length ? src.hosts.map(inetServer) : undefined,
        encrypt,
        user: auth ? priv?.authSecret?.username : undefined,
        'auth-client-required': auth ? ['cephx', 'none'] : undefined,
        'key-secret': auth ? priv?.authSecret?.alias : undefined,
      };
    }
    case 'sheepdog':
      return { driver: 'sheepdog', server: socketServer(oneHost(src, 'sheepdog')), vdi: src.name };
    case 'ssh': {
      const h = oneHost(src, 'ssh');
      const user = src.auth?.username ?? extraAttr(src, 'identity', 'username');
      return { driver: 'ssh', path: src.name, server: inetServer(h), user };
    }
    case 'nfs': {
      const h = src.hosts[0];
      return { driver: 'nfs', server: { host: h?.name, type: 'inet' }, path: src.name, user: nfsId(src, 'user'), group: nfsId(src, 'group') };
    }
    default:
      throw configUnsupported(`unsupported network disk protocol '${src.protocol}'`, ErrorDomain.QEMU);
  }
}

/** qemuBlockStorageSourceGetBackendProps with auto-read-only. */
function storageProps(ctx: BuildCtx, sc: SrcCtx): JsonProps {
  const { disk, src } = sc;
  let p: JsonProps;
  let autoReadOnly: boolean | undefined = true;
  let readOnly: boolean | undefined;
  switch (src.type) {
    case 'file':
    case 'block': {
      const driver = src.type === 'block' ? (src.hostcdrom ? 'host_cdrom' : 'host_device') : 'file';
      let filename = src.path;
      const fdset = src.priv?.fdset;
      if (fdset) {
        filename = `/dev/fdset/${fdset.set}`;
        // qemu picks the fd by access mode; with a single fd auto-read-only cannot work
        if (fdset.fds.length === 1) {
          autoReadOnly = undefined;
          readOnly = !!src.readonly;
        }
      }
      const io = disk.driver.io;
      p = { driver, filename, aio: io && io !== 'default' ? io : undefined, 'pr-manager': src.priv?.pr?.alias };
      break;
    }
    case 'dir':
      p = { driver: 'vvfat', dir: src.path, floppy: disk.device === 'floppy', rw: !src.readonly };
      break;
    case 'nvme': {
      const a = src.nvme?.address;
      const hex = (n: number, w: number) => n.toString(16).padStart(w, '0');
      p = {
        driver: 'nvme',
        device: a ? `${hex(a.domain, 4)}:${hex(a.bus, 2)}:${hex(a.slot, 2)}.${a.function.toString(16)}` : undefined,
        namespace: src.nvme?.namespace,
      };
      break;
    }
    case 'network':
      p = networkProps(ctx, sc);
      break;
    case 'vhostuser':
      throw internalError('unable to create blockdev props for vhostuser disk type');
    case 'volume':
      throw internalError(`storage source pool '${src.pool?.pool}' volume '${src.pool?.volume}' is not translated`);
    default:
      throw configUnsupported(`unsupported disk type '${src.type}'`, ErrorDomain.QEMU);
  }
  p['node-name'] = src.nodeStorage;
  p.cache = cacheObj(disk);
  p['read-only'] = readOnly;
  p['auto-read-only'] = autoReadOnly;
  p.discard = 'unmap';
  return p;
}

/** qemuBlockStorageSourceNeedsStorageSliceLayer */
export function needsSliceLayer(src: StorageSource): boolean {
  if (!src.slices.length) return false;
  if (src.format !== 'raw') return true;
  return !!(src.encryption && src.encryption.engine === 'qemu');
}

function sliceProps(sc: SrcCtx): JsonProps {
  const { disk, src } = sc;
  const sl = src.slices[0];
  return {
    driver: 'raw',
    'node-name': src.priv?.sliceNode,
    offset: sl.offset,
    size: sl.size,
    file: src.nodeStorage,
    'auto-read-only': true,
    discard: 'unmap',
    cache: cacheObj(disk),
  };
}

/** virDomainDiskGetDetectZeroesMode */
export function detectZeroes(disk: DiskDef): string | undefined {
  const dz = disk.driver.detectZeroes;
  if (!dz || dz === 'default') return undefined;
  if (dz === 'unmap' && disk.driver.discard !== 'unmap') return 'on';
  return dz;
}

function formatLayerProps(sc: SrcCtx): JsonProps {
  const { disk, src, top } = sc;
  const discard = disk.driver.discard && disk.driver.discard !== 'default' ? disk.driver.discard : undefined;
  const p: JsonProps = {
    'node-name': src.nodeFormat,
    'read-only': !!src.readonly,
    discard,
    'detect-zeroes': top ? detectZeroes(disk) : undefined,
    cache: cacheObj(disk),
  };
  const enc = src.encryption && src.encryption.engine === 'qemu' ? src.encryption : undefined;
  const encSecret = src.priv?.encSecrets?.[0]?.alias;
  const cacheSize = top ? disk.driver.metadataCacheMaxSize : src.metadataCacheMaxSize;
  const format = src.format ?? 'raw';
  switch (format) {
    case 'fat':
    case 'raw':
      if (enc && enc.format === 'luks') {
        if (!encSecret) throw internalError("missing secret info for 'luks' driver");
        p.driver = 'luks';
        p['key-secret'] = encSecret;
      } else {
        p.driver = 'raw';
        if (src.slices.length && !needsSliceLayer(src)) {
          p.offset = src.slices[0].offset;
          p.size = src.slices[0].size;
        }
      }
      break;
    case 'qcow2':
    case 'qcow':
      p.driver = format;
      if (enc && encSecret) p.encrypt = { format: enc.format === 'qcow' ? 'aes' : 'luks', 'key-secret': encSecret };
      if (format === 'qcow2' && cacheSize) p['cache-size'] = cacheSize;
      break;
    case 'ploop':
      p.driver = 'parallels';
      break;
    case 'vhd':
      p.driver = 'vhdx';
      break;
    case 'bochs':
    case 'cloop':
    case 'dmg':
    case 'vdi':
    case 'vpc':
    case 'qed':
    case 'vmdk':
      p.driver = format;
      break;
    default:
      throw internalError(`mishandled storage format '${format}'`);
  }
  return p;
}

/** qemuBlockStorageSourceGetFormatProps: the format layer plus file/backing links. */
function formatProps(sc: SrcCtx): JsonProps {
  const { src } = sc;
  const b = src.backingStore;
  const fmt = src.format ?? 'raw';
  if (b && !BACKING_FORMATS.has(fmt)) {
    throw configUnsupported(`storage format '${fmt}' does not support backing store`);
  }
  const p = formatLayerProps(sc);
  p.file = src.priv?.sliceNode ?? src.nodeStorage;
  if (b !== undefined && BACKING_FORMATS.has(fmt)) p.backing = b ? b.nodeFormat : null;
  return p;
}

/** Objects one image needs before its -blockdev (qemuBuildStorageSourceAttachPrepareCommon order). */
function sourceObjects(ctx: BuildCtx, src: StorageSource): void {
  const priv = src.priv;
  if (!priv) return;
  if (priv.pr && !priv.pr.managed) {
    add(ctx, '-object', json({ 'qom-type': 'pr-manager-helper', id: priv.pr.alias, path: priv.pr.path }));
  }
  if (priv.authSecret) add(ctx, '-object', json(secretObjectProps(priv.authSecret)));
  if (priv.httpCookieSecret) add(ctx, '-object', json(secretObjectProps(priv.httpCookieSecret)));
  if (priv.tlsKeySecret) add(ctx, '-object', json(secretObjectProps(priv.tlsKeySecret)));
  if (priv.tlsAlias) {
    add(
      ctx,
      '-object',
      json({
        'qom-type': 'tls-creds-x509',
        id: priv.tlsAlias,
        dir: priv.tlsCertdir,
        endpoint: 'client',
        'verify-peer': true,
        passwordid: priv.tlsKeySecret?.alias,
      }),
    );
  }
  for (const s of priv.encSecrets ?? []) add(ctx, '-object', json(secretObjectProps(s)));
}

/** qemuBuildDiskSourceCommandLineFDs: the fd sets of the whole chain (top image first), before its nodes. */
function chainFdSets(ctx: BuildCtx, disk: DiskDef): void {
  for (const src of chainOf(disk.src)) {
    const fdset = src.priv?.fdset;
    if (!fdset) continue;
    fdset.fds.forEach((fd, i) => {
      ctx.fds.push(fd);
      add(ctx, '-add-fd', `set=${fdset.set},fd=${fd},opaque=${src.nodeStorage}${i}`);
    });
  }
}

/** Node name of the copy-on-read layer of a disk. */
export function copyOnReadNode(disk: DiskDef): string {
  return `libvirt-CoR-${disk.dst}`;
}

/** qemuBuildDiskSourceCommandLine: the chain's objects and -blockdevs, bottom image first. */
export function buildDiskSource(ctx: BuildCtx, disk: DiskDef): void {
  const chain = chainOf(disk.src);
  chainFdSets(ctx, disk);
  for (let i = chain.length - 1; i >= 0; i--) {
    const sc: SrcCtx = { disk, src: chain[i], top: i === 0 };
    // props are computed first (errors before any output), like the prepare step in libvirt
    const fmt = formatProps(sc);
    const storage = storageProps(ctx, sc);
    sourceObjects(ctx, sc.src);
    add(ctx, '-blockdev', json(storage));
    if (needsSliceLayer(sc.src)) add(ctx, '-blockdev', json(sliceProps(sc)));
    add(ctx, '-blockdev', json(fmt));
  }
  if (disk.driver.copyOnRead === 'on') {
    add(ctx, '-blockdev', json({ driver: 'copy-on-read', 'node-name': copyOnReadNode(disk), file: disk.src.nodeFormat, discard: 'unmap' }));
  }
}

/** qemuBuildManagedPRCommandLine: the shared, driver-managed pr-helper object. */
export function buildManagedPR(ctx: BuildCtx): void {
  // fdsets of disk sources were numbered when the storage was prepared: later ones follow them
  for (const d of ctx.def.devices.disks) {
    for (const s of chainOf(d.src)) if (s.priv?.fdset) ctx.fdset = Math.max(ctx.fdset, s.priv.fdset.set + 1);
  }
  for (const d of ctx.def.devices.disks) {
    for (const s of chainOf(d.src)) {
      const pr = s.priv?.pr;
      if (pr?.managed) {
        add(ctx, '-object', json({ 'qom-type': 'pr-manager-helper', id: pr.alias, path: pr.path }));
        return;
      }
    }
  }
}
