// RemoteDriver: HypervisorDriver over libvirt's wire protocol, to tsvirtd or a real libvirtd.
import type { Duplex } from 'node:stream';
import type {
  DomainCapsQuery, DomainEvent, DomainInfo, DomainRef, DomainStateInfo, EventSubscription, HypervisorDriver,
  NodeInfo, QemuMonitorEvent,
} from '../../driver/api.js';
import type { DomainStateValue } from '../../driver/constants.js';
import { ErrorCode, VirError } from '../../util/errors.js';
import { AsyncQueue } from '../async-queue.js';
import { charsToString, domFromWire, domToWire, uuidToBytes } from '../domain-ref.js';
import type {
  QemuCalls, qemu_domain_monitor_event_msg, RemoteCalls, remote_domain_event_callback_lifecycle_msg,
  remote_domain_event_callback_reboot_msg,
} from '../gen/types.js';
import { QEMU, REMOTE } from '../protocol.js';
import type { RpcClient } from './connection.js';
import { ClientStream } from './stream.js';

/** Event ids the remote driver subscribes to for domainEvents(). */
const EV_LIFECYCLE = 0;
const EV_REBOOT = 1;

export class RemoteEventSubscription<T> extends AsyncQueue<T> implements EventSubscription<T> {
  /** Resolves once the server has accepted the registration (rejects if it refused). */
  ready: Promise<void> = Promise.resolve();
}

export class RemoteDriver implements HypervisorDriver {
  private readonly domainSubs = new Map<number, { kind: 'lifecycle' | 'reboot'; q: AsyncQueue<DomainEvent> }>();
  private readonly qemuSubs = new Map<number, AsyncQueue<QemuMonitorEvent>>();
  private readonly subs = new Set<AsyncQueue<unknown>>();

  constructor(
    readonly client: RpcClient,
    private readonly uri: string,
  ) {
    client.onMessage(REMOTE, 'DOMAIN_EVENT_CALLBACK_LIFECYCLE', (b) => {
      const m = b as remote_domain_event_callback_lifecycle_msg;
      const s = this.domainSubs.get(m.callbackID);
      if (s) s.q.push({ kind: 'lifecycle', dom: domFromWire(m.msg.dom), event: m.msg.event, detail: m.msg.detail });
    });
    client.onMessage(REMOTE, 'DOMAIN_EVENT_CALLBACK_REBOOT', (b) => {
      const m = b as remote_domain_event_callback_reboot_msg;
      const s = this.domainSubs.get(m.callbackID);
      if (s) s.q.push({ kind: 'reboot', dom: domFromWire(m.msg.dom) });
    });
    client.onMessage(QEMU, 'DOMAIN_MONITOR_EVENT', (b) => {
      const m = b as qemu_domain_monitor_event_msg;
      this.qemuSubs.get(m.callbackID)?.push({
        dom: domFromWire(m.dom), event: m.event, seconds: Number(m.seconds), micros: m.micros, details: m.details,
      });
    });
    client.onClose((err) => {
      for (const q of this.subs) q.close(err);
      this.subs.clear();
    });
  }

  /** Calls any remote-program procedure. */
  call<K extends keyof RemoteCalls>(proc: K, args: RemoteCalls[K][0]): Promise<RemoteCalls[K][1]> {
    return this.client.call(REMOTE, proc, args);
  }

  /** Calls any qemu-program procedure. */
  callQemu<K extends keyof QemuCalls>(proc: K, args: QemuCalls[K][0]): Promise<QemuCalls[K][1]> {
    return this.client.call(QEMU, proc, args);
  }

  /**
   * virConnectGetURI is answered by the client: the URI it was opened with, exactly as given (transport,
   * socket and other parameters included). Only a connection opened without one asks the daemon.
   */
  async getURI(): Promise<string> {
    if (this.uri) return this.uri;
    return (await this.call('CONNECT_GET_URI', undefined)).uri;
  }
  async getType(): Promise<string> {
    return (await this.call('CONNECT_GET_TYPE', undefined)).type;
  }
  async getVersion(): Promise<number> {
    return Number((await this.call('CONNECT_GET_VERSION', undefined)).hv_ver);
  }
  async getLibVersion(): Promise<number> {
    return Number((await this.call('CONNECT_GET_LIB_VERSION', undefined)).lib_ver);
  }
  async getHostname(): Promise<string> {
    return (await this.call('CONNECT_GET_HOSTNAME', undefined)).hostname;
  }
  async getCapabilities(): Promise<string> {
    return (await this.call('CONNECT_GET_CAPABILITIES', undefined)).capabilities;
  }
  async getDomainCapabilities(q: DomainCapsQuery): Promise<string> {
    const r = await this.call('CONNECT_GET_DOMAIN_CAPABILITIES', {
      emulatorbin: q.emulatorbin ?? null, arch: q.arch ?? null, machine: q.machine ?? null, virttype: q.virttype ?? null,
      flags: q.flags ?? 0,
    });
    return r.capabilities;
  }
  async nodeGetInfo(): Promise<NodeInfo> {
    const r = await this.call('NODE_GET_INFO', undefined);
    return {
      model: charsToString(r.model), memory: Number(r.memory), cpus: r.cpus, mhz: r.mhz, nodes: r.nodes,
      sockets: r.sockets, cores: r.cores, threads: r.threads,
    };
  }

