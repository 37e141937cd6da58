// Video devices (qemuBuildVideoCommandLine / qemuBuildDeviceVideoCmd): the primary device takes the
// VGA-compatible model, secondaries the plain one; vhost-user GPUs get their backend chardev first.
import type { VideoDef } from '../../conf/domain/devices/video.js';
import { configUnsupported, ErrorDomain } from '../../util/errors.js';
import { addressProps } from './address.js';
import { add, addDevice, type BuildCtx, hasCap, type JsonProps } from './util.js';
import { virtioDriver, virtioOptionProps } from './virtio.js';

/** qemuDomainSupportsVideoVga */
function supportsVga(ctx: BuildCtx, v: VideoDef): boolean {
  if (v.model !== 'virtio') return true;
  if (v.driver?.name === 'vhostuser') return hasCap(ctx, 'vhost-user-vga');
  return hasCap(ctx, 'virtio-vga');
}

/** Models whose device is the same whether or not it is the primary, VGA-compatible one. */
const ANY_VIDEO_DEVICE: ReadonlyArray<[VideoDef['model'], string]> = [
  ['bochs', 'bochs-display'],
  ['ramfb', 'ramfb'],
];
/** Primary, VGA-compatible devices (virtio and vhost-user are chosen separately). */
const PRIMARY_VIDEO_DEVICE = new Map<VideoDef['model'], string>([
  ['vga', 'VGA'],
  ['cirrus', 'cirrus-vga'],
  ['vmvga', 'vmware-svga'],
  ['qxl', 'qxl-vga'],
  ...ANY_VIDEO_DEVICE,
]);
/** Secondary devices (virtio and vhost-user are chosen separately). */
const SECONDARY_VIDEO_DEVICE = new Map<VideoDef['model'], string>([['qxl', 'qxl'], ...ANY_VIDEO_DEVICE]);

/** qemuDeviceVideoGetModel: [model, virtio, needs a bus suffix] */
export function videoModel(ctx: BuildCtx, v: VideoDef): { model: string; virtio: boolean; suffix: boolean } {
  const primaryVga = !!v.primary && supportsVga(ctx, v);
  const accel3d = v.accel?.accel3d === 'yes';
  let model: string | undefined;
  let virtio = false;
  let suffix = false;
  if (v.driver?.name === 'vhostuser') {
    if (primaryVga) model = 'vhost-user-vga';
    else {
      model = 'vhost-user-gpu';
      virtio = true;
      suffix = true;
    }
  } else if (v.model === 'virtio') {
    virtio = true;
    if (primaryVga) model = hasCap(ctx, 'virtio-vga-gl') && accel3d ? 'virtio-vga-gl' : 'virtio-vga';
    else {
      model = hasCap(ctx, 'virtio-gpu-gl-pci') && accel3d ? 'virtio-gpu-gl' : 'virtio-gpu';
      suffix = true;
    }
  } else model = (primaryVga ? PRIMARY_VIDEO_DEVICE : SECONDARY_VIDEO_DEVICE).get(v.model);
  if (!model) throw configUnsupported(`invalid model for video type '${v.model}'`, ErrorDomain.QEMU);
  return { model, virtio, suffix };
}

export function videoProps(ctx: BuildCtx, v: VideoDef): JsonProps {
  const { model, virtio, suffix } = videoModel(ctx, v);
  const p: JsonProps = { driver: suffix ? virtioDriver(model, undefined, v.info.address) : model };
  if (virtio) Object.assign(p, virtioOptionProps(v.driver?.virtio));
  p.id = v.info.alias;
  const accel3d = v.accel?.accel3d;
  if (v.model === 'virtio' && v.driver?.name !== 'vhostuser' && accel3d && !/-gl$/.test(model) && !hasCap(ctx, 'virtio-gpu-gl-pci')) p.virgl = accel3d === 'yes';
  if (v.heads && (v.model === 'qxl' || v.model === 'virtio')) p.max_outputs = v.heads;
  if (v.model === 'qxl') {
    if (v.ram) p.ram_size = v.ram * 1024;
    if (v.vram) p.vram_size = v.vram * 1024;
    if (hasCap(ctx, 'qxl.vram64_size_mb')) p.vram64_size_mb = Math.floor((v.vram64 ?? 0) / 1024);
    if (hasCap(ctx, 'qxl.vgamem_mb') && v.vgamem) p.vgamem_mb = Math.floor(v.vgamem / 1024);
  } else if (v.driver?.name === 'vhostuser') {
    p.chardev = `chr-vu-${v.info.alias}`;
  } else if ((v.model === 'vga' && hasCap(ctx, 'VGA.vgamem_mb')) || (v.model === 'vmvga' && hasCap(ctx, 'vmware-svga.vgamem_mb'))) {
    if (v.vram) p.vgamem_mb = Math.floor(v.vram / 1024);
  } else if (v.model === 'bochs') {
    if (v.vram) p.vgamem = v.vram * 1024;
  }
  if (v.resolution) {
    if (v.resolution.x) p.xres = v.resolution.x;
    if (v.resolution.y) p.yres = v.resolution.y;
  }
  Object.assign(p, addressProps(ctx, v.info));
  return p;
}

export function buildVideos(ctx: BuildCtx): void {
  for (const v of ctx.def.devices.videos) {
    if (v.model === 'none') continue;
    if (v.driver?.name === 'vhostuser') {
      const fd = v.vhostuserFd ?? 0;
      ctx.fds.push(fd);
      add(ctx, '-chardev', `socket,id=chr-vu-${v.info.alias},fd=${fd}`);
    }
    addDevice(ctx, videoProps(ctx, v));
  }
}
