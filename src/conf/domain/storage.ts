// virStorageSource: where a disk's (or backing image's, or firmware's) bytes live — a local path,
// a network export, a pool volume, an NVMe namespace or a vhost-user socket — plus auth,
// encryption, slices and the backing chain.
import { type OutElement, type XmlElement, attr, child, children, el } from '../../util/xml.js';
import {
  type FormatCtx,
  type ParseCtx,
  type PciAddress,
  enumAttr,
  parseAddress,
  parseUInt,
  uintAttr,
  verbatim,
  xmlErr,
  textContent,
} from './common.js';

export const STORAGE_TYPES = ['file', 'block', 'dir', 'network', 'volume', 'nvme', 'vhostuser'] as const;
export type StorageType = (typeof STORAGE_TYPES)[number] | 'none';

export const NET_PROTOCOLS = ['nbd', 'rbd', 'sheepdog', 'gluster', 'iscsi', 'http', 'https', 'ftp', 'ftps', 'tftp', 'ssh', 'vxhs', 'nfs'] as const;

export interface StorageHost {
  name?: string;
  port?: string;
  transport?: 'tcp' | 'rdma' | 'unix';
  socket?: string;
}

export interface StorageAuth {
  username?: string;
  secretType?: string;
  secretUsage?: string;
  secretUuid?: string;
}

export interface EncryptionSecret {
  type: string;
  uuid?: string;
  usage?: string;
}

export interface StorageEncryption {
  format: string;
  engine?: string;
  secrets: EncryptionSecret[];
  /** Unmodelled children (cipher, ivgen) kept verbatim. */
  extra: XmlElement[];
}

export interface StorageSlice {
  type: string;
  offset: number;
  size: number;
}

export interface StorageReservations {
  enabled?: 'yes' | 'no';
  managed?: 'yes' | 'no';
  sourceType?: string;
  sourcePath?: string;
  sourceMode?: string;
}

export interface StorageSource {
  type: StorageType;
  /** file=, dev=, dir= or the vhost-user socket path. */
  path?: string;
  protocol?: string;
  name?: string;
  query?: string;
  tls?: 'yes' | 'no';
  tlsHostname?: string;
  hosts: StorageHost[];
  pool?: { pool?: string; volume?: string; mode?: string };
  nvme?: { type?: string; managed?: string; namespace?: number; address?: PciAddress };
  /** Image format (<driver type=>, <format type=>). */
  format?: string;
  index?: number;
  startupPolicy?: string;
  auth?: StorageAuth;
  encryption?: StorageEncryption;
  reservations?: StorageReservations;
  slices: StorageSlice[];
  /** <seclabel>, <cookies>, <ssl>, <readahead>, <timeout>, <initiator>, <config>, <snapshot>, <reconnect>, <identity>… verbatim. */
  extra: XmlElement[];
  /** undefined: unknown (not specified); null: explicitly none (<backingStore/>). */
  backingStore?: StorageSource | null;
  readonly?: boolean;
  shared?: boolean;
  /** Set by the QEMU prepare step. */
  nodeStorage?: string;
  nodeFormat?: string;
  /** Harness/host: local block device that is a cdrom → host_cdrom. */
  hostcdrom?: boolean;
  /** Name of the file-descriptor group (virDomainFDAssociate) the image is opened from. */
  fdgroup?: string;
  /** <metadata_cache><max_size> of this image (backing images; the top one is in <driver>). */
  metadataCacheMaxSize?: number;
  /** Runtime data of the hypervisor driver (secrets, TLS, PR manager), set at start; never formatted. */
  priv?: StorageSourcePriv;
}

/** An encrypted secret handed to the hypervisor (qemuDomainSecretInfo). */
export interface SourceSecret {
  alias: string;
  /** base64 ciphertext and IV of the AES-wrapped value. */
  ciphertext: string;
  iv: string;
  username?: string;
}

export interface StorageSourcePriv {
  authSecret?: SourceSecret;
  encSecrets?: SourceSecret[];
  httpCookieSecret?: SourceSecret;
  tlsKeySecret?: SourceSecret;
  tlsAlias?: string;
  tlsCertdir?: string;
  /** Persistent-reservation manager: alias, socket path, managed by the driver. */
  pr?: { alias: string; path: string; managed: boolean };
  /** Node name of the raw 'slice' layer when the format is not raw. */
  sliceNode?: string;
  /** The fdset (-add-fd set=N) holding the fds of the source's fdgroup. */
  fdset?: { set: number; fds: number[] };
}

