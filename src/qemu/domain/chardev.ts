// Start-time preparation of character device sources (qemuDomainPrepareChardevSource and
// qemuDomainSecretChardevPrepare): TLS credentials secrets for TCP chardevs when qemu.conf
// enables chardev TLS with a secret.
import { createCipheriv } from 'node:crypto';
import type { ChrSource } from '../../conf/domain/devices/chardev.js';
import type { DomainDef } from '../../conf/domain/types.js';
import { ErrorCode, ErrorDomain, virError } from '../../util/errors.js';
import type { Host } from '../command/host.js';
import type { QemuDriverConfig } from '../config.js';
import { shortName } from '../command/util.js';

/** Whether a chardev source uses TLS: its own tls='yes|no', else qemu.conf chardev_tls. */
export function chardevHasTls(src: ChrSource, cfg: QemuDriverConfig): boolean {
  if (src.type !== 'tcp') return false;
  if (src.tls !== undefined) return src.tls === 'yes';
  return cfg.chardevTLS;
}

/** Every typed chardev source of the domain with the alias of its device. */
export function chardevSources(def: DomainDef): Array<{ src: ChrSource; alias: string }> {
  const d = def.devices;
  const out: Array<{ src: ChrSource; alias: string }> = [];
  for (const c of [...d.serials, ...d.parallels, ...d.channels, ...d.consoles]) out.push({ src: c.source, alias: c.info.alias ?? '' });
  for (const r of d.rngs) if (r.chr) out.push({ src: r.chr, alias: r.info.alias ?? '' });
  return out;
}

export function prepareChardevs(def: DomainDef, host: Host, cfg: QemuDriverConfig): void {
  // qemuDomainPrepareChannel: virtio channels on UNIX sockets without a path live in the per-VM channel dir
  const chanDir = `${cfg.channelTargetDir}/domain-${shortName(def)}`;
  for (const c of def.devices.channels) {
    if (c.targetType !== 'virtio' || c.source.type !== 'unix' || c.source.path) continue;
    const a = c.info.address;
    const vs = a?.type === 'virtio-serial' ? a : { controller: 0, bus: 0, port: 0 };
    const two = (n: number) => String(n).padStart(2, '0');
    c.source.path = c.targetName ? `${chanDir}/${c.targetName}` : `${chanDir}/vioser-${two(vs.controller)}-${two(vs.bus)}-${two(vs.port)}.sock`;
    c.source.autoPath = true;
  }
  const uuid = cfg.chardevTLSx509secretUUID;
  if (!uuid) return;
  let key: Uint8Array | undefined;
  for (const { src, alias } of chardevSources(def)) {
    if (!chardevHasTls(src, cfg)) continue;
    const value = host.lookupSecret({ uuid, type: 'tls' });
    if (!value) throw virError(ErrorCode.NO_SECRET, ErrorDomain.SECRET, `no secret with matching uuid '${uuid}'`);
    key ??= host.masterKey?.() ?? host.randomBytes(32);
    const iv = host.randomBytes(16);
    const c = createCipheriv('aes-256-cbc', key, iv);
    const ct = Buffer.concat([c.update(value), c.final()]);
    src.tlsSecret = { alias: `char${alias}-secret0`, ciphertext: ct.toString('base64'), iv: Buffer.from(iv).toString('base64') };
  }
}
