// Character devices: the -chardev backend (qemuBuildChrChardevStr) and the serial / parallel /
// channel / console frontends.
import type { ChrDef, ChrSource } from '../../conf/domain/devices/chardev.js';
import { configUnsupported, ErrorDomain } from '../../util/errors.js';
import { addressProps } from './address.js';
import { chardevHasTls } from '../domain/chardev.js';
import { type BuildCtx, type JsonProps, add, addDevice, addFdSet, escComma, json } from './util.js';

/** -chardev value for a source; `id` is the chardev id (char<alias>). */
export function chardevArg(ctx: BuildCtx, src: ChrSource, id: string, alias: string): string {
  const parts: string[] = [];
  const logParts = (): void => {
    if (src.logFile) {
      const fd = ctx.host.chardevFileFd(src.logFile, true, 'log');
      const p = fd !== undefined ? addFdSet(ctx, fd, `${alias}-log`) : src.logFile;
      parts.push(`logfile=${escComma(p)}`);
      parts.push(`logappend=${fd !== undefined ? 'on' : src.logAppend ?? 'off'}`);
    }
  };
  switch (src.type) {
    case 'null':
    case 'vc':
    case 'pty':
    case 'stdio':
      parts.push(src.type, `id=${id}`);
      logParts();
      break;
    case 'dev':
      parts.push(/^\/dev\/(parport|lp)/.test(src.path ?? '') ? 'parallel' : 'serial', `id=${id}`, `path=${escComma(src.path ?? '')}`);
      logParts();
      break;
    case 'file': {
      const fd = ctx.host.chardevFileFd(src.path ?? '', src.append === 'on', 'source');
      const path = fd !== undefined ? addFdSet(ctx, fd, `${alias}-source`) : src.path ?? '';
      parts.push('file', `id=${id}`, `path=${escComma(path)}`);
      if (fd !== undefined) parts.push('append=on');
      else if (src.append) parts.push(`append=${src.append}`);
      logParts();
      break;
    }
    case 'pipe':
      parts.push('pipe', `id=${id}`, `path=${escComma(src.path ?? '')}`);
      logParts();
      break;
    case 'udp':
      parts.push('udp', `id=${id}`, `host=${src.host ?? ''}`, `port=${src.service ?? ''}`, `localaddr=${src.bindHost ?? ''}`, `localport=${src.bindService ?? '0'}`);
      logParts();
      break;
    case 'tcp': {
      parts.push('socket', `id=${id}`, `host=${src.host ?? ''}`, `port=${src.service ?? ''}`);
      if (src.protocol === 'telnet') parts.push('telnet=on');
      if (src.listen) parts.push('server=on', 'wait=off');
      if (src.reconnect?.enabled === 'yes') parts.push(`reconnect=${src.reconnect.timeout ?? 0}`);
      if (chardevHasTls(src, ctx.cfg)) parts.push(`tls-creds=${chardevTlsObjects(ctx, src, id)}`);
      logParts();
      break;
    }
    case 'unix': {
      parts.push('socket', `id=${id}`);
      const fd = src.listen ? ctx.host.chardevListenFd(src.path ?? '') : undefined;
      if (fd !== undefined) {
        ctx.fds.push(fd);
        parts.push(`fd=${fd}`);
      } else parts.push(`path=${escComma(src.path ?? '')}`);
      if (src.listen) parts.push('server=on', 'wait=off');
      if (src.reconnect?.enabled === 'yes') parts.push(`reconnect=${src.reconnect.timeout ?? 0}`);
      logParts();
      break;
    }
    case 'spicevmc':
      parts.push('spicevmc', `id=${id}`, `name=${src.channel ?? 'vdagent'}`);
      break;
    case 'spiceport':
      parts.push('spiceport', `id=${id}`, `name=${src.channel ?? ''}`);
      break;
    case 'dbus': {
      // a D-Bus display channel: <source channel='org.qemu.…'/>
      const name = src.extra.map((x) => x.attrs.find((a) => a.name === 'channel')?.value).find((v) => v !== undefined) ?? '';
      parts.push('dbus', `id=${id}`, `name=${escComma(name)}`);
      break;
    }
    case 'qemu-vdagent': {
      // QEMU's built-in vdagent: <source><clipboard copypaste=…/><mouse mode=…/></source>
      parts.push('qemu-vdagent', `id=${id}`, 'name=vdagent');
      const sub = (n: string, a: string) =>
        src.extra.flatMap((s) => s.children).map((c) => (c.kind === 'element' && c.local === n ? c.attrs.find((x) => x.name === a)?.value : undefined)).find((v) => v !== undefined);
      const cp = sub('clipboard', 'copypaste');
      if (cp) parts.push(`clipboard=${cp === 'yes' ? 'on' : 'off'}`);
      const mouse = sub('mouse', 'mode');
      if (mouse === 'client') parts.push('mouse=on');
      else if (mouse === 'server') parts.push('mouse=off');
      break;
    }
    default:
      throw configUnsupported(`Unsupported char device type '${src.type}'`, ErrorDomain.QEMU);
  }
  return parts.join(',');
}