/** virStorageSourceNetworkDefaultPort */
export function defaultNetworkPort(protocol: string | undefined): string | undefined {
  const ports: Record<string, string> = {
    http: '80', https: '443', ftp: '21', ftps: '990', tftp: '69', sheepdog: '7000', nbd: '10809', ssh: '22',
    iscsi: '3260', gluster: '24007', vxhs: '9999',
  };
  return protocol ? ports[protocol] : undefined;
}

function hexAttr(e: XmlElement, name: string): number {
  const v = attr(e, name) ?? '0';
  const n = /^0x/i.test(v) ? Number.parseInt(v.slice(2), 16) : Number.parseInt(v, 10);
  if (!Number.isFinite(n)) throw xmlErr(`Cannot parse <address> '${name}' attribute`);
  return n;
}

/** Every image of a disk's chain, top first. */
export function chainOf(src: StorageSource): StorageSource[] {
  const out: StorageSource[] = [];
  for (let s: StorageSource | null | undefined = src; s; s = s.backingStore) out.push(s);
  return out;
}

export function emptySource(type: StorageType = 'file'): StorageSource {
  return { type, hosts: [], slices: [], extra: [] };
}

export function parseAuth(e: XmlElement): StorageAuth {
  const s = child(e, 'secret');
  const auth: StorageAuth = { username: attr(e, 'username') };
  if (s) {
    auth.secretType = attr(s, 'type');
    auth.secretUsage = attr(s, 'usage');
    auth.secretUuid = attr(s, 'uuid');
    if (auth.secretUsage && auth.secretUuid) throw xmlErr('either secret UUID or usage expected');
  }
  if (!auth.username) throw xmlErr('missing username for auth');
  return auth;
}

export function formatAuth(a: StorageAuth): OutElement {
  return el(
    'auth',
    [['username', a.username]],
    el('secret', [['type', a.secretType], ['usage', a.secretUsage], ['uuid', a.secretUuid]]),
  );
}

export function parseEncryption(e: XmlElement): StorageEncryption {
  const format = attr(e, 'format');
  if (!format) throw xmlErr('encryption format missing');
  const known = ['default', 'qcow', 'luks', 'luks2', 'luks-any'];
  if (!known.includes(format)) throw xmlErr(`unknown volume encryption format type ${format}`);
  const enc: StorageEncryption = { format, engine: attr(e, 'engine'), secrets: [], extra: [] };
  for (const c of e.children) {
    if (c.kind !== 'element') continue;
    if (c.local === 'secret') {
      const type = attr(c, 'type');
      if (type !== 'passphrase') throw xmlErr(`unknown volume encryption secret type ${type ?? ''}`);
      enc.secrets.push({ type, uuid: attr(c, 'uuid'), usage: attr(c, 'usage') });
    } else enc.extra.push(c);
  }
  return enc;
}

export function formatEncryption(enc: StorageEncryption): OutElement {
  return el(
    'encryption',
    [['format', enc.format], ['engine', enc.engine]],
    enc.secrets.map((s) => el('secret', [['type', s.type], ['uuid', s.uuid], ['usage', s.usage]])),
    enc.extra.map(verbatim),
  );
}

