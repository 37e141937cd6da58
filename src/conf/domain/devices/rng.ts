// <rng>: virDomainRNGDef — virtio RNG with random/egd/builtin backends.
import { type OutElement, type XmlElement, child, el } from '../../../util/xml.js';
import {
  type DeviceInfo,
  type FormatCtx,
  type ParseCtx,
  type VirtioOptions,
  enumAttr,
  formatDeviceInfo,
  parseDeviceInfo,
  parseVirtioOptions,
  textContent,
  uintAttr,
  virtioOptionAttrs,
  xmlErr,
} from '../common.js';
import { type ChrSource, formatChrSource, parseChrSource } from './chardev.js';

export const RNG_MODELS = ['virtio', 'virtio-transitional', 'virtio-non-transitional'] as const;

export interface RngDef {
  model: (typeof RNG_MODELS)[number];
  backend: 'random' | 'egd' | 'builtin';
  /** random: device file */
  file?: string;
  chr?: ChrSource;
  rate?: { bytes: number; period?: number };
  driver?: VirtioOptions;
  info: DeviceInfo;
}

export function parseRng(e: XmlElement, ctx: ParseCtx): RngDef {
  const model = enumAttr(e, 'model', RNG_MODELS, (v) => `unknown RNG model '${v}'`);
  if (!model) throw xmlErr('missing RNG device model');
  const b = child(e, 'backend');
  if (!b) throw xmlErr('missing RNG device backend');
  const backend = enumAttr(b, 'model', ['random', 'egd', 'builtin'] as const, (v) => `unknown backend model '${v}'`);
  if (!backend) throw xmlErr('missing RNG device backend model');
  const r: RngDef = { model, backend, info: parseDeviceInfo(e, ctx) };
  if (backend === 'random') {
    const f = textContent(b)?.trim();
    r.file = f ? f : undefined;
  } else if (backend === 'egd') {
    r.chr = parseChrSource(b, 'type', ctx);
  }
  const rate = child(e, 'rate');
  if (rate) r.rate = { bytes: uintAttr(rate, 'bytes') ?? 0, period: uintAttr(rate, 'period') };
  const d = child(e, 'driver');
  if (d) r.driver = parseVirtioOptions(d);
  return r;
}

export function formatRng(r: RngDef, ctx: FormatCtx): OutElement {
  const kids: Array<OutElement | undefined> = [];
  if (r.rate) kids.push(el('rate', [['bytes', r.rate.bytes], ['period', r.rate.period]]));
  if (r.backend === 'random') kids.push(r.file ? el('backend', [['model', 'random']], r.file) : el('backend', [['model', 'random']]));
  else if (r.backend === 'egd' && r.chr) kids.push(el('backend', [['model', 'egd'], ['type', r.chr.type]], formatChrSource(r.chr, ctx)));
  else kids.push(el('backend', [['model', r.backend]]));
  if (r.driver && virtioOptionAttrs(r.driver).some(([, v]) => v !== undefined)) kids.push(el('driver', virtioOptionAttrs(r.driver)));
  kids.push(...formatDeviceInfo(r.info, ctx));
  return el('rng', [['model', r.model]], kids.filter((k): k is OutElement => !!k));
}