  async listAllDomains(flags = 0): Promise<DomainRef[]> {
    const r = await this.call('CONNECT_LIST_ALL_DOMAINS', { need_results: 1, flags });
    return r.domains.map(domFromWire);
  }
  async lookupByName(name: string): Promise<DomainRef> {
    return domFromWire((await this.call('DOMAIN_LOOKUP_BY_NAME', { name })).dom);
  }
  async lookupByUUID(uuid: string): Promise<DomainRef> {
    return domFromWire((await this.call('DOMAIN_LOOKUP_BY_UUID', { uuid: uuidToBytes(uuid) })).dom);
  }
  async lookupByID(id: number): Promise<DomainRef> {
    return domFromWire((await this.call('DOMAIN_LOOKUP_BY_ID', { id })).dom);
  }

  async defineXML(xml: string, flags = 0): Promise<DomainRef> {
    if (flags === 0) return domFromWire((await this.call('DOMAIN_DEFINE_XML', { xml })).dom);
    return domFromWire((await this.call('DOMAIN_DEFINE_XML_FLAGS', { xml, flags })).dom);
  }
  async createXML(xml: string, flags = 0, signal?: AbortSignal): Promise<DomainRef> {
    return domFromWire((await abortable(this.call('DOMAIN_CREATE_XML', { xml_desc: xml, flags }), signal)).dom);
  }
  async undefine(dom: DomainRef, flags = 0): Promise<void> {
    try {
      await this.call('DOMAIN_UNDEFINE_FLAGS', { dom: domToWire(dom), flags });
    } catch (e) {
      if (!(e instanceof VirError && e.code === ErrorCode.NO_SUPPORT && flags === 0)) throw e;
      await this.call('DOMAIN_UNDEFINE', { dom: domToWire(dom) });
    }
  }
  async create(dom: DomainRef, flags = 0, signal?: AbortSignal): Promise<DomainRef> {
    const r = await abortable(this.call('DOMAIN_CREATE_WITH_FLAGS', { dom: domToWire(dom), flags }), signal);
    return domFromWire(r.dom);
  }
  async shutdown(dom: DomainRef, flags = 0): Promise<void> {
    if (flags === 0) await this.call('DOMAIN_SHUTDOWN', { dom: domToWire(dom) });
    else await this.call('DOMAIN_SHUTDOWN_FLAGS', { dom: domToWire(dom), flags });
  }
  async destroy(dom: DomainRef, flags = 0, signal?: AbortSignal): Promise<void> {
    if (flags === 0) await abortable(this.call('DOMAIN_DESTROY', { dom: domToWire(dom) }), signal);
    else await abortable(this.call('DOMAIN_DESTROY_FLAGS', { dom: domToWire(dom), flags }), signal);
  }
  async reboot(dom: DomainRef, flags = 0): Promise<void> {
    await this.call('DOMAIN_REBOOT', { dom: domToWire(dom), flags });
  }
  async reset(dom: DomainRef, flags = 0): Promise<void> {
    await this.call('DOMAIN_RESET', { dom: domToWire(dom), flags });
  }
  async suspend(dom: DomainRef): Promise<void> {
    await this.call('DOMAIN_SUSPEND', { dom: domToWire(dom) });
  }
  async resume(dom: DomainRef): Promise<void> {
    await this.call('DOMAIN_RESUME', { dom: domToWire(dom) });
  }

  async getXMLDesc(dom: DomainRef, flags = 0): Promise<string> {
    return (await this.call('DOMAIN_GET_XML_DESC', { dom: domToWire(dom), flags })).xml;
  }
  async getState(dom: DomainRef, flags = 0): Promise<DomainStateInfo> {
    const r = await this.call('DOMAIN_GET_STATE', { dom: domToWire(dom), flags });
    return { state: r.state as DomainStateValue, reason: r.reason };
  }
  async getInfo(dom: DomainRef): Promise<DomainInfo> {
    const r = await this.call('DOMAIN_GET_INFO', { dom: domToWire(dom) });
    return {
      state: r.state as DomainStateValue, maxMem: Number(r.maxMem), memory: Number(r.memory), nrVirtCpu: r.nrVirtCpu,
      cpuTime: r.cpuTime,
    };
  }
  async getAutostart(dom: DomainRef): Promise<boolean> {
    return (await this.call('DOMAIN_GET_AUTOSTART', { dom: domToWire(dom) })).autostart !== 0;
  }
  async setAutostart(dom: DomainRef, autostart: boolean): Promise<void> {
    await this.call('DOMAIN_SET_AUTOSTART', { dom: domToWire(dom), autostart: autostart ? 1 : 0 });
  }
  async isActive(dom: DomainRef): Promise<boolean> {
    return (await this.call('DOMAIN_IS_ACTIVE', { dom: domToWire(dom) })).active !== 0;
  }
  async isPersistent(dom: DomainRef): Promise<boolean> {
    return (await this.call('DOMAIN_IS_PERSISTENT', { dom: domToWire(dom) })).persistent !== 0;
  }

