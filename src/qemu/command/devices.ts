// Smaller device families: inputs, memballoon, RNG, vmgenid, watchdog.
import type { InputDef } from '../../conf/domain/devices/input.js';
import { addressProps } from './address.js';
import { chardevArg } from './chardev.js';
import { type BuildCtx, type JsonProps, add, addDevice, json } from './util.js';
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
    // qemuBuildInputEvdevProps order: repeat, grab_all, grab-toggle
    if (i.repeat) p.repeat = i.repeat === 'on';
    if (i.grab === 'all') p['grab_all'] = true;
    if (i.grabToggle) p['grab-toggle'] = i.grabToggle;
    add(ctx, '-object', json(p));
  }
  return undefined;
}

export function buildMemballoon(ctx: BuildCtx): void {
  const m = ctx.def.devices.memballoon;
  if (!m || m.model === 'none') return;
  const p: JsonProps = { driver: virtioDriver('virtio-balloon', m.model, m.info.address), ...virtioOptionProps(m.driver), id: m.info.alias };
  if (m.autodeflate) p['deflate-on-oom'] = m.autodeflate === 'on';
  if (m.freePageReporting) p['free-page-reporting'] = m.freePageReporting === 'on';
  addDevice(ctx, { ...p, ...addressProps(ctx, m.info) });
}

export function buildRngs(ctx: BuildCtx): void {
  for (const r of ctx.def.devices.rngs) {
    const obj = `obj${r.info.alias}`;
    if (r.backend === 'random') add(ctx, '-object', json({ 'qom-type': 'rng-random', id: obj, filename: r.file ?? '/dev/random' }));
    else if (r.backend === 'builtin') add(ctx, '-object', json({ 'qom-type': 'rng-builtin', id: obj }));
    else if (r.backend === 'egd' && r.chr) {
      add(ctx, '-chardev', chardevArg(ctx, r.chr, `char${r.info.alias}`, r.info.alias ?? ''));
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
    // libvirt performs 'dump' itself after QEMU pauses; the action defaults to reset
    const action = w.attrs.find(([k]) => k === 'action')?.[1] ?? 'reset';
    add(ctx, '-watchdog-action', action === 'dump' ? 'pause' : action);
  }
}
