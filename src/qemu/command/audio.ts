// -audiodev (qemuBuildAudioCommandLine): one JSON backend per <audio>, plus SDL_AUDIODRIVER.
import type { AudioDef, AudioIO } from '../../conf/domain/devices/audio.js';
import { findAudioById } from '../../conf/domain/devices/audio.js';
import type { DomainDef } from '../../conf/domain/types.js';
import { qemuAudioDriverName } from '../domain/graphics.js';
import { add, addEnv, type BuildCtx, type JsonProps, json } from './util.js';

const tri = (v: 'yes' | 'no' | undefined): boolean | undefined => (v === undefined ? undefined : v === 'yes');
const pos = (v: number | undefined): number | undefined => (v ? v : undefined);

/** qemuBuildAudioCommonProps + the backend's per-direction properties; undefined when empty. */
function ioProps(a: AudioDef, io: AudioIO): JsonProps | undefined {
  const fixed = io.fixedSettings === 'yes';
  const p: JsonProps = {
    'mixing-engine': tri(io.mixingEngine),
    'fixed-settings': tri(io.fixedSettings),
    voices: pos(io.voices),
    'buffer-length': pos(io.bufferLength),
    frequency: fixed ? pos(io.frequency) : undefined,
    channels: fixed ? pos(io.channels) : undefined,
    format: fixed ? io.format : undefined,
  };
  switch (a.type) {
    case 'alsa':
      p.dev = io.dev;
      break;
    case 'coreaudio':
    case 'sdl':
      p['buffer-count'] = pos(io.bufferCount);
      break;
    case 'jack':
      p['server-name'] = io.serverName;
      p['client-name'] = io.clientName;
      p['connect-ports'] = io.connectPorts;
      p['exact-name'] = tri(io.exactName);
      break;
    case 'oss':
      p.dev = io.dev;
      p['buffer-count'] = pos(io.bufferCount);
      p['try-poll'] = tri(io.tryPoll);
      break;
    case 'pulseaudio':
      p.name = io.name;
      p['stream-name'] = io.streamName;
      p.latency = pos(io.latency);
      break;
    default:
      break;
  }
  return Object.values(p).some((v) => v !== undefined) ? p : undefined;
}

export function audiodevProps(a: AudioDef): JsonProps {
  const p: JsonProps = { id: `audio${a.id}`, driver: qemuAudioDriverName(a.type), 'timer-period': pos(a.timerPeriod) };
  switch (a.type) {
    case 'oss':
      p['try-mmap'] = tri(a.tryMMap);
      p.exclusive = tri(a.exclusive);
      if (a.dspPolicy !== undefined) p['dsp-policy'] = a.dspPolicy;
      break;
    case 'pulseaudio':
      p.server = a.serverName;
      break;
    case 'file':
      p.path = a.path;
      break;
    default:
      break;
  }
  p.in = ioProps(a, a.input);
  p.out = ioProps(a, a.output);
  return p;
}

export function buildAudio(ctx: BuildCtx): void {
  for (const a of ctx.def.devices.audios) {
    add(ctx, '-audiodev', json(audiodevProps(a)));
    if (a.type === 'sdl' && a.driver) addEnv(ctx, 'SDL_AUDIODRIVER', a.driver);
  }
}

/** qemuGetAudioIDString: "audio<N>" of the referenced (or first) backend. */
export function audioIdString(def: DomainDef, id: number | undefined): string | undefined {
  const a = findAudioById(def.devices.audios, id);
  return a ? `audio${a.id}` : undefined;
}
