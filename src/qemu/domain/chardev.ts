// Start-time preparation of character device sources (qemuDomainPrepareChardevSource and
// qemuDomainSecretChardevPrepare): TLS credentials secrets for TCP chardevs when qemu.conf
// enables chardev TLS with a secret.
import { createCipheriv } from 'node:crypto';
import type { ChrSource } from '../../conf/domain/devices/chardev.js';
import type { DomainDef } from '../../conf/domain/types.js';
import { ErrorCode, ErrorDomain, virError } from '../../util/errors.js';
import type { Host } from '../command/host.js';
import { shortName } from '../command/util.js';
import type { QemuDriverConfig } from '../config.js';

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

/**
 * qemuDomainAssignVirtioSerialAddresses: complete addresses (port != 0) are reserved first; a virtio
 * channel with a controller but no port takes that controller's first free port, one without an
 * address the first free port of the first controller (by index). Ports start at 1; a controller has
 * its ports='N' or 31 ports.
 */
export function assignVirtioSerialPorts(def: DomainDef): void {
  const ctrls = def.devices.controllers.filter((c) => c.type === 'virtio-serial').sort((a, b) => a.index - b.index);
  const used = new Map<string, Set<number>>();
  const key = (c: number, b: number) => `${c}:${b}`;
  const usedOf = (c: number, b: number): Set<number> => {
    let s = used.get(key(c, b));
    if (!s) used.set(key(c, b), (s = new Set()));
    return s;
  };
  const chrs = [...def.devices.channels, ...def.devices.consoles].filter((c) => c.targetType === 'virtio');
  for (const c of chrs) {
    const a = c.info.address;
    if (a?.type === 'virtio-serial' && a.port !== 0) usedOf(a.controller, a.bus).add(a.port);
  }
  const maxPorts = (idx: number) => ctrls.find((c) => c.index === idx)?.ports ?? 31;
  const freePort = (ctrl: number, bus: number): number | undefined => {
    const s = usedOf(ctrl, bus);
    for (let p = 1; p < maxPorts(ctrl); p++) if (!s.has(p)) return p;
    return undefined;
  };
  for (const c of def.devices.channels) {
    if (c.targetType !== 'virtio') continue;
    const a = c.info.address;
    if (a?.type === 'virtio-serial' && a.port !== 0) continue;
    if (a && a.type !== 'virtio-serial') continue;
    let addr: { controller: number; bus: number; port: number } | undefined;
    if (a?.type === 'virtio-serial') {
      const p = freePort(a.controller, a.bus);
      if (p !== undefined) addr = { controller: a.controller, bus: a.bus, port: p };
    } else {
      for (const ctrl of ctrls) {
        const p = freePort(ctrl.index, 0);
        if (p !== undefined) {
          addr = { controller: ctrl.index, bus: 0, port: p };
          break;
        }
      }
    }
    if (!addr) throw virError(ErrorCode.INTERNAL_ERROR, ErrorDomain.DOMAIN, 'Unable to find a free virtio-serial port');
    usedOf(addr.controller, addr.bus).add(addr.port);
    c.info.address = { type: 'virtio-serial', ...addr };
  }
}
