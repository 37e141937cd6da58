// Start-time preparation of disk storage (qemuProcessPrepareDomainStorage and friends): pool
// volume translation, block node names (disks last to first, chain top first), the AES-wrapped
// secrets of auth/encryption/cookies, TLS credentials of NBD/VxHS sources, persistent-reservation
// managers, host CD-ROM detection. Host facts come from the Host seam.
import { createCipheriv } from 'node:crypto';
import type { DiskDef } from '../../conf/domain/devices/disk.js';
import { chainOf, type SourceSecret, type StorageSource } from '../../conf/domain/storage.js';
import type { DomainDef } from '../../conf/domain/types.js';
import { ErrorDomain, internalError, operationInvalid } from '../../util/errors.js';
import type { Host } from '../command/host.js';
import { shortName } from '../command/util.js';
import type { QemuDriverConfig } from '../config.js';


/** virDomainDiskTranslateSourcePool: a pool volume becomes the file/block/dir/network source it names. */
export function translateVolume(disk: DiskDef, host: Host): void {
  const src = disk.src;
  if (src.type !== 'volume' || !src.pool?.pool || !src.pool.volume) return;
  if (!host.lookupVolume) throw operationInvalid(`storage pool '${src.pool.pool}' not found`, ErrorDomain.STORAGE);
  const vol = host.lookupVolume(src.pool.pool, src.pool.volume);
  if (!vol) throw internalError(`no storage vol with matching path '${src.pool.volume}'`, ErrorDomain.STORAGE);
  if (vol.poolType === 'iscsi' && src.pool.mode === 'direct') {
    const lun = /(\d+)$/.exec(src.pool.volume)?.[1] ?? '0';
    src.type = 'network';
    src.protocol = 'iscsi';
    src.name = `${vol.device ?? ''}/${lun}`;
    src.hosts = (vol.hosts ?? []).map((h) => ({ name: h.name, port: h.port ?? '3260' }));
    // the disk's own <auth> is superseded by the pool's
    src.auth = undefined;
    return;
  }
  src.type = vol.type;
  src.path = vol.path;
  if (disk.authAtDiskLevel) src.auth = undefined;
}

/** qemuDomainPrepareStorageSourceBlockdevNodename over all disks (last to first). */
export function assignDiskNodeNames(def: DomainDef): void {
  let n = 0;
  const disks = def.devices.disks;
  for (let i = disks.length - 1; i >= 0; i--) {
    const d = disks[i];
    // vhost-user disks have no block nodes; SD cards use a legacy -drive (qemuDiskBusIsSD)
    if (d.src.type === 'vhostuser' || d.bus === 'sd') continue;
    for (const s of chainOf(d.src)) {
      n++;
      s.index ??= n;
      s.nodeStorage = `libvirt-${n}-storage`;
      s.nodeFormat = `libvirt-${n}-format`;
      if (s.slices.length && (s.format !== 'raw' || s.encryption?.engine === 'qemu')) {
        s.priv = { ...s.priv, sliceNode: `libvirt-${n}-slice-sto` };
      }
    }
  }
}

interface SecretCtx {
  host: Host;
  masterKey: Uint8Array;
}

/** qemuDomainSecretAESSetup: AES-256-CBC with the master key and a fresh IV, base64. */
function wrapSecret(sc: SecretCtx, alias: string, value: Uint8Array, username?: string): SourceSecret {
  const iv = sc.host.randomBytes(16);
  const c = createCipheriv('aes-256-cbc', sc.masterKey, iv);
  const ct = Buffer.concat([c.update(value), c.final()]);
  return { alias, ciphertext: ct.toString('base64'), iv: Buffer.from(iv).toString('base64'), username };
}

function lookup(sc: SecretCtx, ref: { uuid?: string; usage?: string; type?: string }): Uint8Array {
  const v = sc.host.lookupSecret(ref);
  if (!v) {
    if (ref.uuid) throw internalError(`no secret with matching uuid '${ref.uuid}'`, ErrorDomain.SECRET);
    throw internalError(`no secret with matching usage '${ref.usage ?? ''}'`, ErrorDomain.SECRET);
  }
  return v;
}

const AUTH_PROTOCOLS = new Set(['iscsi', 'rbd', 'http', 'https', 'ftp', 'ftps', 'tftp']);

function cookieString(src: StorageSource): string | undefined {
  const cookies = src.extra.find((e) => e.local === 'cookies');
  if (!cookies) return undefined;
  const parts: string[] = [];
  for (const c of cookies.children) {
    if (c.kind !== 'element' || c.local !== 'cookie') continue;
    const name = c.attrs.find((a) => a.name === 'name')?.value ?? '';
    const value = c.children.map((x) => (x.kind === 'text' ? x.text : '')).join('');
    parts.push(`${name}=${value}`);
  }
  return parts.length ? parts.join('; ') : undefined;
}

