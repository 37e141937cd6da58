// <video>: virDomainVideoDef.
import { attr, child, el, type OutElement, type XmlElement } from '../../../util/xml.js';
import {
  type DeviceInfo,
  enumAttr,
  type FormatCtx,
  formatDeviceInfo,
  type ParseCtx,
  parseDeviceInfo,
  parseVirtioOptions,
  uintAttr,
  type VirtioOptions,
  verbatim,
  virtioOptionAttrs,
  xmlErr,
} from '../common.js';

export const VIDEO_MODELS = ['default', 'vga', 'cirrus', 'vmvga', 'xen', 'vbox', 'qxl', 'parallels', 'virtio', 'gop', 'none', 'bochs', 'ramfb'] as const;

export interface VideoDef {
  model: (typeof VIDEO_MODELS)[number];
  ram?: number;
  vram?: number;
  vram64?: number;
  vgamem?: number;
  heads?: number;
  primary?: boolean;
  accel?: { accel3d?: string; accel2d?: string; rendernode?: string };
  modelExtra: XmlElement[];
  driver?: { name?: string; vgaconf?: string; virtio: VirtioOptions };
  info: DeviceInfo;
  /** vhost-user backend chardev fd/alias (set at prepare) */
  vhostuserFd?: number;
  resolution?: { x: number; y: number };
}

export function parseVideo(e: XmlElement, ctx: ParseCtx): VideoDef {
  const m = child(e, 'model');
  const model = enumAttr(m, 'type', VIDEO_MODELS) ?? 'default';
  const v: VideoDef = { model, modelExtra: [], info: parseDeviceInfo(e, ctx, false) };
  if (m) {
    v.ram = uintAttr(m, 'ram');
    v.vram = uintAttr(m, 'vram');
    v.vram64 = uintAttr(m, 'vram64');
    v.vgamem = uintAttr(m, 'vgamem');
    v.heads = uintAttr(m, 'heads');
    if (enumAttr(m, 'primary', ['yes', 'no'] as const) === 'yes') v.primary = true;
    const acc = child(m, 'acceleration');
    if (acc) {
      v.accel = { accel3d: enumAttr(acc, 'accel3d', ['yes', 'no'] as const), accel2d: enumAttr(acc, 'accel2d', ['yes', 'no'] as const), rendernode: attr(acc, 'rendernode') };
    }
    const res = child(m, 'resolution');
    if (res) v.resolution = { x: uintAttr(res, 'x') ?? 0, y: uintAttr(res, 'y') ?? 0 };
    for (const c of m.children) if (c.kind === 'element' && c.local !== 'acceleration' && c.local !== 'resolution') v.modelExtra.push(c);
  }
  const d = child(e, 'driver');
  if (d) {
    v.driver = {
      name: enumAttr(d, 'name', ['qemu', 'vhostuser'] as const),
      vgaconf: enumAttr(d, 'vgaconf', ['io', 'on', 'off'] as const),
      virtio: parseVirtioOptions(d),
    };
  }
  if (v.info.bootIndex) throw xmlErr('unsupported boot for video');
  return v;
}

export function formatVideo(v: VideoDef, ctx: FormatCtx): OutElement {
  const kids: Array<OutElement | undefined> = [];
  if (v.driver) {
    const a: Array<[string, string | undefined]> = [...(virtioOptionAttrs(v.driver.virtio) as Array<[string, string | undefined]>), ['name', v.driver.name], ['vgaconf', v.driver.vgaconf]];
    if (a.some(([, x]) => x !== undefined)) kids.push(el('driver', a));
  }
  kids.push(
    el(
      'model',
      [['type', v.model], ['ram', v.ram], ['vram', v.vram], ['vram64', v.vram64], ['vgamem', v.vgamem], ['heads', v.heads], ['primary', v.primary ? 'yes' : undefined]],
      v.accel ? el('acceleration', [['accel3d', v.accel.accel3d], ['accel2d', v.accel.accel2d], ['rendernode', v.accel.rendernode]]) : undefined,
      v.resolution ? el('resolution', [['x', v.resolution.x], ['y', v.resolution.y]]) : undefined,
      v.modelExtra.map(verbatim),
    ),
  );
  kids.push(...formatDeviceInfo(v.info, ctx));
  return el('video', [], kids.filter((k): k is OutElement => !!k));
}
