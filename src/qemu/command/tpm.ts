// TPM devices (qemuBuildTPMCommandLine): the backend (-tpmdev passthrough with fdset-passed device
// and cancel files, or emulator over the swtpm chardev socket) then the frontend -device.
import { tpmView } from '../../conf/domain/devices/tpm.js';
import { type BuildCtx, add, addDevice, addFdSet, escComma } from './util.js';

/** QEMU device of a TPM model (tpm-tis on ARM virt machines is the sysbus tpm-tis-device). */
function tpmDriver(ctx: BuildCtx, model: string): string {
  if (model === 'tpm-tis' && (ctx.def.os.arch === 'aarch64' || ctx.def.os.arch === 'armv7l')) return 'tpm-tis-device';
  return model;
}

export function buildTpms(ctx: BuildCtx): void {
  for (const t of ctx.def.devices.tpms) {
    const v = tpmView(t);
    const alias = t.info.alias ?? 'tpm0';
    if (v.model === 'spapr-tpm-proxy') continue;
    const id = `tpm-${alias}`;
    if (v.backend === 'passthrough') {
      const cancelPath = ctx.host.tpmCancelPath(v.devicePath);
      const fds = ctx.host.openTpmPassthrough(v.devicePath, cancelPath);
      const dev = addFdSet(ctx, fds.tpmFd, `${alias}-tpm`);
      const cancel = addFdSet(ctx, fds.cancelFd, `${alias}-cancel`);
      add(ctx, '-tpmdev', `passthrough,id=${id},path=${dev},cancel-path=${cancel}`);
    } else {
      let path = v.sourcePath ?? '';
      if (v.backend === 'emulator') {
        const dflt = `${ctx.cfg.swtpmStateDir}/${ctx.shortName}-swtpm.sock`;
        path = ctx.host.tpmEmulatorSocket ? ctx.host.tpmEmulatorSocket(dflt) : dflt;
      }
      add(ctx, '-chardev', `socket,id=chrtpm,path=${escComma(path)}`);
      add(ctx, '-tpmdev', `emulator,id=${id},chardev=chrtpm`);
    }
    const model = v.model ?? 'tpm-tis';
    const props: Record<string, string | number | undefined> = { driver: tpmDriver(ctx, model), tpmdev: id, id: alias };
    const a = t.info.address;
    if (model === 'tpm-spapr' && a?.type === 'spapr-vio' && a.attrs.reg !== undefined) props.reg = Number(a.attrs.reg);
    addDevice(ctx, props);
  }
}