/** Parses the <source> of a given storage type (element may be absent: empty source). */
export function parseSourceElement(src: StorageSource, s: XmlElement | undefined, _ctx: ParseCtx): void {
  if (!s) return;
  switch (src.type) {
    case 'file':
      src.path = attr(s, 'file');
      src.fdgroup = attr(s, 'fdgroup');
      break;
    case 'block':
      src.path = attr(s, 'dev');
      src.fdgroup = attr(s, 'fdgroup');
      break;
    case 'dir':
      src.path = attr(s, 'dir');
      break;
    case 'network': {
      const protocol = attr(s, 'protocol');
      if (!protocol) throw xmlErr('missing network source protocol type');
      if (!(NET_PROTOCOLS as readonly string[]).includes(protocol)) throw xmlErr(`unknown protocol type '${protocol}'`);
      src.protocol = protocol;
      src.name = attr(s, 'name');
      src.query = attr(s, 'query');
      const tls = attr(s, 'tls');
      if (tls !== undefined) {
        if (tls !== 'yes' && tls !== 'no') throw xmlErr(`unknown disk source 'tls' setting '${tls}'`);
        src.tls = tls;
      }
      src.tlsHostname = attr(s, 'tlsHostname');
      if (!src.name && protocol !== 'nbd') throw xmlErr(`missing name for disk source`);
      for (const h of children(s, 'host')) {
        const transport = enumAttr(h, 'transport', ['tcp', 'rdma', 'unix'] as const);
        const host: StorageHost = { name: attr(h, 'name'), port: attr(h, 'port'), transport, socket: attr(h, 'socket') };
        if (transport === 'unix' && !host.socket) throw xmlErr('missing socket for unix transport');
        if (transport !== 'unix' && host.socket) throw xmlErr(`transport '${transport ?? 'tcp'}' does not support socket attribute`);
        if (transport !== 'unix' && !host.name) throw xmlErr('missing name for host');
        // virStorageSourceNetworkAssignDefaultPorts
        if (!host.port && transport !== 'unix') host.port = defaultNetworkPort(protocol);
        src.hosts.push(host);
      }
      break;
    }
    case 'volume':
      src.pool = { pool: attr(s, 'pool'), volume: attr(s, 'volume'), mode: attr(s, 'mode') };
      break;
    case 'nvme': {
      const a = child(s, 'address');
      src.nvme = {
        type: attr(s, 'type'),
        managed: attr(s, 'managed'),
        namespace: parseUInt(attr(s, 'namespace')),
        address: a
          ? attr(a, 'type')
            ? (parseAddress(a) as PciAddress)
            : { type: 'pci', domain: hexAttr(a, 'domain'), bus: hexAttr(a, 'bus'), slot: hexAttr(a, 'slot'), function: hexAttr(a, 'function') }
          : undefined,
      };
      break;
    }
    case 'vhostuser':
      src.path = attr(s, 'path');
      src.extra.push(...s.children.filter((c): c is XmlElement => c.kind === 'element'));
      return;
  }
  src.startupPolicy = attr(s, 'startupPolicy');
  const idx = attr(s, 'index');
  if (idx !== undefined && _ctx.live) src.index = parseUInt(idx);
  for (const c of s.children) {
    if (c.kind !== 'element' || c.uri !== '') continue;
    switch (c.local) {
      case 'host':
      case 'address':
        break;
      case 'auth':
        src.auth = parseAuth(c);
        break;
      case 'encryption':
        src.encryption = parseEncryption(c);
        break;
      case 'reservations': {
        const so = child(c, 'source');
        src.reservations = {
          enabled: enumAttr(c, 'enabled', ['yes', 'no'] as const),
          managed: enumAttr(c, 'managed', ['yes', 'no'] as const),
          sourceType: attr(so, 'type'),
          sourcePath: attr(so, 'path'),
          sourceMode: attr(so, 'mode'),
        };
        break;
      }
      case 'slices':
        for (const sl of children(c, 'slice')) {
          const offset = uintAttr(sl, 'offset');
          const size = uintAttr(sl, 'size');
          if (offset === undefined) throw xmlErr("missing offset in slice");
          if (size === undefined) throw xmlErr("missing size in slice");
          src.slices.push({ type: attr(sl, 'type') ?? 'storage', offset, size });
        }
        break;
      default:
        src.extra.push(c);
    }
  }
}

export function sourceAttrs(src: StorageSource): Array<[string, string | number | undefined]> {
  switch (src.type) {
    case 'file':
      return [['file', src.path], ['fdgroup', src.fdgroup]];
    case 'block':
      return [['dev', src.path], ['fdgroup', src.fdgroup]];
    case 'dir':
      return [['dir', src.path]];
    case 'network':
      return [['protocol', src.protocol], ['name', src.name], ['query', src.query], ['tls', src.tls], ['tlsHostname', src.tlsHostname]];
    case 'volume':
      return [['pool', src.pool?.pool], ['volume', src.pool?.volume], ['mode', src.pool?.mode]];
    case 'nvme':
      return [['type', src.nvme?.type], ['managed', src.nvme?.managed], ['namespace', src.nvme?.namespace]];
    case 'vhostuser':
      return [['type', 'unix'], ['path', src.path]];
    default:
      return [];
  }
}

