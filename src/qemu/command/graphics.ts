// Graphics front-ends (qemuBuildGraphicsCommandLine): -vnc, -spice, -display sdl|egl-headless|dbus.
import type { GraphicsDef } from '../../conf/domain/devices/graphics.js';
import { SPICE_CHANNEL_NAMES } from '../../conf/domain/devices/graphics.js';
import { configUnsupported, ErrorDomain, internalError } from '../../util/errors.js';
import { audioIdString } from './audio.js';
import { add, addEnv, type BuildCtx, escComma, json } from './util.js';

const unsupported = (m: string) => configUnsupported(m, ErrorDomain.QEMU);

export function buildGraphics(ctx: BuildCtx): void {
  for (const g of ctx.def.devices.graphics) {
    switch (g.type) {
      case 'vnc':
        buildVnc(ctx, g);
        break;
      case 'spice':
        buildSpice(ctx, g);
        break;
      case 'sdl':
        buildSdl(ctx, g);
        break;
      case 'egl-headless':
        add(ctx, '-display', g.rendernode ? `egl-headless,rendernode=${escComma(g.rendernode)}` : 'egl-headless');
        break;
      case 'dbus':
        buildDbus(ctx, g);
        break;
      default:
        break;
    }
  }
}

function missingListen(): Error {
  return internalError('missing listen element', ErrorDomain.QEMU);
}

function buildVnc(ctx: BuildCtx, g: GraphicsDef): void {
  const l = g.listens[0];
  if (!l) throw missingListen();
  let opt = '';
  switch (l.type) {
    case 'socket':
      opt = `vnc=unix:${escComma(l.socket ?? '')}`;
      break;
    case 'address':
    case 'network':
      if (!g.autoport && (g.port < 5900 || g.port > 65535)) throw unsupported('vnc port must be in range [5900,65535]');
      if (l.address) opt += l.address.includes(':') ? `[${l.address}]` : l.address;
      opt += `:${g.port - 5900}`;
      if (g.websocket) opt += `,websocket=${g.websocket}`;
      break;
    case 'none':
      opt = 'none';
      break;
  }
  if (g.sharePolicy) opt += `,share=${g.sharePolicy}`;
  if (g.auth.passwd !== undefined || ctx.cfg.vncPassword) opt += ',password=on';
  if (ctx.cfg.vncTLS) {
    const p = g.priv ?? {};
    const tlsAlias = p.tlsAlias ?? 'vnc-tls-creds0';
    if (p.secret) {
      add(ctx, '-object', json({ 'qom-type': 'secret', id: p.secret.alias, data: p.secret.ciphertext, keyid: 'masterKey0', iv: p.secret.iv, format: 'base64' }));
    }
    add(ctx, '-object', json({
      'qom-type': 'tls-creds-x509',
      id: tlsAlias,
      dir: ctx.cfg.vncTLSx509certdir,
      endpoint: 'server',
      'verify-peer': ctx.cfg.vncTLSx509verify,
      passwordid: p.secret?.alias,
    }));
    opt += `,tls-creds=${tlsAlias}`;
  }
  if (ctx.cfg.vncSASL) {
    opt += ',sasl=on';
    if (ctx.cfg.vncSASLdir) addEnv(ctx, 'SASL_CONF_PATH', ctx.cfg.vncSASLdir);
  }
  if (g.powerControl) opt += `,power-control=${g.powerControl === 'yes' ? 'on' : 'off'}`;
  const audio = audioIdString(ctx.def, g.audioId);
  if (audio) opt += `,audiodev=${audio}`;
  add(ctx, '-vnc', opt);
  if (g.keymap) add(ctx, '-k', g.keymap);
}

