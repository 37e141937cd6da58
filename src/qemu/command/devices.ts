// Smaller device families: inputs, audio backends, graphics, video, memballoon, RNG.
import type { InputDef } from '../../conf/domain/devices/input.js';
import { addressProps } from './address.js';
import { type BuildCtx, type JsonProps, add, addDevice, escComma, json } from './util.js';
import { virtioDriver, virtioOptionProps } from './virtio.js';

export function buildInputs(ctx: BuildCtx): void {
  for (const i of ctx.def.devices.inputs) {
    const p = inputProps(ctx, i);
    if (p) addDevice(ctx, p);
  }
}

function inputProps(ctx: BuildCtx, i: InputDef): JsonProps | undefined {
  if (i.bus === 'usb') {
    const drv = i.type === 'mouse' ? 'usb-mouse' : i.type === 'tablet' ? 'usb-tablet' : 'usb-kbd';
    return { driver: drv, id: i.info.alias, ...addressProps(ctx, i.info) };
  }
  if (i.bus === 'virtio') {
    const base = i.type === 'mouse' ? 'virtio-mouse' : i.type === 'tablet' ? 'virtio-tablet' : i.type === 'keyboard' ? 'virtio-keyboard' : 'virtio-input-host';
    const p: JsonProps = { driver: virtioDriver(base, i.model, i.info.address), ...virtioOptionProps(i.driver), id: i.info.alias };
    if (i.type === 'passthrough') p.evdev = i.evdev;
    return { ...p, ...addressProps(ctx, i.info) };
  }
  if (i.type === 'evdev') {
    const p: JsonProps = { 'qom-type': 'input-linux', id: i.info.alias, evdev: i.sourceDev };
    if (i.grab === 'all') p['grab_all'] = true;
    if (i.grabToggle) p['grab-toggle'] = i.grabToggle;
    if (i.repeat) p.repeat = i.repeat === 'on';
    add(ctx, '-object', json(p));
  }
  return undefined;
}

export function buildAudio(ctx: BuildCtx): void {
  for (const a of ctx.def.devices.audios) {
    const id = a.attrs.find(([k]) => k === 'id')?.[1] ?? '1';
    const type = a.attrs.find(([k]) => k === 'type')?.[1] ?? 'none';
    const drv = type === 'pulseaudio' ? 'pa' : type === 'coreaudio' ? 'coreaudio' : type;
    add(ctx, '-audiodev', json({ id: `audio${id}`, driver: drv }));
  }
}

export function buildGraphics(ctx: BuildCtx): void {
  for (const g of ctx.def.devices.graphics) {
    if (g.type === 'vnc') {
      const l = g.listens[0];
      let opt: string;
      if (l?.type === 'socket') opt = `unix:${escComma(l.socket ?? `${ctx.libDir}/vnc.sock`)}`;
      else if (l?.type === 'none') opt = 'none';
      else {
        const addr = l?.address ?? ctx.cfg.vncListen;
        const host = addr.includes(':') ? `[${addr}]` : addr;
        const port = g.port !== undefined && g.port >= 5900 ? g.port - 5900 : 0;
        opt = `${host}:${port}`;
      }
      const parts = [opt];
      if (g.websocket !== undefined) parts.push(`websocket=${g.websocket}`);
      if (g.sharePolicy) parts.push(`share=${g.sharePolicy}`);
      if (g.powerControl === 'yes') parts.push('power-control=on');
      parts.push(`audiodev=audio${g.audioId ?? 1}`);
      add(ctx, '-vnc', parts.join(','));
      if (g.keymap) add(ctx, '-k', g.keymap);
    } else if (g.type === 'egl-headless') {
      const rn = g.gl?.rendernode;
      add(ctx, '-display', rn ? `egl-headless,rendernode=${escComma(rn)}` : 'egl-headless');
    } else if (g.type === 'sdl') {
      add(ctx, '-display', 'sdl');
    }
  }
}

const VIDEO_DRIVERS: Record<string, string> = {
  vga: 'VGA',
  cirrus: 'cirrus-vga',
  vmvga: 'vmware-svga',
  qxl: 'qxl-vga',
  bochs: 'bochs-display',
  ramfb: 'ramfb',
};

