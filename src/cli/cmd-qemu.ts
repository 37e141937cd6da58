// QEMU passthrough: qemu-monitor-command and qemu-monitor-event.
import type { Domain } from '../api/domain.js';
import { QemuMonitorCommandFlags } from '../driver/constants.js';
import type { Ctl } from './ctl.js';
import { waitEvents } from './events-wait.js';
import { jsonMember, reformatJSON } from './json.js';
import { timestampNow } from './strings.js';
import type { ParsedCmd } from './vsh.js';
import { optArgv, optBool, optString } from './vsh.js';

export async function cmdQemuMonitorCommand(ctl: Ctl, cmd: ParsedCmd): Promise<boolean> {
  ctl.exclusive(cmd, 'hmp', 'pretty');
  ctl.exclusive(cmd, 'hmp', 'return-value');
  const dom = await ctl.optDomain(cmd);
  const text = optArgv(cmd, 'cmd').join(' ');
  if (optString(cmd, 'pass-fds') !== undefined) {
    ctl.error('passing file descriptors (--pass-fds) is not supported by tsvirt');
    return false;
  }
  const flags = optBool(cmd, 'hmp') ? QemuMonitorCommandFlags.HMP : 0;
  const result = await dom.qemuMonitorCommand(text, flags);
  const pretty = optBool(cmd, 'pretty');
  if (optBool(cmd, 'return-value')) {
    const v = jsonMember(result, 'return', pretty);
    if (v === null) {
      ctl.error(`internal error: cannot parse json ${result}`);
      return false;
    }
    if (v === undefined) {
      ctl.error("'return' member missing");
      return false;
    }
    ctl.print(`${v.trimEnd()}\n`);
  } else if (pretty) {
    const v = reformatJSON(result, true);
    ctl.print(`${(v ?? result).trimEnd()}\n`);
  } else {
    ctl.print(`${result}\n`);
  }
  return true;
}

export async function cmdQemuMonitorEvent(ctl: Ctl, cmd: ParsedCmd): Promise<boolean> {
  const loop = optBool(cmd, 'loop');
  const pretty = optBool(cmd, 'pretty');
  const timestamp = optBool(cmd, 'timestamp');
  const event = optString(cmd, 'event') ?? null;
  let flags = 0;
  if (optBool(cmd, 'regex')) flags |= 1; // VIR_CONNECT_DOMAIN_QEMU_MONITOR_EVENT_REGISTER_REGEX
  if (optBool(cmd, 'no-case')) flags |= 2; // ..._NOCASE
  const timeout = ctl.optTimeoutMs(cmd);
  let dom: Domain | null = null;
  const domName = optString(cmd, 'domain');
  if (domName !== undefined) dom = await ctl.lookupDomain(domName);

  const sub = ctl.connection().qemuMonitorEvents(dom, event, flags);
  let count = 0;
  const outcome = await waitEvents(sub, timeout, (ev) => {
    let details = ev.details;
    if (pretty && details !== null) details = reformatJSON(details, true) ?? details;
    if (timestamp) {
      ctl.print(`${timestampNow()}: event ${ev.event} for domain '${ev.dom.name}': ${details ?? '<null>'}\n`);
    } else {
      const micros = String(ev.micros).padStart(6, '0');
      ctl.print(`event ${ev.event} at ${ev.seconds}.${micros} for domain '${ev.dom.name}': ${details ?? '<null>'}\n`);
    }
    count++;
    return loop; // one-shot unless --loop
  });
  if (outcome === 'closed') return false;
  if (outcome === 'interrupted') ctl.print('event loop interrupted\n');
  else if (outcome === 'timeout') ctl.print('event loop timed out\n');
  ctl.print(`events received: ${count}\n`);
  return count > 0;
}
