// Sound cards and HDA codecs (qemuBuildSoundCommandLine).
import type { SoundCodec, SoundDef } from '../../conf/domain/devices/sound.js';
import { soundSupportsCodecs } from '../../conf/domain/devices/sound.js';
import { addressProps } from './address.js';
import { audioIdString } from './audio.js';
import { addDevice, type BuildCtx, type JsonProps } from './util.js';

const SOUND_DRIVERS: Record<string, string> = {
  es1370: 'ES1370',
  ac97: 'AC97',
  ich6: 'intel-hda',
  usb: 'usb-audio',
  ich9: 'ich9-intel-hda',
  sb16: 'sb16',
  ich7: 'ich7-intel-hda',
};

const CODEC_DRIVERS: Record<SoundCodec['type'], string> = {
  duplex: 'hda-duplex',
  micro: 'hda-micro',
  output: 'hda-output',
};

export function soundProps(ctx: BuildCtx, s: SoundDef): JsonProps {
  const p: JsonProps = { driver: SOUND_DRIVERS[s.model], id: s.info.alias };
  if (!soundSupportsCodecs(s)) p.audiodev = audioIdString(ctx.def, s.audioId);
  if (s.model === 'usb' && s.multichannel) p.multi = s.multichannel === 'yes';
  return { ...p, ...addressProps(ctx, s.info) };
}

function codecProps(ctx: BuildCtx, s: SoundDef, c: SoundCodec): JsonProps {
  return {
    driver: CODEC_DRIVERS[c.type],
    id: `${s.info.alias}-codec${c.cad}`,
    bus: `${s.info.alias}.0`,
    cad: c.cad,
    audiodev: audioIdString(ctx.def, s.audioId),
  };
}

/** The PC speaker's backend is a machine property: pcspk-audiodev=audioN (first pcspk only). */
export function pcspkMachineProps(ctx: BuildCtx): string[] {
  const s = ctx.def.devices.sounds.find((x) => x.model === 'pcspk');
  if (!s) return [];
  const id = audioIdString(ctx.def, s.audioId);
  return id ? [`pcspk-audiodev=${id}`] : [];
}

export function buildSounds(ctx: BuildCtx): void {
  for (const s of ctx.def.devices.sounds) {
    // The PC speaker is a machine property (pcspk-audiodev), not a -device.
    if (s.model === 'pcspk') continue;
    addDevice(ctx, soundProps(ctx, s));
    if (soundSupportsCodecs(s)) {
      const codecs = s.codecs.length ? s.codecs : [{ type: 'duplex' as const, cad: 0 }];
      for (const c of codecs) addDevice(ctx, codecProps(ctx, s, c));
    }
  }
}
