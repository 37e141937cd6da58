// USB redirection (qemuBuildRedirdevCommandLine): the chardev backend, then a usb-redir device with
// the <redirfilter> rules and boot index.
import { parseChrSource } from '../../conf/domain/devices/chardev.js';
import type { GenericDevice } from '../../conf/domain/devices/generic.js';
import { attr, children } from '../../util/xml.js';
import { addressProps } from './address.js';
import { chardevArg } from './chardev.js';
import { add, addDevice, type BuildCtx, type JsonProps } from './util.js';

const hexOr = (v: string | undefined, width: number): string => {
  if (v === undefined || v === '-1') return '-1';
  const n = Number(v);
  return Number.isInteger(n) && n >= 0 ? `0x${n.toString(16).toUpperCase().padStart(width, '0')}` : '-1';
};

/** The usb-redir "filter" property: class:vendor:product:version:allow rules joined by '|'. */
export function redirFilterString(filter: GenericDevice | undefined): string | undefined {
  if (!filter) return undefined;
  const rules = children(filter.xml, 'usbdev').map((u) => {
    const version = attr(u, 'version');
    let ver = '-1';
    if (version !== undefined && version !== '-1') {
      const [maj, min = '0'] = version.split('.');
      ver = `0x${((Number.parseInt(maj, 16) << 8) | Number.parseInt(min, 16)).toString(16).toUpperCase().padStart(4, '0')}`;
    }
    const allow = attr(u, 'allow') === 'yes' ? 1 : 0;
    return `${hexOr(attr(u, 'class'), 2)}:${hexOr(attr(u, 'vendor'), 4)}:${hexOr(attr(u, 'product'), 4)}:${ver}:${allow}`;
  });
  return rules.length ? rules.join('|') : undefined;
}

export function buildRedirdevs(ctx: BuildCtx): void {
  const filter = redirFilterString(ctx.def.devices.redirfilter);
  for (const r of ctx.def.devices.redirdevs) {
    const alias = r.info.alias ?? 'redir0';
    const src = parseChrSource(r.xml);
    if (src.type === 'spicevmc') src.channel ??= 'usbredir';
    const id = `char${alias}`;
    add(ctx, '-chardev', chardevArg(ctx, src, id, alias));
    const p: JsonProps = { driver: 'usb-redir', chardev: id, id: alias, filter };
    const boot = r.info.effectiveBootIndex ?? r.info.bootIndex;
    if (boot) p.bootindex = boot;
    addDevice(ctx, { ...p, ...addressProps(ctx, r.info) });
  }
}
