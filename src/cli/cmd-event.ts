// `event`: list event types or wait for domain events, printed as virsh-domain-event.c does.
import type { Domain } from '../api/domain.js';
import type { DomainEvent } from '../driver/api.js';
import type { Ctl } from './ctl.js';
import { waitEvents } from './events-wait.js';
import { EVENT_NAMES, lifecycleDetailToString, lifecycleEventToString, timestampNow } from './strings.js';
import type { ParsedCmd } from './vsh.js';
import { optBool, optString } from './vsh.js';

/** The line virsh prints for an event, or null for kinds this CLI does not know. */
export function formatDomainEvent(ev: DomainEvent): string | null {
  switch (ev.kind) {
    case 'lifecycle':
      return `event 'lifecycle' for domain '${ev.dom.name}': ${lifecycleEventToString(ev.event)} ${lifecycleDetailToString(ev.event, ev.detail)}\n`;
    case 'reboot':
      return `event 'reboot' for domain '${ev.dom.name}'\n`;
    default:
      return null;
  }
}

export async function cmdEvent(ctl: Ctl, cmd: ParsedCmd): Promise<boolean> {
  const all = optBool(cmd, 'all');
  const loop = optBool(cmd, 'loop');
  const timestamp = optBool(cmd, 'timestamp');
  ctl.exclusive(cmd, 'all', 'event');
  ctl.exclusive(cmd, 'list', 'all');
  ctl.exclusive(cmd, 'list', 'event');
  if (optBool(cmd, 'list')) {
    ctl.print(EVENT_NAMES.map((n) => `${n}\n`).join(''));
    return true;
  }
  const eventName = optString(cmd, 'event');
  if (eventName === undefined && !all) {
    ctl.error('one of --list, --all, or --event <type> is required');
    return false;
  }
  if (eventName !== undefined && !EVENT_NAMES.includes(eventName)) {
    ctl.error(`unknown event type ${eventName}`);
    return false;
  }
  const timeout = ctl.optTimeoutMs(cmd);
  let dom: Domain | null = null;
  const domName = optString(cmd, 'domain');
  if (domName !== undefined) dom = await ctl.lookupDomain(domName);

  const sub = ctl.connection().domainEvents(dom);
  let count = 0;
  const outcome = await waitEvents(sub, timeout, (ev) => {
    if (eventName !== undefined && ev.kind !== eventName) return true;
    const msg = formatDomainEvent(ev);
    if (msg === null) return true;
    ctl.print(timestamp ? `${timestampNow()}: ${msg}` : msg);
    count++;
    return loop;
  });
  if (outcome === 'closed') return false;
  if (outcome === 'interrupted') ctl.print('event loop interrupted\n');
  else if (outcome === 'timeout') ctl.print('event loop timed out\n');
  ctl.print(`events received: ${count}\n`);
  return count > 0;
}
