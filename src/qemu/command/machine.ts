// Top-level options: -name, -compat, -S, master key, -machine, -accel, -cpu, -bios, memory, -smp,
// -uuid, -display, monitor, clock, power management, boot, -sandbox, -msg.
import { hasFeature, featureState } from '../../conf/domain/types.js';
import { configUnsupported, ErrorDomain } from '../../util/errors.js';
import { cpuFeatureToQemu } from '../caps/flags.js';
import { getMachine } from '../caps/cache.js';
import { isQ35, isI440fx } from '../domain/machine.js';
import { pflashMachineProps } from './firmware.js';
import { memoryMachineProps } from './memory.js';
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
    case 'reject':
      o['deprecated-input'] = 'reject';
      o['deprecated-output'] = 'hide';
      break;
    case 'crash':
      o['deprecated-input'] = 'crash';
      o['deprecated-output'] = 'hide';
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
  if (hpet?.present === 'no' && hasCap(ctx, 'machine-hpet')) parts.push('hpet=off');
  add(ctx, '-machine', parts.join(','));
  add(ctx, '-accel', accelName(ctx));
}

export function buildCpu(ctx: BuildCtx): void {
  const def = ctx.def;
  const cpu = def.cpu;
  const parts: string[] = [];
  if (cpu?.mode === 'host-passthrough') parts.push('host');
  else if (cpu?.mode === 'maximum') parts.push('max');
  else if (cpu?.model) parts.push(cpu.model);
  else parts.push('qemu64');
  if (cpu?.mode === 'host-passthrough' && cpu.migratable === 'off') parts.push('migratable=off');
  for (const f of cpu?.features ?? []) {
    const name = cpuFeatureToQemu(f.name);
    if (f.policy === 'disable' || f.policy === 'forbid') parts.push(`${name}=off`);
    else if (f.policy === 'require' || f.policy === 'force' || f.policy === undefined) parts.push(`${name}=on`);
  }
  // features that map to -cpu flags
  const apicEoi = def.features.find((f) => f.name === 'apic')?.attrs.find(([k]) => k === 'eoi')?.[1];
  if (apicEoi) parts.push(`kvm-pv-eoi=${apicEoi}`);
  const pvs = featureState(def, 'pvspinlock');
  if (pvs) parts.push(`kvm-pv-unhalt=${pvs}`);
  const kvmclock = def.clock.timers.find((t) => t.name === 'kvmclock');
  if (kvmclock?.present) parts.push(`kvmclock=${kvmclock.present === 'yes' ? 'on' : 'off'}`);
  if (hasFeature(def, 'hyperv')) {
    const hv = def.features.find((f) => f.name === 'hyperv');
    for (const b of hv?.body ?? []) {
      const st = b.attrs.find((a) => a.name === 'state')?.value;
      if (st !== 'on') continue;
      switch (b.local) {
        case 'spinlocks': {
          const r = Number(b.attrs.find((a) => a.name === 'retries')?.value ?? 4095);
          parts.push(`hv-spinlocks=0x${r.toString(16)}`);
          break;
        }
        case 'vendor_id':
          parts.push(`hv-vendor-id=${b.attrs.find((a) => a.name === 'value')?.value ?? ''}`);
          break;
        case 'stimer': {
          parts.push('hv-stimer=on');
          const direct = b.children.find((c) => c.kind === 'element' && c.local === 'direct');
          if (direct && direct.kind === 'element' && direct.attrs.find((a) => a.name === 'state')?.value === 'on') parts.push('hv-stimer-direct=on');
          break;
        }
        default:
          parts.push(`hv-${b.local.replace(/_/g, '-')}=on`);
      }
    }
  }
  const pmu = featureState(def, 'pmu');
  if (pmu) parts.push(`pmu=${pmu}`);
  add(ctx, '-cpu', parts.join(','));
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
  switch (c.offset) {
    case 'localtime':
      rtc = 'base=localtime';
      break;
    case 'absolute': {
      const d = new Date((c.start ?? 0) * 1000).toISOString().slice(0, 19);
      rtc = `base=${d}`;
      break;
    }
    default:
      rtc = 'base=utc';
  }
  const rtcTimer = c.timers.find((t) => t.name === 'rtc');
  if (rtcTimer?.track === 'guest') rtc += ',clock=vm';
  else if (rtcTimer?.track === 'realtime') rtc += ',clock=rt';
  if (rtcTimer?.tickpolicy === 'catchup') rtc += ',driftfix=slew';
  add(ctx, '-rtc', rtc);
  const pit = c.timers.find((t) => t.name === 'pit');
  if (pit?.tickpolicy === 'delay') add(ctx, '-global', 'kvm-pit.lost_tick_policy=delay');
  else if (pit?.tickpolicy === 'discard') add(ctx, '-global', 'kvm-pit.lost_tick_policy=discard');
}

export function buildPM(ctx: BuildCtx): void {
  const def = ctx.def;
  if (def.onReboot !== 'restart') add(ctx, '-no-reboot');
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
  if (os.bootmenu?.timeout !== undefined && os.bootmenu.enable === 'yes') parts.push(`splash-time=${os.bootmenu.timeout}`);
  if (os.rebootTimeout !== undefined) parts.push(`reboot-timeout=${os.rebootTimeout}`);
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