function buildSpice(ctx: BuildCtx, g: GraphicsDef): void {
  const l = g.listens[0];
  if (!l) throw missingListen();
  const opt: string[] = [];
  let hasSecure = false;
  let hasInsecure = false;
  switch (l.type) {
    case 'socket':
      opt.push(`unix,addr=${escComma(l.socket ?? '')}`);
      hasInsecure = true;
      break;
    case 'address':
    case 'network':
      if (g.port > 0) {
        opt.push(`port=${g.port}`);
        hasInsecure = true;
      }
      if (g.tlsPort > 0) {
        if (!ctx.cfg.spiceTLS) throw unsupported('spice TLS port set in XML configuration, but TLS is disabled in qemu.conf');
        opt.push(`tls-port=${g.tlsPort}`);
        hasSecure = true;
      }
      if ((g.port > 0 || g.tlsPort > 0) && l.address) opt.push(`addr=${escComma(l.address)}`);
      break;
    case 'none':
      opt.push('port=0');
      hasInsecure = true;
      break;
  }
  if (ctx.cfg.spiceSASL) {
    opt.push('sasl=on');
    if (ctx.cfg.spiceSASLdir) addEnv(ctx, 'SASL_CONF_PATH', ctx.cfg.spiceSASLdir);
  }
  if (g.spice.mousemode === 'server') opt.push('agent-mouse=off');
  else if (g.spice.mousemode === 'client') opt.push('agent-mouse=on');
  if (g.auth.passwd === undefined && !ctx.cfg.spicePassword) opt.push('disable-ticketing=on');
  if (hasSecure) opt.push(`x509-dir=${escComma(ctx.cfg.spiceTLSx509certdir)}`);
  if (g.defaultMode === 'secure') {
    if (!hasSecure) throw unsupported('spice defaultMode secure requested in XML configuration, but TLS connection is not available');
    opt.push('tls-channel=default');
  } else if (g.defaultMode === 'insecure') {
    if (!hasInsecure) throw unsupported('spice defaultMode insecure requested in XML configuration, but plaintext connection is not available');
    opt.push('plaintext-channel=default');
  }
  for (const name of SPICE_CHANNEL_NAMES) {
    const mode = g.spice.channels[name];
    if (mode === 'secure') {
      if (!hasSecure) throw unsupported('spice secure channels set in XML configuration, but TLS port is not provided');
      opt.push(`tls-channel=${name}`);
    } else if (mode === 'insecure') {
      if (!hasInsecure) throw unsupported('spice insecure channels set in XML configuration, but plain port is not provided');
      opt.push(`plaintext-channel=${name}`);
    }
  }
  const s = g.spice;
  if (s.image) opt.push(`image-compression=${s.image}`);
  if (s.jpeg) opt.push(`jpeg-wan-compression=${s.jpeg}`);
  if (s.zlib) opt.push(`zlib-glz-wan-compression=${s.zlib}`);
  if (s.playback) opt.push(`playback-compression=${s.playback}`);
  if (s.streaming) opt.push(`streaming-video=${s.streaming}`);
  if (s.copypaste === 'no') opt.push('disable-copy-paste=on');
  if (s.filetransfer === 'no') opt.push('disable-agent-file-xfer=on');
  if (g.gl === 'yes') {
    opt.push('gl=on');
    if (g.rendernode) opt.push(`rendernode=${escComma(g.rendernode)}`);
  }
  opt.push('seamless-migration=on');
  add(ctx, '-spice', opt.join(','));
  if (g.keymap) add(ctx, '-k', g.keymap);
}

function buildSdl(ctx: BuildCtx, g: GraphicsDef): void {
  if (g.xauth) addEnv(ctx, 'XAUTHORITY', g.xauth);
  if (g.display) addEnv(ctx, 'DISPLAY', g.display);
  if (g.fullscreen) add(ctx, '-full-screen');
  let opt = 'sdl';
  if (g.gl) opt += `,gl=${g.gl === 'yes' ? 'on' : 'off'}`;
  add(ctx, '-display', opt);
}

function buildDbus(ctx: BuildCtx, g: GraphicsDef): void {
  let opt = 'dbus';
  if (g.p2p) opt += ',p2p=on';
  else opt += `,addr=${escComma(g.address ?? '')}`;
  if (g.gl) opt += `,gl=${g.gl === 'yes' ? 'on' : 'off'}`;
  if (g.rendernode) opt += `,rendernode=${escComma(g.rendernode)}`;
  if (g.audioId) {
    const audio = audioIdString(ctx.def, g.audioId);
    if (!audio) throw internalError(`unable to find audio backend for graphics device`, ErrorDomain.QEMU);
    opt += `,audiodev=${audio}`;
  }
  add(ctx, '-display', opt);
}
