// Top-level options: -name, -compat, -S, master key, -machine, -accel, -cpu, -bios, memory, -smp,
// -uuid, -display, monitor, clock, power management, boot, -sandbox, -msg.
import { hasFeature, featureState } from '../../conf/domain/types.js';
import { configUnsupported, ErrorDomain } from '../../util/errors.js';
import { getMachine } from '../caps/cache.js';
import { isQ35, isI440fx } from '../domain/machine.js';
import { pflashMachineProps } from './firmware.js';
import { memoryMachineProps } from './memory.js';
import { pcspkMachineProps } from './sound.js';
import { ioapicMachineProps, launchSecurityMachineProps } from './misc.js';
import { tcgTbCacheKiB, tsegBytes } from '../domain/features.js';
import { type BuildCtx, add, escComma, hasCap, json } from './util.js';

export function buildName(ctx: BuildCtx): void {
  add(ctx, '-name', `guest=${escComma(ctx.def.name)},debug-threads=on`);
}

export function buildCompat(ctx: BuildCtx): void {
  const b = ctx.def.qemu?.deprecation ?? (ctx.cfg.deprecationBehavior !== 'none' ? ctx.cfg.deprecationBehavior : undefined);
  if (!b || b === 'none' || !hasCap(ctx, 'compat-deprecated')) return;
  const o: Record<string, string> = {};
  switch (b) {
    case 'omit':
      o['deprecated-output'] = 'hide';
      break;
    // qemuBuildCompatDeprecatedCommandLine: output policy first, then input
    case 'reject':
      o['deprecated-output'] = 'hide';
      o['deprecated-input'] = 'reject';
      break;
    case 'crash':
      o['deprecated-output'] = 'hide';
      o['deprecated-input'] = 'crash';
      break;
  }
  add(ctx, '-compat', json(o));
}

export function buildMasterKey(ctx: BuildCtx): void {
  add(ctx, '-object', json({ 'qom-type': 'secret', id: 'masterKey0', format: 'raw', file: `${ctx.libDir}/master-key.aes` }));
}

function accelName(ctx: BuildCtx): string {
  return ctx.def.type === 'kvm' ? 'kvm' : ctx.def.type === 'hvf' ? 'hvf' : 'tcg';
}

export function buildMachine(ctx: BuildCtx): void {
  const def = ctx.def;
  const parts: string[] = [escComma(def.os.machine ?? '')];
  const x86 = def.os.arch === 'x86_64' || def.os.arch === 'i686';
  if (x86) parts.push('usb=off');
  const vmport = featureState(def, 'vmport');
  if (vmport) parts.push(`vmport=${vmport}`);
  const smm = featureState(def, 'smm');
  if (smm) parts.push(`smm=${smm}`);
  parts.push(...ioapicMachineProps(def));
  if (def.memoryDumpCore) parts.push(`dump-guest-core=${def.memoryDumpCore}`);
  else parts.push(`dump-guest-core=${ctx.cfg.dumpGuestCore ? 'on' : 'off'}`);
  parts.push(...memoryMachineProps(ctx));
  if (def.devices.iommu) {
    // handled by -device intel-iommu / virtio-iommu
  }
  const m = getMachine(ctx.caps, ctx.def.type === 'kvm' ? 'kvm' : 'tcg', def.os.machine ?? '');
  const ramId = m?.defaultRAMid;
  if (ramId && !(def.cpu?.numa?.cells.length)) parts.push(`memory-backend=${ramId}`);
  parts.push(...pflashMachineProps(ctx));
  const hpet = def.clock.timers.find((t) => t.name === 'hpet');
  if (hpet?.present && hasCap(ctx, 'machine-hpet')) parts.push(`hpet=${hpet.present === 'yes' ? 'on' : 'off'}`);
  parts.push(...launchSecurityMachineProps(def));
  parts.push(...pcspkMachineProps(ctx));
  add(ctx, '-machine', parts.join(','));
  // TCG translation block cache size (<features><tcg><tb-cache>), in MiB
  const tb = ctx.def.features.find((f) => f.name === 'tcg')?.body.find((b) => b.local === 'tb-cache');
  const tbKiB = tb ? tcgTbCacheKiB(tb) : 0;
  let accel = accelName(ctx);
  if (accel === 'tcg' && tbKiB) accel += `,tb-size=${Math.floor(tbKiB / 1024)}`;
  // KVM dirty ring (<features><kvm><dirty-ring state='on' size=…/>)
  const kvm = ctx.def.features.find((f) => f.name === 'kvm');
  const ring = kvm?.body.find((b) => b.local === 'dirty-ring');
  if (accel === 'kvm' && kvm && (kvm.attrs.find(([k]) => k === 'state')?.[1] ?? 'on') === 'on' && ring?.attrs.find((a) => a.name === 'state')?.value === 'on') {
    const size = ring.attrs.find((a) => a.name === 'size')?.value;
    if (size) accel += `,dirty-ring-size=${size}`;
  }
  add(ctx, '-accel', accel);
}

