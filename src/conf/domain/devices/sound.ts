// <sound>: virDomainSoundDef — emulated sound cards, HDA codecs and the audio backend they use.
import { attr, children, el, type OutElement, type XmlElement } from '../../../util/xml.js';
import { type DeviceInfo, enumAttr, type FormatCtx, formatDeviceInfo, type ParseCtx, parseDeviceInfo, xmlErr } from '../common.js';

export const SOUND_MODELS = ['sb16', 'es1370', 'pcspk', 'ac97', 'ich6', 'ich9', 'usb', 'ich7'] as const;
export type SoundModel = (typeof SOUND_MODELS)[number];
export const SOUND_CODEC_TYPES = ['duplex', 'micro', 'output'] as const;

export interface SoundCodec {
  type: (typeof SOUND_CODEC_TYPES)[number];
  /** codec address (index among the card's codecs) */
  cad: number;
}

export interface SoundDef {
  model: SoundModel;
  codecs: SoundCodec[];
  /** <audio id='N'/>: the backend; 0/undefined means the first one. */
  audioId?: number;
  multichannel?: 'yes' | 'no';
  info: DeviceInfo;
}

/** virDomainSoundModelSupportsCodecs */
export function soundSupportsCodecs(s: SoundDef): boolean {
  return s.model === 'ich6' || s.model === 'ich9' || s.model === 'ich7';
}

export function parseSound(e: XmlElement, ctx: ParseCtx): SoundDef {
  const model = enumAttr(e, 'model', SOUND_MODELS);
  if (!model) throw xmlErr("Missing required attribute 'model' in element 'sound'");
  const s: SoundDef = { model, codecs: [], info: parseDeviceInfo(e, ctx, false) };
  if (soundSupportsCodecs(s)) {
    children(e, 'codec').forEach((c, i) => {
      const type = enumAttr(c, 'type', SOUND_CODEC_TYPES);
      if (!type) throw xmlErr("Missing required attribute 'type' in element 'codec'");
      s.codecs.push({ type, cad: i });
    });
  }
  const a = children(e, 'audio')[0];
  if (a) {
    const v = attr(a, 'id');
    if (v === undefined) throw xmlErr("Missing required attribute 'id' in element 'audio'");
    if (!/^\s*\d+\s*$/.test(v)) throw xmlErr(`Invalid value for attribute 'id' in element 'audio': '${v}'. Expected non-negative integer value`);
    if (Number(v) === 0) throw xmlErr("Invalid value for attribute 'id' in element 'audio': Zero is not permitted");
    s.audioId = Number(v);
  }
  if (model === 'usb') s.multichannel = enumAttr(e, 'multichannel', ['yes', 'no'] as const);
  return s;
}

export function formatSound(s: SoundDef, ctx: FormatCtx): OutElement {
  return el(
    'sound',
    [['model', s.model], ['multichannel', s.multichannel]],
    s.codecs.map((c) => el('codec', [['type', c.type]])),
    s.audioId ? el('audio', [['id', s.audioId]]) : undefined,
    formatDeviceInfo(s.info, ctx),
  );
}