/** The secret and tls-creds-x509 objects of a TLS chardev (client endpoints always verify the peer). */
function chardevTlsObjects(ctx: BuildCtx, src: ChrSource, charId: string): string {
  const alias = `obj${charId}_tls0`;
  const sec = src.tlsSecret;
  if (sec) add(ctx, '-object', json({ 'qom-type': 'secret', id: sec.alias, data: sec.ciphertext, keyid: 'masterKey0', iv: sec.iv, format: 'base64' }));
  add(ctx, '-object', json({
    'qom-type': 'tls-creds-x509',
    id: alias,
    dir: ctx.cfg.chardevTLSx509certdir,
    endpoint: src.listen ? 'server' : 'client',
    'verify-peer': src.listen ? ctx.cfg.chardevTLSx509verify : true,
    passwordid: sec?.alias,
  }));
  return alias;
}

function addChardev(ctx: BuildCtx, c: ChrDef): string {
  const alias = c.info.alias ?? '';
  const id = `char${alias}`;
  add(ctx, '-chardev', chardevArg(ctx, c.source, id, alias));
  return id;
}

function serialProps(ctx: BuildCtx, s: ChrDef, chardev: string): JsonProps | undefined {
  const model = s.targetModel ?? 'isa-serial';
  switch (model) {
    case 'isa-serial':
      return { driver: 'isa-serial', chardev, id: s.info.alias, index: s.targetPort ?? 0, ...addressProps(ctx, s.info) };
    case 'usb-serial':
      return { driver: 'usb-serial', chardev, id: s.info.alias, ...addressProps(ctx, s.info) };
    case 'pci-serial':
      return { driver: 'pci-serial', chardev, id: s.info.alias, ...addressProps(ctx, s.info) };
    case 'isa-debugcon':
      return { driver: 'isa-debugcon', chardev, id: s.info.alias, ...addressProps(ctx, s.info) };
    default:
      return { driver: model, chardev, id: s.info.alias };
  }
}

export function buildSerials(ctx: BuildCtx): void {
  for (const s of ctx.def.devices.serials) {
    const id = addChardev(ctx, s);
    const p = serialProps(ctx, s, id);
    if (p) addDevice(ctx, p);
  }
}

export function buildParallels(ctx: BuildCtx): void {
  for (const p of ctx.def.devices.parallels) {
    const id = addChardev(ctx, p);
    addDevice(ctx, { driver: 'isa-parallel', chardev: id, id: p.info.alias, ...addressProps(ctx, p.info) });
  }
}

export function buildChannels(ctx: BuildCtx): void {
  for (const c of ctx.def.devices.channels) {
    if (c.targetType === 'guestfwd') {
      const id = addChardev(ctx, c);
      add(ctx, '-netdev', JSON.stringify({ type: 'user', guestfwd: [{ str: `tcp:${c.targetAddress}:${c.targetAddrPort}-chardev:${id}` }], id: c.info.alias }));
      continue;
    }
    if (c.targetType !== 'virtio') continue;
    const id = addChardev(ctx, c);
    const p: JsonProps = { driver: c.source.type === 'spicevmc' ? 'virtserialport' : 'virtserialport', ...addressProps(ctx, c.info), chardev: id, id: c.info.alias };
    if (c.targetName) p.name = c.targetName;
    addDevice(ctx, p);
  }
}

export function buildConsoles(ctx: BuildCtx): void {
  ctx.def.devices.consoles.forEach((c, i) => {
    if (i === 0 && c.targetType === 'serial') return; // printed as serial0
    if (c.targetType === 'virtio') {
      const id = addChardev(ctx, c);
      addDevice(ctx, { driver: 'virtconsole', ...addressProps(ctx, c.info), chardev: id, id: c.info.alias });
    }
  });
}
