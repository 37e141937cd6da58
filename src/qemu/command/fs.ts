// Filesystems (qemuBuildFilesystemCommandLine): 9p exports as -fsdev + virtio-9p, virtiofs as a
// vhost-user-fs device talking to virtiofsd over a unix socket in the per-VM dir.
import { fsView } from '../../conf/domain/devices/filesystem.js';
import { addressProps } from './address.js';
import { type BuildCtx, add, addDevice, escComma } from './util.js';
import { virtioDriver, virtioOptionProps } from './virtio.js';

/** qemuBuildFSStr */
function fsdevStr(v: ReturnType<typeof fsView>, alias: string): string {
  let s = '';
  if (!v.driver || v.driver === 'path') {
    s = 'local';
    const model = v.accessmode ?? 'passthrough';
    if (model === 'mapped') s += ',security_model=mapped';
    else if (model === 'passthrough') s += ',security_model=passthrough';
    else if (model === 'squash') s += ',security_model=none';
    if (v.multidevs && v.multidevs !== 'default') s += `,multidevs=${v.multidevs}`;
    if (v.fmode) s += `,fmode=${v.fmode.toString(8).padStart(4, '0')}`;
    if (v.dmode) s += `,dmode=${v.dmode.toString(8).padStart(4, '0')}`;
  } else if (v.driver === 'handle') {
    s = 'handle';
  }
  if (v.wrpolicy) s += `,writeout=${v.wrpolicy}`;
  s += `,id=fsdev-${alias},path=${escComma(v.source ?? '')}`;
  if (v.readonly) s += ',readonly=on';
  return s;
}

export function buildFilesystems(ctx: BuildCtx): void {
  for (const f of ctx.def.devices.filesystems) {
    const v = fsView(f);
    const alias = f.info.alias ?? 'fs0';
    if (v.driver === 'virtiofs') {
      const sock = v.socket ?? `${ctx.libDir}/${alias}-fs.sock`;
      const chr = `chr-vu-${alias}`;
      add(ctx, '-chardev', `socket,id=${chr},path=${escComma(sock)}`);
      addDevice(ctx, {
        driver: virtioDriver('vhost-user-fs', v.model, f.info.address),
        ...virtioOptionProps(v.virtio),
        id: alias,
        chardev: chr,
        'queue-size': v.queue,
        tag: v.target,
        bootindex: f.info.bootIndex,
        ...addressProps(ctx, f.info),
      });
      continue;
    }
    if (v.type !== 'mount') continue;
    add(ctx, '-fsdev', fsdevStr(v, alias));
    addDevice(ctx, {
      driver: virtioDriver('virtio-9p', v.model, f.info.address),
      ...virtioOptionProps(v.virtio),
      id: alias,
      fsdev: `fsdev-${alias}`,
      mount_tag: v.target,
      ...addressProps(ctx, f.info),
    });
  }
}
