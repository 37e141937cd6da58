// buildCommandLine: the pure argv builder. The orchestration table lists the per-family builders
// in qemuBuildCommandLine's order (README §2.8); add a family by adding its builder to STEPS.
import type { DomainDef } from '../../conf/domain/types.js';
import type { QemuCaps } from '../caps/types.js';
import type { QemuDriverConfig } from '../config.js';
import { effectiveCaps } from '../domain/prepare.js';
import { buildChannels, buildConsoles, buildParallels, buildSerials } from './chardev.js';
import { buildControllers, buildGlobalControllers } from './controller.js';
import { buildInputs, buildMemballoon, buildRngs, buildVmgenid, buildWatchdogs } from './devices.js';
import { buildAudio } from './audio.js';
import { buildGraphics } from './graphics.js';
import { buildVideos } from './video.js';
import { buildSounds } from './sound.js';
import { buildRedirdevs } from './redirdev.js';
import { buildDisks, buildManagedPR } from './disk.js';
import { buildLoader, buildPflash } from './firmware.js';
import { buildFilesystems } from './fs.js';
import { buildHostdevs } from './hostdev.js';
import { buildTpms } from './tpm.js';
import type { Host } from './host.js';
import {
  buildBoot, buildClock, buildCompat, buildDisplayNone, buildMachine, buildMasterKey, buildTseg,
  buildMonitor, buildMsg, buildName, buildPM, buildQemuCommandline, buildSandbox, buildSmp, buildUuid,
} from './machine.js';
import { buildCpu } from './cpu.js';
import { buildIOThreads } from './iothread.js';
import { buildMemory, buildMemoryDevices } from './memory.js';
import { buildNetHostdevs, buildNets } from './net.js';
import { buildNuma } from './numa.js';
import { buildHubs, buildIommu, buildLaunchSecurity, buildPanics, buildShmems, buildSmartcards, buildVmcoreinfo, buildVsock } from './misc.js';
import { type BuildCtx, add, shortName } from './util.js';

export type { Host } from './host.js';
export { formatArgs, shellEscape } from './format.js';

export interface CommandLine {
  env: Array<[string, string]>;
  argv: string[];
  fds: number[];
}

type Step = (ctx: BuildCtx) => void;

/** qemuBuildCommandLine order. */
export const STEPS: ReadonlyArray<readonly [string, Step]> = [
  ['name', buildName],
  ['compat', buildCompat],
  ['S', (ctx) => add(ctx, '-S')],
  ['masterkey', buildMasterKey],
  ['managed-pr', buildManagedPR],
  ['pflash', buildPflash],
  ['machine', buildMachine],
  ['tseg', buildTseg],
  ['cpu', buildCpu],
  ['bios', buildLoader],
  ['memory', buildMemory],
  ['smp', buildSmp],
  ['iothreads', buildIOThreads],
  ['numa', buildNuma],
  ['uuid', buildUuid],
  ['vmgenid', buildVmgenid],
  ['display', buildDisplayNone],
  ['monitor', buildMonitor],
  ['clock', buildClock],
  ['pm', buildPM],
  ['boot', buildBoot],
  ['iommu', buildIommu],
  ['global-controllers', buildGlobalControllers],
  ['controllers', buildControllers],
  ['memory-devices', buildMemoryDevices],
  ['hubs', buildHubs],
  ['disks', buildDisks],
  ['filesystems', buildFilesystems],
  ['nets', buildNets],
  ['smartcards', buildSmartcards],
  ['serials', buildSerials],
  ['parallels', buildParallels],
  ['channels', buildChannels],
  ['consoles', buildConsoles],
  ['tpms', buildTpms],
  ['inputs', buildInputs],
  ['audio', buildAudio],
  ['graphics', buildGraphics],
  ['videos', buildVideos],
  ['sounds', buildSounds],
  ['watchdogs', buildWatchdogs],
  ['redirdevs', buildRedirdevs],
  ['net-hostdevs', buildNetHostdevs],
  ['hostdevs', buildHostdevs],
  ['memballoon', buildMemballoon],
  ['rngs', buildRngs],
  ['vmcoreinfo', buildVmcoreinfo],
  ['launch-security', buildLaunchSecurity],
  ['qemu-commandline', buildQemuCommandline],
  ['sandbox', buildSandbox],
  ['panic', buildPanics],
  ['shmem', buildShmems],
  ['vsock', buildVsock],
  ['msg', buildMsg],
];

export function buildCommandLine(def: DomainDef, caps: QemuCaps, host: Host, cfg: QemuDriverConfig): CommandLine {
  const sn = shortName(def);
  const libDir = `${cfg.libDir}/domain-${sn}`;
  const ctx: BuildCtx = { def, caps: effectiveCaps(def, caps), host, cfg, argv: [def.devices.emulator ?? caps.emulator], env: [], fds: [], fdset: 0, libDir, shortName: sn };
  // virCommandAddEnvPassCommon + the privileged HOME/XDG block
  ctx.env.push(['LC_ALL', 'C']);
  ctx.env.push(['PATH', host.env.PATH ?? '/usr/bin:/bin']);
  ctx.env.push(['HOME', host.env.HOME ?? '/']);
  if (host.env.USER !== undefined) ctx.env.push(['USER', host.env.USER]);
  if (host.env.LOGNAME !== undefined) ctx.env.push(['LOGNAME', host.env.LOGNAME]);
  if (host.privileged) {
    const i = ctx.env.findIndex(([k]) => k === 'HOME');
    ctx.env[i] = ['HOME', libDir];
    ctx.env.push(['XDG_DATA_HOME', `${libDir}/.local/share`]);
    ctx.env.push(['XDG_CACHE_HOME', `${libDir}/.cache`]);
    ctx.env.push(['XDG_CONFIG_HOME', `${libDir}/.config`]);
  }
  for (const [, step] of STEPS) step(ctx);
  return { env: ctx.env, argv: ctx.argv, fds: ctx.fds };
}
