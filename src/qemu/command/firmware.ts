// Firmware on the command line: the pflash -blockdev pairs (qemuBuildPflashBlockdevCommandLine),
// the -machine pflash0/pflash1 properties, and the loader itself (qemuBuildDomainLoaderCommandLine:
// -bios for a ROM, the secure cfi.pflash01 global for an SMM-only writable flash).
import type { DiskDef } from '../../conf/domain/devices/disk.js';
import type { StorageSource } from '../../conf/domain/storage.js';
import { buildDiskSource } from './blockdev.js';
import { type BuildCtx, add } from './util.js';

/** A disk-shaped wrapper so a pflash image goes through the generic blockdev builder. */
function pflashDisk(src: StorageSource, dst: string): DiskDef {
  return { device: 'disk', src, driver: { virtio: {} }, dst, bus: 'none', info: {} } as unknown as DiskDef;
}

/** -blockdev lines of pflash0 (the loader) and pflash1 (the NVRAM varstore). */
export function buildPflash(ctx: BuildCtx): void {
  const p = ctx.def.os.pflash;
  if (!p) return;
  buildDiskSource(ctx, pflashDisk(p.loader, 'pflash0'));
  if (p.nvram) buildDiskSource(ctx, pflashDisk(p.nvram, 'pflash1'));
}

/** The -machine properties that attach the pflash block nodes. */
export function pflashMachineProps(ctx: BuildCtx): string[] {
  const p = ctx.def.os.pflash;
  if (!p) return [];
  const out = [`pflash0=${p.loader.nodeFormat}`];
  if (p.nvram) out.push(`pflash1=${p.nvram.nodeFormat}`);
  return out;
}

/** qemuBuildDomainLoaderCommandLine */
export function buildLoader(ctx: BuildCtx): void {
  const l = ctx.def.os.loader;
  if (!l?.path) return;
  if (l.type === 'rom') add(ctx, '-bios', l.path);
  else if (l.type === 'pflash' && l.secure === 'yes') add(ctx, '-global', 'driver=cfi.pflash01,property=secure,value=on');
}
