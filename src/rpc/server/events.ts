// Event callbacks: each REGISTER call gets a daemon-wide callbackID; lifecycle and reboot
// callbacks subscribe to the driver and forward its events as MESSAGE packets (serial 1).
import type { DomainRef, EventSubscription } from '../../driver/api.js';
import { DOMAIN_EVENT_ID_LAST, DomainEventId } from '../../driver/constants.js';
import { ErrorCode, ErrorDomain, virError } from '../../util/errors.js';
import { domFromWire, domToWire } from '../domain-ref.js';
import type { remote_domain } from '../gen/types.js';
import { QEMU, REMOTE, procNum } from '../protocol.js';
import type { CallContext } from './dispatch.js';

let nextCallbackId = 0;

const LIFECYCLE_PROC = procNum(REMOTE, 'DOMAIN_EVENT_CALLBACK_LIFECYCLE');
const REBOOT_PROC = procNum(REMOTE, 'DOMAIN_EVENT_CALLBACK_REBOOT');
const QEMU_EVENT_PROC = procNum(QEMU, 'DOMAIN_MONITOR_EVENT');

function pumpEvents<T>(sub: EventSubscription<T>, fn: (ev: T) => void): void {
  void (async () => {
    try {
      for await (const ev of sub) fn(ev);
    } catch {
      // The driver ended the subscription with an error: nothing more to forward.
    }
  })();
}

export function registerDomainEvent(ctx: CallContext, eventID: number, dom: remote_domain): number {
  if (eventID < 0 || eventID >= DOMAIN_EVENT_ID_LAST) {
    throw virError(ErrorCode.INTERNAL_ERROR, ErrorDomain.RPC, `unsupported event ID ${eventID}`);
  }
  const { client, driver } = ctx;
  const callbackID = nextCallbackId++;
  const filter: DomainRef | null = dom ? domFromWire(dom) : null;
  if (eventID === DomainEventId.LIFECYCLE || eventID === DomainEventId.REBOOT) {
    const sub = driver.domainEvents(filter);
    client.callbacks.set(callbackID, sub);
    pumpEvents(sub, (ev) => {
      if (eventID === DomainEventId.LIFECYCLE && ev.kind === 'lifecycle') {
        client.event(REMOTE.prog, LIFECYCLE_PROC, 'remote_domain_event_callback_lifecycle_msg', {
          callbackID, msg: { dom: domToWire(ev.dom), event: ev.event, detail: ev.detail },
        });
      } else if (eventID === DomainEventId.REBOOT && ev.kind === 'reboot') {
        client.event(REMOTE.prog, REBOOT_PROC, 'remote_domain_event_callback_reboot_msg', { callbackID, msg: { dom: domToWire(ev.dom) } });
      }
    });
  } else {
    // A valid event the driver never emits: registered, silent.
    client.callbacks.set(callbackID, { close() {} });
  }
  return callbackID;
}

export function deregisterCallback(ctx: CallContext, callbackID: number): void {
  const cb = ctx.client.callbacks.get(callbackID);
  if (!cb) {
    throw virError(ErrorCode.INTERNAL_ERROR, ErrorDomain.RPC, `no domain event callback ID ${callbackID}`);
  }
  cb.close();
  ctx.client.callbacks.delete(callbackID);
}

export function registerQemuMonitorEvent(ctx: CallContext, dom: remote_domain, event: string | null, flags: number): number {
  const { client, driver } = ctx;
  const callbackID = nextCallbackId++;
  const sub = driver.qemuMonitorEvents(dom ? domFromWire(dom) : null, event, flags);
  client.callbacks.set(callbackID, sub);
  pumpEvents(sub, (ev) => {
    client.event(QEMU.prog, QEMU_EVENT_PROC, 'qemu_domain_monitor_event_msg', {
      callbackID, dom: domToWire(ev.dom), event: ev.event, seconds: BigInt(ev.seconds), micros: ev.micros, details: ev.details,
    });
  });
  return callbackID;
}
