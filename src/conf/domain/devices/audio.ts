// <audio>: virDomainAudioDef — a host audio backend (QEMU -audiodev) with per-direction settings.
import { type AttrList, attr, child, el, type OutElement, type XmlElement } from '../../../util/xml.js';
import { enumAttr, type ParseCtx, uintAttr, xmlErr, yesNoAttr } from '../common.js';

export const AUDIO_TYPES = ['none', 'alsa', 'coreaudio', 'jack', 'oss', 'pulseaudio', 'sdl', 'spice', 'file', 'dbus'] as const;
export type AudioType = (typeof AUDIO_TYPES)[number];
export const AUDIO_FORMATS = ['u8', 's8', 'u16', 's16', 'u32', 's32', 'f32'] as const;
export const AUDIO_SDL_DRIVERS = ['esd', 'alsa', 'arts', 'pulseaudio'] as const;

type YN = 'yes' | 'no';

/** One direction (<input>/<output>): common settings plus the backend's own attributes. */
export interface AudioIO {
  mixingEngine?: YN;
  fixedSettings?: YN;
  voices?: number;
  bufferLength?: number;
  frequency?: number;
  channels?: number;
  format?: (typeof AUDIO_FORMATS)[number];
  /** alsa, oss */
  dev?: string;
  /** coreaudio, oss, sdl */
  bufferCount?: number;
  /** oss */
  tryPoll?: YN;
  /** jack */
  serverName?: string;
  clientName?: string;
  connectPorts?: string;
  exactName?: YN;
  /** pulseaudio */
  name?: string;
  streamName?: string;
  latency?: number;
}

export interface AudioDef {
  id: number;
  type: AudioType;
  timerPeriod?: number;
  /** oss */
  tryMMap?: YN;
  exclusive?: YN;
  dspPolicy?: number;
  /** pulseaudio: serverName; sdl: driver; file: path */
  serverName?: string;
  driver?: (typeof AUDIO_SDL_DRIVERS)[number];
  path?: string;
  input: AudioIO;
  output: AudioIO;
}

function parseIO(e: XmlElement | undefined, type: AudioType): AudioIO {
  const io: AudioIO = {};
  if (!e) return io;
  io.mixingEngine = yesNoAttr(e, 'mixingEngine');
  io.fixedSettings = yesNoAttr(e, 'fixedSettings');
  io.voices = uintAttr(e, 'voices');
  io.bufferLength = uintAttr(e, 'bufferLength');
  const s = child(e, 'settings');
  if (s) {
    io.frequency = uintAttr(s, 'frequency');
    io.channels = uintAttr(s, 'channels');
    io.format = enumAttr(s, 'format', AUDIO_FORMATS);
  }
  switch (type) {
    case 'alsa':
      io.dev = attr(e, 'dev');
      break;
    case 'coreaudio':
    case 'sdl':
      io.bufferCount = uintAttr(e, 'bufferCount');
      break;
    case 'oss':
      io.dev = attr(e, 'dev');
      io.bufferCount = uintAttr(e, 'bufferCount');
      io.tryPoll = yesNoAttr(e, 'tryPoll');
      break;
    case 'jack':
      io.serverName = attr(e, 'serverName');
      io.clientName = attr(e, 'clientName');
      io.connectPorts = attr(e, 'connectPorts');
      io.exactName = yesNoAttr(e, 'exactName');
      break;
    case 'pulseaudio':
      io.name = attr(e, 'name');
      io.streamName = attr(e, 'streamName');
      io.latency = uintAttr(e, 'latency');
      break;
    default:
      break;
  }
  return io;
}

export function parseAudio(e: XmlElement, _ctx: ParseCtx): AudioDef {
  const type = enumAttr(e, 'type', AUDIO_TYPES);
  if (!type) throw xmlErr("Missing required attribute 'type' in element 'audio'");
  const idStr = attr(e, 'id');
  if (idStr === undefined) throw xmlErr("Missing required attribute 'id' in element 'audio'");
  if (!/^\s*\d+\s*$/.test(idStr)) throw xmlErr(`Invalid value for attribute 'id' in element 'audio': '${idStr}'. Expected non-negative integer value`);
  const id = Number(idStr);
  if (id === 0) throw xmlErr("Invalid value for attribute 'id' in element 'audio': Zero is not permitted");
  const a: AudioDef = { id, type, timerPeriod: uintAttr(e, 'timerPeriod'), input: parseIO(child(e, 'input'), type), output: parseIO(child(e, 'output'), type) };
  switch (type) {
    case 'oss':
      a.tryMMap = yesNoAttr(e, 'tryMMap');
      a.exclusive = yesNoAttr(e, 'exclusive');
      if (attr(e, 'dspPolicy') !== undefined) a.dspPolicy = Number(attr(e, 'dspPolicy'));
      break;
    case 'pulseaudio':
      a.serverName = attr(e, 'serverName');
      break;
    case 'sdl':
      a.driver = enumAttr(e, 'driver', AUDIO_SDL_DRIVERS);
      break;
    case 'file':
      a.path = attr(e, 'path');
      break;
    default:
      break;
  }
  return a;
}

function formatIO(name: string, io: AudioIO, type: AudioType): OutElement | undefined {
  const attrs: AttrList = [
    ['mixingEngine', io.mixingEngine],
    ['fixedSettings', io.fixedSettings],
    ['voices', io.voices],
    ['bufferLength', io.bufferLength],
  ];
  switch (type) {
    case 'alsa':
      attrs.push(['dev', io.dev]);
      break;
    case 'coreaudio':
    case 'sdl':
      attrs.push(['bufferCount', io.bufferCount]);
      break;
    case 'oss':
      attrs.push(['dev', io.dev], ['bufferCount', io.bufferCount], ['tryPoll', io.tryPoll]);
      break;
    case 'jack':
      attrs.push(['serverName', io.serverName], ['clientName', io.clientName], ['connectPorts', io.connectPorts], ['exactName', io.exactName]);
      break;
    case 'pulseaudio':
      attrs.push(['name', io.name], ['streamName', io.streamName], ['latency', io.latency]);
      break;
    default:
      break;
  }
  const settings = io.frequency !== undefined || io.channels !== undefined || io.format !== undefined
    ? el('settings', [['frequency', io.frequency], ['channels', io.channels], ['format', io.format]])
    : undefined;
  if (!settings && attrs.every(([, v]) => v === undefined)) return undefined;
  return el(name, attrs, settings);
}

export function formatAudio(a: AudioDef): OutElement {
  const attrs: AttrList = [['id', a.id || undefined], ['type', a.type], ['timerPeriod', a.timerPeriod]];
  switch (a.type) {
    case 'oss':
      attrs.push(['tryMMap', a.tryMMap], ['exclusive', a.exclusive], ['dspPolicy', a.dspPolicy]);
      break;
    case 'pulseaudio':
      attrs.push(['serverName', a.serverName]);
      break;
    case 'sdl':
      attrs.push(['driver', a.driver]);
      break;
    case 'file':
      attrs.push(['path', a.path]);
      break;
    default:
      break;
  }
  return el('audio', attrs, formatIO('input', a.input, a.type), formatIO('output', a.output, a.type));
}

/** virDomainDefFindAudioByID: id 0 means "the first audio backend". */
export function findAudioById(audios: AudioDef[], id: number | undefined): AudioDef | undefined {
  if (id) return audios.find((a) => a.id === id);
  return audios[0];
}
