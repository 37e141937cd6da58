// Graphics setup of a started QEMU before its vCPUs run (libvirt's qemuProcessInitPasswords and
// qemuDomainChangeGraphicsPasswords): `-vnc …,password=on` / SPICE without disable-ticketing start
// with no valid password, so the driver sets it over QMP and then when it expires.
import type { GraphicsAuth } from '../../conf/domain/devices/graphics.js';
import type { DomainDef } from '../../conf/domain/index.js';
import type { QemuDriverConfig } from '../config.js';
import type { QmpClient } from '../monitor/qmp.js';

/** What `expire_password` is given: 'now' for an empty or past password, the epoch time, or 'never'. */
export function passwordExpiry(auth: GraphicsAuth, password: string, nowSeconds: number): string {
  if (auth.validTo === undefined) return password === '' ? 'now' : 'never';
  // passwdValidTo is UTC (libvirt parses it with timegm)
  const validTo = Math.floor(Date.parse(`${auth.validTo}Z`) / 1000);
  if (password === '' || validTo <= nowSeconds) return 'now';
  return String(validTo);
}

/** Whether any VNC/SPICE device needs a password set (no monitor traffic otherwise). */
export function needsGraphicsPasswords(def: DomainDef, cfg: QemuDriverConfig): boolean {
  return def.devices.graphics.some(
    (g) => (g.type === 'vnc' && (g.auth.passwd !== undefined || cfg.vncPassword !== undefined)) || (g.type === 'spice' && (g.auth.passwd !== undefined || cfg.spicePassword !== undefined)),
  );
}

/** qemuProcessInitPasswords: set_password + expire_password for each VNC/SPICE device with a password. */
export async function initGraphicsPasswords(qmp: QmpClient, def: DomainDef, cfg: QemuDriverConfig, signal?: AbortSignal): Promise<void> {
  if (!needsGraphicsPasswords(def, cfg)) return;
  for (const g of def.devices.graphics) {
    if (g.type !== 'vnc' && g.type !== 'spice') continue;
    const password = g.auth.passwd ?? (g.type === 'vnc' ? cfg.vncPassword : cfg.spicePassword);
    if (password === undefined) continue;
    // QEMU accepts only 'keep' for VNC; libvirt sends the XML's value, 'keep' by default.
    await qmp.execute('set_password', { protocol: g.type, password, connected: g.auth.connected ?? 'keep' }, { signal });
    await qmp.execute('expire_password', { protocol: g.type, time: passwordExpiry(g.auth, password, Math.floor(Date.now() / 1000)) }, { signal });
  }
}