  async domainXMLToNative(format: string, xml: string, flags = 0): Promise<string> {
    return (await this.call('CONNECT_DOMAIN_XML_TO_NATIVE', { nativeFormat: format, domainXml: xml, flags })).nativeConfig;
  }
  async domainXMLFromNative(format: string, config: string, flags = 0): Promise<string> {
    return (await this.call('CONNECT_DOMAIN_XML_FROM_NATIVE', { nativeFormat: format, nativeConfig: config, flags })).domainXml;
  }

  async qemuMonitorCommand(dom: DomainRef, cmd: string, flags = 0, signal?: AbortSignal): Promise<string> {
    return (await abortable(this.callQemu('DOMAIN_MONITOR_COMMAND', { dom: domToWire(dom), cmd, flags }), signal)).result;
  }

  async openConsole(dom: DomainRef, devName: string | null, flags = 0): Promise<Duplex> {
    const s = new ClientStream();
    await this.client.call(REMOTE, 'DOMAIN_OPEN_CONSOLE', { dom: domToWire(dom), dev_name: devName, flags }, s);
    return s;
  }

  domainEvents(dom?: DomainRef | null): EventSubscription<DomainEvent> {
    const ids: number[] = [];
    const q: RemoteEventSubscription<DomainEvent> = new RemoteEventSubscription<DomainEvent>(() => {
      this.subs.delete(q as AsyncQueue<unknown>);
      void q.ready.catch(() => {}).then(() => this.deregister(ids));
    });
    this.subs.add(q as AsyncQueue<unknown>);
    const filter = dom ? domToWire(dom) : null;
    q.ready = (async () => {
      for (const [eventID, kind] of [[EV_LIFECYCLE, 'lifecycle'], [EV_REBOOT, 'reboot']] as const) {
        const r = await this.call('CONNECT_DOMAIN_EVENT_CALLBACK_REGISTER_ANY', { eventID, dom: filter });
        ids.push(r.callbackID);
        this.domainSubs.set(r.callbackID, { kind, q });
      }
    })();
    q.ready.catch((e) => q.close(e));
    return q;
  }

  private async deregister(ids: number[]): Promise<void> {
    for (const id of ids) {
      this.domainSubs.delete(id);
      if (!this.client.isClosed) await this.call('CONNECT_DOMAIN_EVENT_CALLBACK_DEREGISTER_ANY', { callbackID: id }).catch(() => {});
    }
  }

  qemuMonitorEvents(dom?: DomainRef | null, event?: string | null, flags = 0): EventSubscription<QemuMonitorEvent> {
    let id: number | null = null;
    const q: RemoteEventSubscription<QemuMonitorEvent> = new RemoteEventSubscription<QemuMonitorEvent>(() => {
      this.subs.delete(q as AsyncQueue<unknown>);
      void q.ready.catch(() => {}).then(async () => {
        if (id === null) return;
        this.qemuSubs.delete(id);
        if (!this.client.isClosed) await this.callQemu('CONNECT_DOMAIN_MONITOR_EVENT_DEREGISTER', { callbackID: id }).catch(() => {});
      });
    });
    this.subs.add(q as AsyncQueue<unknown>);
    q.ready = (async () => {
      const r = await this.callQemu('CONNECT_DOMAIN_MONITOR_EVENT_REGISTER', { dom: dom ? domToWire(dom) : null, event: event ?? null, flags });
      id = r.callbackID;
      this.qemuSubs.set(id, q);
    })();
    q.ready.catch((e) => q.close(e));
    return q;
  }

  async close(): Promise<void> {
    if (this.client.isClosed) return;
    for (const q of [...this.subs]) q.close();
    try {
      await this.call('CONNECT_CLOSE', undefined);
    } catch {
      // The connection may already be gone; closing is best effort.
    }
    this.client.end();
    await Promise.race([this.client.closed, new Promise((r) => setTimeout(r, 1000).unref())]);
    this.client.destroy();
  }
}

function abortable<T>(p: Promise<T>, signal?: AbortSignal): Promise<T> {
  if (!signal) return p;
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e) => {
        signal.removeEventListener('abort', onAbort);
        reject(e);
      },
    );
  });
}
