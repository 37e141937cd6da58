// <input>: virDomainInputDef — mouse, tablet, keyboard, passthrough, evdev.
import { type OutElement, type XmlElement, attr, child, el } from '../../../util/xml.js';
import {
  type DeviceInfo,
  type FormatCtx,
  type ParseCtx,
  type VirtioOptions,
  enumAttr,
  formatDeviceInfo,
  parseDeviceInfo,
  parseVirtioOptions,
  virtioOptionAttrs,
  xmlErr,
} from '../common.js';

export const INPUT_TYPES = ['mouse', 'tablet', 'keyboard', 'passthrough', 'evdev'] as const;
export const INPUT_BUSES = ['ps2', 'usb', 'xen', 'parallels', 'virtio', 'none'] as const;

export interface InputDef {
  type: (typeof INPUT_TYPES)[number];
  bus?: (typeof INPUT_BUSES)[number];
  model?: string;
  evdev?: string;
  sourceDev?: string;
  grab?: string;
  grabToggle?: string;
  repeat?: string;
  driver?: VirtioOptions;
  info: DeviceInfo;
}

export function parseInput(e: XmlElement, ctx: ParseCtx): InputDef {
  const type = enumAttr(e, 'type', INPUT_TYPES, (v) => `unknown input device type '${v}'`);
  if (!type) throw xmlErr('missing input device type');
  const i: InputDef = {
    type,
    bus: enumAttr(e, 'bus', INPUT_BUSES, (v) => `unknown input bus type '${v}'`),
    model: attr(e, 'model'),
    info: parseDeviceInfo(e, ctx),
  };
  const s = child(e, 'source');
  if (s) {
    i.evdev = attr(s, 'evdev');
    i.sourceDev = attr(s, 'dev');
    i.grab = attr(s, 'grab');
    i.grabToggle = attr(s, 'grabToggle');
    i.repeat = attr(s, 'repeat');
  }
  const d = child(e, 'driver');
  if (d) i.driver = parseVirtioOptions(d);
  if (type === 'passthrough' && !i.evdev) throw xmlErr('Missing evdev path for input device passthrough');
  return i;
}

export function formatInput(i: InputDef, ctx: FormatCtx): OutElement {
  const kids: Array<OutElement | undefined> = [];
  if (i.driver && virtioOptionAttrs(i.driver).some(([, v]) => v !== undefined)) kids.push(el('driver', virtioOptionAttrs(i.driver)));
  if (i.evdev || i.sourceDev) {
    kids.push(el('source', [['evdev', i.evdev], ['dev', i.sourceDev], ['grab', i.grab], ['grabToggle', i.grabToggle], ['repeat', i.repeat]]));
  }
  kids.push(...formatDeviceInfo(i.info, ctx));
  return el('input', [['type', i.type], ['bus', i.bus], ['model', i.model]], kids.filter((k): k is OutElement => !!k));
}