export function buildVideos(ctx: BuildCtx): void {
  ctx.def.devices.videos.forEach((v, i) => {
    if (v.model === 'none') return;
    const p: JsonProps = {};
    if (v.model === 'virtio') {
      const base = i === 0 && v.primary ? 'virtio-vga' : 'virtio-gpu';
      p.driver = v.accel?.accel3d === 'yes' ? `${virtioDriver(base, undefined, v.info.address)}`.replace(/^virtio-(vga|gpu)/, 'virtio-$1-gl') : virtioDriver(base, undefined, v.info.address);
      Object.assign(p, virtioOptionProps(v.driver?.virtio));
      p.id = v.info.alias;
      if (v.heads && v.heads > 1) p.max_outputs = v.heads;
      else p.max_outputs = v.heads ?? 1;
    } else {
      p.driver = v.model === 'qxl' && i > 0 ? 'qxl' : VIDEO_DRIVERS[v.model] ?? v.model;
      p.id = v.info.alias;
      if (v.model === 'qxl') {
        if (v.ram) p.ram_size = v.ram * 1024;
        if (v.vram) p.vram_size = v.vram * 1024;
        if (v.vram64) p.vram64_size_mb = v.vram64 / 1024;
        if (v.vgamem) p.vgamem_mb = v.vgamem / 1024;
        if (v.heads) p.max_outputs = v.heads;
      } else if (v.model === 'vga' || v.model === 'vmvga') {
        if (v.vram) p.vgamem_mb = v.vram / 1024;
      }
    }
    Object.assign(p, addressProps(ctx, v.info));
    addDevice(ctx, p);
  });
}

export function buildMemballoon(ctx: BuildCtx): void {
  const m = ctx.def.devices.memballoon;
  if (!m || m.model === 'none') return;
  const p: JsonProps = { driver: virtioDriver('virtio-balloon', m.model, m.info.address), ...virtioOptionProps(m.driver), id: m.info.alias, ...addressProps(ctx, m.info) };
  if (m.autodeflate) p['deflate-on-oom'] = m.autodeflate === 'on';
  if (m.freePageReporting) p['free-page-reporting'] = m.freePageReporting === 'on';
  addDevice(ctx, p);
}

export function buildRngs(ctx: BuildCtx): void {
  for (const r of ctx.def.devices.rngs) {
    const obj = `obj${r.info.alias}`;
    if (r.backend === 'random') add(ctx, '-object', json({ 'qom-type': 'rng-random', id: obj, filename: r.file ?? '/dev/random' }));
    else if (r.backend === 'builtin') add(ctx, '-object', json({ 'qom-type': 'rng-builtin', id: obj }));
    else if (r.backend === 'egd' && r.chr) {
      add(ctx, '-object', json({ 'qom-type': 'rng-egd', id: obj, chardev: `char${r.info.alias}` }));
    }
    const p: JsonProps = { driver: virtioDriver('virtio-rng', r.model, r.info.address), ...virtioOptionProps(r.driver), rng: obj, id: r.info.alias };
    if (r.rate) {
      p['max-bytes'] = r.rate.bytes;
      p.period = r.rate.period ?? 1000;
    }
    Object.assign(p, addressProps(ctx, r.info));
    addDevice(ctx, p);
  }
}

export function buildVmgenid(ctx: BuildCtx): void {
  if (!ctx.def.genid) return;
  add(ctx, '-device', json({ driver: 'vmgenid', guid: ctx.def.genid, id: 'vmgenid0' }));
}

export function buildWatchdogs(ctx: BuildCtx): void {
  for (const w of ctx.def.devices.watchdogs) {
    const model = w.attrs.find(([k]) => k === 'model')?.[1] ?? 'i6300esb';
    addDevice(ctx, { driver: model, id: w.info.alias, ...addressProps(ctx, w.info) });
    const action = w.attrs.find(([k]) => k === 'action')?.[1];
    if (action) add(ctx, '-watchdog-action', action === 'dump' ? 'pause' : action === 'inject-nmi' ? 'inject-nmi' : action);
  }
}
