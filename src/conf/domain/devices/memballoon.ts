// <memballoon>: virDomainMemballoonDef.
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
  uintAttr,
  virtioOptionAttrs,
  xmlErr,
} from '../common.js';

export const MEMBALLOON_MODELS = ['virtio', 'xen', 'none', 'virtio-transitional', 'virtio-non-transitional'] as const;

export interface MemballoonDef {
  model: (typeof MEMBALLOON_MODELS)[number];
  autodeflate?: string;
  freePageReporting?: string;
  period?: number;
  driver?: VirtioOptions;
  info: DeviceInfo;
}

export function parseMemballoon(e: XmlElement, ctx: ParseCtx): MemballoonDef {
  const model = enumAttr(e, 'model', MEMBALLOON_MODELS, (v) => `unknown memory balloon model '${v}'`);
  if (!model) throw xmlErr('balloon memory must contain model name');
  const m: MemballoonDef = { model, autodeflate: attr(e, 'autodeflate'), freePageReporting: attr(e, 'freePageReporting'), info: parseDeviceInfo(e, ctx, false) };
  const st = child(e, 'stats');
  if (st) m.period = uintAttr(st, 'period');
  const d = child(e, 'driver');
  if (d) m.driver = parseVirtioOptions(d);
  return m;
}

export function formatMemballoon(m: MemballoonDef, ctx: FormatCtx): OutElement {
  const kids: Array<OutElement | undefined> = [];
  if (m.period !== undefined) kids.push(el('stats', [['period', m.period]]));
  kids.push(...formatDeviceInfo(m.info, ctx));
  if (m.driver && virtioOptionAttrs(m.driver).some(([, v]) => v !== undefined)) kids.push(el('driver', virtioOptionAttrs(m.driver)));
  return el('memballoon', [['model', m.model], ['autodeflate', m.autodeflate], ['freePageReporting', m.freePageReporting]], kids.filter((k): k is OutElement => !!k));
}