/** Secrets, TLS and PR data of one image (qemuDomainPrepareStorageSourceBlockdev + secret prepare). */
function prepareSource(def: DomainDef, src: StorageSource, sc: SecretCtx, cfg: QemuDriverConfig, libDir: string): void {
  const priv = (src.priv ??= {});
  const node = src.nodeStorage ?? '';
  if (src.type === 'network' && src.auth && src.protocol && AUTH_PROTOCOLS.has(src.protocol)) {
    const a = src.auth;
    const value = lookup(sc, { uuid: a.secretUuid, usage: a.secretUsage, type: a.secretType ?? (src.protocol === 'rbd' ? 'ceph' : 'iscsi') });
    priv.authSecret = wrapSecret(sc, `${node}-auth-secret0`, value, a.username);
  }
  if (src.encryption?.secrets.length) {
    priv.encSecrets = src.encryption.secrets.map((s, i) =>
      wrapSecret(sc, `${src.nodeFormat}-encryption-secret${i}`, lookup(sc, { uuid: s.uuid, usage: s.usage, type: 'volume' })),
    );
  }
  if (src.type === 'network' && (src.protocol === 'http' || src.protocol === 'https')) {
    const cookies = cookieString(src);
    if (cookies) priv.httpCookieSecret = wrapSecret(sc, `${node}-httpcookie-secret0`, new TextEncoder().encode(cookies));
  }
  if (src.type === 'network' && (src.protocol === 'nbd' || src.protocol === 'vxhs')) {
    const nbd = src.protocol === 'nbd';
    const tls = src.tls === undefined ? (nbd ? cfg.nbdTLS : cfg.vxhsTLS) : src.tls === 'yes';
    if (tls) {
      priv.tlsAlias = `obj${node}_tls0`;
      priv.tlsCertdir = nbd ? cfg.nbdTLSx509certdir : cfg.vxhsTLSx509certdir;
      const uuid = nbd ? cfg.nbdTLSx509secretUUID : cfg.vxhsTLSx509secretUUID;
      if (uuid) priv.tlsKeySecret = wrapSecret(sc, `${priv.tlsAlias}-secret0`, lookup(sc, { uuid, type: 'tls' }));
    }
  }
  const r = src.reservations;
  if (r && r.enabled !== 'no') {
    const managed = r.managed === 'yes' || (r.managed === undefined && !r.sourcePath);
    priv.pr = managed
      ? { alias: 'pr-helper0', path: `${libDir}/pr-helper0.sock`, managed: true }
      : { alias: `pr-helper-${node}`, path: r.sourcePath ?? '', managed: false };
  }
  void def;
}

/**
 * qemuProcessPrepareDomainStorage + qemuDomainSecretPrepare for disks: run on the live copy of the
 * definition before the command line is built.
 */
export function prepareDiskStorage(def: DomainDef, host: Host, cfg: QemuDriverConfig): void {
  const disks = def.devices.disks;
  for (const d of disks) {
    translateVolume(d, host);
    // qemuDomainPrepareDiskCachemode: a writable shared disk must not be cached on the host
    if ((!d.driver.cache || d.driver.cache === 'default') && d.src.shared && !d.src.readonly) d.driver.cache = 'none';
  }
  assignDiskNodeNames(def);
  const needSecrets = disks.some((d) => chainOf(d.src).some((s) => s.auth || s.encryption?.secrets.length || s.extra.some((e) => e.local === 'cookies')));
  const needTls = disks.some((d) => chainOf(d.src).some((s) => s.protocol === 'nbd' || s.protocol === 'vxhs'));
  const sc: SecretCtx = { host, masterKey: needSecrets || needTls ? (host.masterKey?.() ?? host.randomBytes(32)) : new Uint8Array(32) };
  const libDir = `${cfg.libDir}/domain-${shortName(def)}`;
  let fdset = 0;
  for (let i = disks.length - 1; i >= 0; i--) {
    const d = disks[i];
    for (const s of chainOf(d.src)) {
      // qemuDomainPrepareStorageSourceFDs: the fds of the group become one fdset
      if (s.fdgroup && (s.type === 'file' || s.type === 'block')) {
        const fds = host.fdGroups[s.fdgroup];
        if (!fds?.length) throw operationInvalid(`file descriptor group '${s.fdgroup}' was not associated with the domain`);
        s.priv = { ...s.priv, fdset: { set: fdset++, fds } };
      }
      if (s.type === 'block' && d.device === 'cdrom' && (s.format ?? 'raw') === 'raw' && s.path && host.isHostCdrom(s.path)) s.hostcdrom = true;
      if (s.type === 'volume' || s.type === 'vhostuser' || s.type === 'none') continue;
      prepareSource(def, s, sc, cfg, libDir);
    }
  }
}