/** -global mch.extended-tseg-mbytes for an explicit SMM TSEG size (q35). */
export function buildTseg(ctx: BuildCtx): void {
  const bytes = tsegBytes(ctx.def);
  if (bytes === undefined || featureState(ctx.def, 'smm') !== 'on') return;
  add(ctx, '-global', `mch.extended-tseg-mbytes=${Math.floor(bytes / 1024 / 1024)}`);
}

export function buildBios(ctx: BuildCtx): void {
  const l = ctx.def.os.loader;
  if (l?.path && (l.type === 'rom' || (l.type === undefined && l.readonly === undefined))) {
    if (l.type === 'rom' || !l.type) add(ctx, '-bios', l.path);
  }
}

export function buildSmp(ctx: BuildCtx): void {
  const def = ctx.def;
  const cur = def.vcpu.current ?? def.vcpu.max;
  const parts = [String(cur)];
  if (cur !== def.vcpu.max) parts.push(`maxcpus=${def.vcpu.max}`);
  const t = def.cpu?.topology;
  if (t) {
    parts.push(`sockets=${t.sockets}`);
    if (t.dies > 1 || hasCap(ctx, 'smp-dies')) parts.push(`dies=${t.dies}`);
    parts.push(`cores=${t.cores}`, `threads=${t.threads}`);
  } else {
    parts.push(`sockets=${def.vcpu.max}`, 'cores=1', 'threads=1');
  }
  add(ctx, '-smp', parts.join(','));
}

export function buildUuid(ctx: BuildCtx): void {
  add(ctx, '-uuid', ctx.def.uuid);
}

export function buildDisplayNone(ctx: BuildCtx): void {
  if (ctx.def.devices.graphics.length === 0) add(ctx, '-display', 'none');
  add(ctx, '-no-user-config', '-nodefaults');
}

export function buildMonitor(ctx: BuildCtx): void {
  const fd = ctx.host.monitorFd;
  if (fd !== undefined) add(ctx, '-chardev', `socket,id=charmonitor,fd=${fd},server=on,wait=off`);
  else add(ctx, '-chardev', `socket,id=charmonitor,path=${escComma(ctx.host.monitorPath(ctx.libDir))},server=on,wait=off`);
  add(ctx, '-mon', 'chardev=charmonitor,id=monitor,mode=control');
}