/** Formats <source>; returns undefined when there is nothing to say (empty cdrom). */
export function formatSource(src: StorageSource, ctx: FormatCtx, opts: { skipAuthEnc?: boolean; name?: string } = {}): OutElement | undefined {
  const attrs: Array<[string, string | number | undefined]> = [...sourceAttrs(src)];
  if (src.startupPolicy) attrs.push(['startupPolicy', src.startupPolicy]);
  if (!ctx.inactive && src.index !== undefined) attrs.push(['index', src.index]);
  const kids: OutElement[] = [];
  if (src.type === 'network') {
    for (const h of src.hosts) {
      kids.push(el('host', [['name', h.name], ['port', h.port], ['transport', h.transport === 'tcp' ? undefined : h.transport], ['socket', h.socket]]));
    }
  }
  if (src.type === 'nvme' && src.nvme?.address) {
    const a = src.nvme.address;
    const hex = (n: number, w: number) => `0x${n.toString(16).padStart(w, '0')}`;
    kids.push(el('address', [['domain', hex(a.domain, 4)], ['bus', hex(a.bus, 2)], ['slot', hex(a.slot, 2)], ['function', hex(a.function, 1)]]));
  }
  const extraFirst = src.extra.filter((e) => ['snapshot', 'config'].includes(e.local));
  kids.push(...extraFirst.map(verbatim));
  const rest = src.extra.filter((e) => !['snapshot', 'config', 'seclabel'].includes(e.local));
  kids.push(...rest.map(verbatim));
  if (src.slices.length) {
    kids.push(el('slices', [], src.slices.map((s) => el('slice', [['type', s.type], ['offset', s.offset], ['size', s.size]]))));
  }
  const seclabels = src.extra.filter((e) => e.local === 'seclabel');
  kids.push(...seclabels.map(verbatim));
  if (!opts.skipAuthEnc && src.auth) kids.push(formatAuth(src.auth));
  if (!opts.skipAuthEnc && src.encryption) kids.push(formatEncryption(src.encryption));
  if (src.reservations) {
    const r = src.reservations;
    kids.push(
      el(
        'reservations',
        [['enabled', r.enabled], ['managed', r.managed]],
        r.sourceType ? el('source', [['type', r.sourceType], ['path', r.sourcePath], ['mode', r.sourceMode]]) : undefined,
      ),
    );
  }
  const hasAttrs = attrs.some(([, v]) => v !== undefined);
  if (!hasAttrs && kids.length === 0) return undefined;
  return el(opts.name ?? 'source', attrs, kids);
}

/** Parses a <backingStore> chain element. */
export function parseBackingStore(e: XmlElement | undefined, ctx: ParseCtx): StorageSource | null | undefined {
  if (!e) return undefined;
  const type = attr(e, 'type');
  if (!type) return null;
  if (!(STORAGE_TYPES as readonly string[]).includes(type)) throw xmlErr(`unknown disk backing store type '${type}'`);
  const src = emptySource(type as StorageType);
  const fmt = child(e, 'format');
  if (!fmt) throw xmlErr('missing disk backing store format');
  src.format = attr(fmt, 'type');
  if (!src.format) throw xmlErr('missing disk backing store format');
  const mc = child(child(fmt, 'metadata_cache'), 'max_size');
  if (mc) src.metadataCacheMaxSize = scaledBytes(mc);
  // backing images are never written by the guest
  src.readonly = true;
  const s = child(e, 'source');
  if (!s) throw xmlErr('missing disk backing store source');
  parseSourceElement(src, s, ctx);
  const idx = attr(e, 'index');
  if (idx !== undefined && ctx.live) src.index = parseUInt(idx);
  src.backingStore = parseBackingStore(child(e, 'backingStore'), ctx);
  return src;
}

export function formatBackingStore(b: StorageSource | null | undefined, ctx: FormatCtx): OutElement | undefined {
  if (b === undefined) return undefined;
  if (b === null) return el('backingStore');
  return el(
    'backingStore',
    [['type', b.type], ['index', b.index]],
    el(
      'format',
      [['type', b.format]],
      b.metadataCacheMaxSize !== undefined ? el('metadata_cache', [], el('max_size', [['unit', 'bytes']], String(b.metadataCacheMaxSize))) : undefined,
    ),
    formatSource({ ...b, index: undefined }, ctx),
    formatBackingStore(b.backingStore, ctx),
  );
}

/** <max_size unit=…>N</max_size> in bytes. */
export function scaledBytes(e: XmlElement): number {
  const unit = (attr(e, 'unit') ?? 'bytes').toLowerCase();
  const scale: Record<string, number> = {
    b: 1, bytes: 1, k: 1024, kib: 1024, kb: 1000, m: 1024 ** 2, mib: 1024 ** 2, mb: 1e6, g: 1024 ** 3, gib: 1024 ** 3, gb: 1e9,
  };
  return Number(textContent(e)?.trim()) * (scale[unit] ?? 1);
}

export function isNetworkSource(src: StorageSource): boolean {
  return src.type === 'network';
}

export function isEmptySource(src: StorageSource): boolean {
  switch (src.type) {
    case 'network':
      return !src.protocol;
    case 'volume':
      return !src.pool?.pool;
    case 'nvme':
      return !src.nvme;
    case 'none':
      return true;
    default:
      return !src.path;
  }
}

export { textContent };
