// Shared state and helpers of the command builder.
import type { DomainDef } from '../../conf/domain/types.js';
import type { QemuCaps } from '../caps/types.js';
import type { QemuDriverConfig } from '../config.js';
import type { Host } from './host.js';

export type JsonValue = string | number | bigint | boolean | null | JsonValue[] | { [k: string]: JsonValue | undefined };
export type JsonProps = { [k: string]: JsonValue | undefined };

export interface BuildCtx {
  def: DomainDef;
  caps: QemuCaps;
  host: Host;
  cfg: QemuDriverConfig;
  argv: string[];
  env: Array<[string, string]>;
  fds: number[];
  /** Next fdset id (-add-fd set=N). */
  fdset: number;
  /** Per-VM private dir (libDir/domain-<shortname>). */
  libDir: string;
  shortName: string;
}

export function hasCap(ctx: BuildCtx, flag: string): boolean {
  return ctx.caps.flags.has(flag);
}

/** virQEMUBuildBufferEscapeComma */
export function escComma(s: string): string {
  return s.replace(/,/g, ',,');
}

/** Compact JSON with undefined members dropped (virJSONValueToString). */
export function json(obj: JsonProps): string {
  const s = JSON.stringify(obj, (_k, v) => (typeof v === 'bigint' ? `\u0000big:${v}\u0000` : v));
  return s.includes('\\u0000big:') ? s.replace(/"\\u0000big:(-?\d+)\\u0000"/g, '$1') : s;
}

/** Adds an env var; an existing name is replaced in place (virCommandAddEnv). */
export function addEnv(ctx: BuildCtx, name: string, value: string): void {
  const i = ctx.env.findIndex(([k]) => k === name);
  if (i >= 0) ctx.env[i] = [name, value];
  else ctx.env.push([name, value]);
}

export function add(ctx: BuildCtx, ...args: string[]): void {
  ctx.argv.push(...args);
}

/** `-add-fd set=N,fd=FD,opaque=…` and the /dev/fdset path. */
export function addFdSet(ctx: BuildCtx, fd: number, opaque: string): string {
  const set = ctx.fdset++;
  ctx.fds.push(fd);
  add(ctx, '-add-fd', `set=${set},fd=${fd},opaque=${opaque}`);
  return `/dev/fdset/${set}`;
}

/** virDomainDefGetShortName: "%d-%.20s" */
export function shortName(def: DomainDef): string {
  return `${def.id}-${[...def.name].slice(0, 20).join('')}`;
}

/** Applies <qemu:override> frontend properties to a -device JSON object. */
export function applyOverrides(ctx: BuildCtx, props: JsonProps): JsonProps {
  const ov = ctx.def.qemu?.overrides;
  if (!ov?.length) return props;
  const id = props.id;
  const o = ov.find((x) => x.alias === id);
  if (!o) return props;
  const out: JsonProps = { ...props };
  for (const p of o.frontend) {
    switch (p.type) {
      case 'remove':
        delete out[p.name];
        break;
      case 'string':
        out[p.name] = p.value ?? '';
        break;
      case 'signed':
      case 'unsigned':
        out[p.name] = Number(p.value);
        break;
      case 'bool':
        out[p.name] = p.value === 'true';
        break;
    }
  }
  return out;
}

/** `-device JSON` with overrides applied. */
export function addDevice(ctx: BuildCtx, props: JsonProps): void {
  add(ctx, '-device', json(applyOverrides(ctx, props)));
}