export function buildClock(ctx: BuildCtx): void {
  const c = ctx.def.clock;
  let rtc: string;
  const isoSeconds = (secs: number) => new Date(secs * 1000).toISOString().slice(0, 19);
  switch (c.offset) {
    case 'localtime':
    case 'timezone':
      rtc = 'base=localtime';
      break;
    case 'variable': {
      // the guest clock runs `adjustment` seconds off the host's UTC clock (localtime basis: plus the host offset)
      const adj = Number(c.adjustment ?? 0) + (c.basis === 'localtime' ? (ctx.host.localOffsetSeconds?.() ?? 0) : 0);
      rtc = `base=${isoSeconds((ctx.host.nowSeconds?.() ?? 0) + adj)}`;
      break;
    }
    case 'absolute':
      rtc = `base=${isoSeconds(c.start ?? 0)}`;
      break;
    default:
      rtc = 'base=utc';
  }
  const rtcTimer = c.timers.find((t) => t.name === 'rtc');
  if (rtcTimer?.track === 'guest') rtc += ',clock=vm';
  else if (rtcTimer?.track === 'wall') rtc += ',clock=host';
  else if (rtcTimer?.track === 'realtime') rtc += ',clock=rt';
  if (rtcTimer?.tickpolicy === 'catchup') rtc += ',driftfix=slew';
  add(ctx, '-rtc', rtc);
  if (c.offset === 'timezone' && c.timezone) ctx.env.push(['TZ', c.timezone]);
  for (const t of c.timers) {
    if (t.name === 'pit') {
      // delay is QEMU's default without kvm-pit; with it libvirt asks for delay explicitly
      const policy = t.tickpolicy ?? 'delay';
      if ((policy === 'delay' || policy === 'discard') && hasCap(ctx, 'kvm-pit-lost-tick-policy')) {
        add(ctx, '-global', `kvm-pit.lost_tick_policy=${policy}`);
      }
    } else if (t.name === 'hpet' && !hasCap(ctx, 'machine-hpet') && t.present === 'no') {
      add(ctx, '-no-hpet');
    }
  }
}

export function buildPM(ctx: BuildCtx): void {
  const def = ctx.def;
  if (def.allowReboot === false) add(ctx, '-no-reboot');
  add(ctx, '-no-shutdown');
  if (!hasFeature(def, 'acpi') && (def.os.arch === 'x86_64' || def.os.arch === 'i686')) add(ctx, '-no-acpi');
  const pm = def.raw.pm?.[0];
  if (pm) {
    const q35 = isQ35(def);
    const dev = q35 ? 'ICH9-LPC' : 'PIIX4_PM';
    for (const c of pm.children) {
      if (c.kind !== 'element') continue;
      const en = c.attrs.find((a) => a.name === 'enabled')?.value;
      if (!en) continue;
      const v = en === 'no' ? 1 : 0;
      if (c.local === 'suspend-to-mem') add(ctx, '-global', `${dev}.disable_s3=${v}`);
      if (c.local === 'suspend-to-disk') add(ctx, '-global', `${dev}.disable_s4=${v}`);
    }
  }
  void isI440fx;
}

export function buildBoot(ctx: BuildCtx): void {
  const os = ctx.def.os;
  const parts: string[] = [];
  if (os.bootmenu?.enable) parts.push(`menu=${os.bootmenu.enable === 'yes' ? 'on' : 'off'}`);
  if (os.rebootTimeout !== undefined) parts.push(`reboot-timeout=${os.rebootTimeout}`);
  if (os.bootmenu?.timeout !== undefined && os.bootmenu.enable === 'yes') parts.push(`splash-time=${os.bootmenu.timeout}`);
  parts.push('strict=on');
  add(ctx, '-boot', parts.join(','));
  if (os.kernel) add(ctx, '-kernel', os.kernel);
  if (os.initrd) add(ctx, '-initrd', os.initrd);
  if (os.cmdline !== undefined) add(ctx, '-append', os.cmdline);
  if (os.dtb) add(ctx, '-dtb', os.dtb);
}

export function buildSandbox(ctx: BuildCtx): void {
  if (ctx.cfg.seccompSandbox === 0) {
    if (hasCap(ctx, 'seccomp-sandbox')) add(ctx, '-sandbox', 'off');
    return;
  }
  if (hasCap(ctx, 'seccomp-sandbox') || ctx.cfg.seccompSandbox > 0) {
    add(ctx, '-sandbox', 'on,obsolete=deny,elevateprivileges=deny,spawn=deny,resourcecontrol=deny');
  }
}

export function buildMsg(ctx: BuildCtx): void {
  if (ctx.cfg.logTimestamp) add(ctx, '-msg', 'timestamp=on');
}

export function buildQemuCommandline(ctx: BuildCtx): void {
  const ns = ctx.def.qemu;
  if (!ns) return;
  add(ctx, ...ns.args);
  for (const e of ns.env) ctx.env.push([e.name, e.value ?? '']);
}

export function checkMachineSupported(ctx: BuildCtx): void {
  if (!ctx.def.os.machine) throw configUnsupported('no machine type', ErrorDomain.QEMU);
}
