// Procedure handlers: thin adapters from the wire structs to HypervisorDriver calls.
import type { DomainRef } from '../../driver/api.js';
import { DomainXMLFlags } from '../../driver/constants.js';
import { ErrorCode, ErrorDomain, virError } from '../../util/errors.js';
import { domFromWire, domToWire, stringToChars } from '../domain-ref.js';
import type { QemuCalls, RemoteCalls, remote_nonnull_domain } from '../gen/types.js';
import { QEMU, REMOTE } from '../protocol.js';
import { type CallContext, type Handler, type HandlerTable, notOpenError, readOnlyDenied } from './dispatch.js';
import { deregisterCallback, registerDomainEvent, registerQemuMonitorEvent } from './events.js';
import { ServerStream } from './stream.js';

/**
 * Optional driver methods the daemon uses when a driver has them (virsh dominfo/undefine ask for
 * these); without them tsvirtd answers like libvirtd does for a guest with none of those things.
 */
export interface DriverExtras {
  getOSType(dom: DomainRef): Promise<string>;
  hasManagedSaveImage(dom: DomainRef, flags: number): Promise<boolean>;
  snapshotNum(dom: DomainRef, flags: number): Promise<number>;
  getSecurityModel(): Promise<{ model: string; doi: string }>;
  getSecurityLabel(dom: DomainRef): Promise<{ label: string; enforcing: boolean }>;
  getMessages(dom: DomainRef, flags: number): Promise<string[]>;
}

function extra<K extends keyof DriverExtras>(ctx: CallContext, k: K): DriverExtras[K] | null {
  const f = (ctx.driver as unknown as Partial<DriverExtras>)[k];
  return typeof f === 'function' ? (f.bind(ctx.driver) as DriverExtras[K]) : null;
}

const VIR_DRV_FEATURE_PROGRAM_KEEPALIVE = 10;
const SUPPORTED_FEATURES = new Set([VIR_DRV_FEATURE_PROGRAM_KEEPALIVE, 14 /* REMOTE_EVENT_CALLBACK */, 15 /* REMOTE_CLOSE_CALLBACK */]);

type RemoteHandlers = { [K in keyof RemoteCalls]?: (ctx: CallContext, a: RemoteCalls[K][0]) => Promise<RemoteCalls[K][1] extends undefined ? unknown : RemoteCalls[K][1]> };
type QemuHandlers = { [K in keyof QemuCalls]?: (ctx: CallContext, a: QemuCalls[K][0]) => Promise<QemuCalls[K][1] extends undefined ? unknown : QemuCalls[K][1]> };

const d = (w: remote_nonnull_domain): DomainRef => domFromWire(w);
const count = (n: number) => Math.max(0, n);

const remote: RemoteHandlers = {
  AUTH_LIST: async () => ({ types: [0] }),

  CONNECT_SUPPORTS_FEATURE: async (ctx, a) => {
    if (a.feature === VIR_DRV_FEATURE_PROGRAM_KEEPALIVE) {
      ctx.client.startKeepalive();
      return { supported: 1 };
    }
    if (!ctx.client.opened) throw notOpenError();
    return { supported: SUPPORTED_FEATURES.has(a.feature) ? 1 : 0 };
  },

  CONNECT_OPEN: async (ctx, a) => {
    const c = ctx.client;
    if (c.opened) {
      // libvirtd also drops the open connection in this case.
      c.opened = false;
      throw virError(ErrorCode.INTERNAL_ERROR, ErrorDomain.RPC, 'connection already open');
    }
    const name = a.name ?? '';
    if (name !== '' && !/^qemu(\+\w+)?:/.test(name)) {
      throw virError(ErrorCode.NO_CONNECT, ErrorDomain.NONE, name);
    }
    if (a.flags & 1) c.readonly = true;
    c.opened = true;
    return undefined;
  },

  CONNECT_CLOSE: async (ctx) => {
    ctx.client.opened = false;
    ctx.afterReply = () => ctx.client.closeAfterFlush();
    return undefined;
  },

  CONNECT_REGISTER_CLOSE_CALLBACK: async () => undefined,
  CONNECT_UNREGISTER_CLOSE_CALLBACK: async () => undefined,
  CONNECT_IS_SECURE: async (ctx) => ({ secure: ctx.client.transport === 'unix' ? 1 : 0 }),
  CONNECT_GET_URI: async (ctx) => ({ uri: await ctx.driver.getURI() }),
  CONNECT_GET_TYPE: async (ctx) => ({ type: await ctx.driver.getType() }),
  CONNECT_GET_VERSION: async (ctx) => ({ hv_ver: BigInt(await ctx.driver.getVersion()) }),
  CONNECT_GET_LIB_VERSION: async (ctx) => ({ lib_ver: BigInt(await ctx.driver.getLibVersion()) }),
  CONNECT_GET_HOSTNAME: async (ctx) => ({ hostname: await ctx.driver.getHostname() }),
  CONNECT_GET_CAPABILITIES: async (ctx) => ({ capabilities: await ctx.driver.getCapabilities() }),
  CONNECT_GET_DOMAIN_CAPABILITIES: async (ctx, a) => ({
    capabilities: await ctx.driver.getDomainCapabilities({
      emulatorbin: a.emulatorbin, arch: a.arch, machine: a.machine, virttype: a.virttype, flags: a.flags,
    }),
  }),
  NODE_GET_INFO: async (ctx) => {
    const n = await ctx.driver.nodeGetInfo();
    return {
      model: stringToChars(n.model, 32), memory: BigInt(n.memory), cpus: n.cpus, mhz: n.mhz, nodes: n.nodes,
      sockets: n.sockets, cores: n.cores, threads: n.threads,
    };
  },
  NODE_GET_SECURITY_MODEL: async (ctx) => {
    const f = extra(ctx, 'getSecurityModel');
    const m = f ? await f() : { model: 'none', doi: '0' };
    return { model: stringToChars(m.model), doi: stringToChars(m.doi) };
  },

  CONNECT_LIST_ALL_DOMAINS: async (ctx, a) => {
    const doms = await ctx.driver.listAllDomains(a.flags);
    return { domains: a.need_results ? doms.map(domToWire) : [], ret: doms.length };
  },
  CONNECT_NUM_OF_DOMAINS: async (ctx) => ({ num: (await ctx.driver.listAllDomains(1)).length }),
  CONNECT_LIST_DOMAINS: async (ctx, a) => ({
    ids: (await ctx.driver.listAllDomains(1)).map((x) => x.id).slice(0, count(a.maxids)),
  }),
  CONNECT_NUM_OF_DEFINED_DOMAINS: async (ctx) => ({ num: (await ctx.driver.listAllDomains(2)).length }),
  CONNECT_LIST_DEFINED_DOMAINS: async (ctx, a) => ({
    names: (await ctx.driver.listAllDomains(2)).map((x) => x.name).slice(0, count(a.maxnames)),
  }),

  DOMAIN_LOOKUP_BY_NAME: async (ctx, a) => ({ dom: domToWire(await ctx.driver.lookupByName(a.name)) }),
  DOMAIN_LOOKUP_BY_UUID: async (ctx, a) => {
    const hex = Buffer.from(a.uuid).toString('hex');
    const uuid = `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
    return { dom: domToWire(await ctx.driver.lookupByUUID(uuid)) };
  },
  DOMAIN_LOOKUP_BY_ID: async (ctx, a) => ({ dom: domToWire(await ctx.driver.lookupByID(a.id)) }),

  DOMAIN_DEFINE_XML: async (ctx, a) => ({ dom: domToWire(await ctx.driver.defineXML(a.xml, 0)) }),
  DOMAIN_DEFINE_XML_FLAGS: async (ctx, a) => ({ dom: domToWire(await ctx.driver.defineXML(a.xml, a.flags)) }),
  DOMAIN_CREATE_XML: async (ctx, a) => ({ dom: domToWire(await ctx.driver.createXML(a.xml_desc, a.flags)) }),
  DOMAIN_CREATE: async (ctx, a) => {
    await ctx.driver.create(d(a.dom), 0);
    return undefined;
  },
  DOMAIN_CREATE_WITH_FLAGS: async (ctx, a) => ({ dom: domToWire(await ctx.driver.create(d(a.dom), a.flags)) }),
  DOMAIN_UNDEFINE: async (ctx, a) => ctx.driver.undefine(d(a.dom), 0),
  DOMAIN_UNDEFINE_FLAGS: async (ctx, a) => ctx.driver.undefine(d(a.dom), a.flags),
  DOMAIN_SHUTDOWN: async (ctx, a) => ctx.driver.shutdown(d(a.dom), 0),
  DOMAIN_SHUTDOWN_FLAGS: async (ctx, a) => ctx.driver.shutdown(d(a.dom), a.flags),
  DOMAIN_DESTROY: async (ctx, a) => ctx.driver.destroy(d(a.dom), 0),
  DOMAIN_DESTROY_FLAGS: async (ctx, a) => ctx.driver.destroy(d(a.dom), a.flags),
  DOMAIN_REBOOT: async (ctx, a) => ctx.driver.reboot(d(a.dom), a.flags),
  DOMAIN_RESET: async (ctx, a) => ctx.driver.reset(d(a.dom), a.flags),
  DOMAIN_SUSPEND: async (ctx, a) => ctx.driver.suspend(d(a.dom)),
  DOMAIN_RESUME: async (ctx, a) => ctx.driver.resume(d(a.dom)),

  DOMAIN_GET_XML_DESC: async (ctx, a) => {
    if (ctx.client.readonly && a.flags & DomainXMLFlags.SECURE) {
      throw readOnlyDenied('virDomainGetXMLDesc with secure flag', ErrorDomain.DOMAIN);
    }
    return { xml: await ctx.driver.getXMLDesc(d(a.dom), a.flags) };
  },
  DOMAIN_GET_STATE: async (ctx, a) => ctx.driver.getState(d(a.dom), a.flags),
  DOMAIN_GET_INFO: async (ctx, a) => {
    const i = await ctx.driver.getInfo(d(a.dom));
    return { state: i.state, maxMem: BigInt(i.maxMem), memory: BigInt(i.memory), nrVirtCpu: i.nrVirtCpu, cpuTime: BigInt(i.cpuTime) };
  },
  DOMAIN_GET_AUTOSTART: async (ctx, a) => ({ autostart: (await ctx.driver.getAutostart(d(a.dom))) ? 1 : 0 }),
  DOMAIN_SET_AUTOSTART: async (ctx, a) => ctx.driver.setAutostart(d(a.dom), a.autostart !== 0),
  DOMAIN_IS_ACTIVE: async (ctx, a) => ({ active: (await ctx.driver.isActive(d(a.dom))) ? 1 : 0 }),
  DOMAIN_IS_PERSISTENT: async (ctx, a) => ({ persistent: (await ctx.driver.isPersistent(d(a.dom))) ? 1 : 0 }),
  DOMAIN_IS_UPDATED: async () => ({ updated: 0 }),
  DOMAIN_GET_OS_TYPE: async (ctx, a) => {
    const f = extra(ctx, 'getOSType');
    if (f) return { type: await f(d(a.dom)) };
    const xml = await ctx.driver.getXMLDesc(d(a.dom), 0);
    const m = /<os\b[^>]*>\s*<type\b[^>]*>([^<]+)<\/type>/.exec(xml);
    return { type: m ? m[1].trim() : 'hvm' };
  },
  DOMAIN_HAS_MANAGED_SAVE_IMAGE: async (ctx, a) => {
    const f = extra(ctx, 'hasManagedSaveImage');
    return { result: f && (await f(d(a.dom), a.flags)) ? 1 : 0 };
  },
  DOMAIN_SNAPSHOT_NUM: async (ctx, a) => {
    const f = extra(ctx, 'snapshotNum');
    return { num: f ? await f(d(a.dom), a.flags) : 0 };
  },
  DOMAIN_GET_SECURITY_LABEL: async (ctx, a) => {
    const f = extra(ctx, 'getSecurityLabel');
    const l = f ? await f(d(a.dom)) : { label: '', enforcing: false };
    return { label: stringToChars(l.label), enforcing: l.enforcing ? 1 : 0 };
  },
  DOMAIN_GET_MESSAGES: async (ctx, a) => {
    const f = extra(ctx, 'getMessages');
    return { msgs: f ? await f(d(a.dom), a.flags) : [] };
  },

  CONNECT_DOMAIN_XML_TO_NATIVE: async (ctx, a) => ({
    nativeConfig: await ctx.driver.domainXMLToNative(a.nativeFormat, a.domainXml, a.flags),
  }),
  CONNECT_DOMAIN_XML_FROM_NATIVE: async (ctx, a) => ({
    domainXml: await ctx.driver.domainXMLFromNative(a.nativeFormat, a.nativeConfig, a.flags),
  }),

  CONNECT_DOMAIN_EVENT_CALLBACK_REGISTER_ANY: async (ctx, a) => ({ callbackID: registerDomainEvent(ctx, a.eventID, a.dom) }),
  CONNECT_DOMAIN_EVENT_CALLBACK_DEREGISTER_ANY: async (ctx, a) => deregisterCallback(ctx, a.callbackID),

  DOMAIN_OPEN_CONSOLE: async (ctx, a) => {
    const io = await ctx.driver.openConsole(d(a.dom), a.dev_name, a.flags);
    const s = new ServerStream(ctx.client, ctx.header, io);
    ctx.afterReply = () => s.start();
    return undefined;
  },
};

const qemu: QemuHandlers = {
  DOMAIN_MONITOR_COMMAND: async (ctx, a) => ({ result: await ctx.driver.qemuMonitorCommand(d(a.dom), a.cmd, a.flags) }),
  CONNECT_DOMAIN_MONITOR_EVENT_REGISTER: async (ctx, a) => ({ callbackID: registerQemuMonitorEvent(ctx, a.dom, a.event, a.flags) }),
  CONNECT_DOMAIN_MONITOR_EVENT_DEREGISTER: async (ctx, a) => deregisterCallback(ctx, a.callbackID),
};

function table(h: Record<string, unknown>): HandlerTable {
  return new Map(Object.entries(h) as [string, Handler][]);
}

/** Handlers by program number. */
export const HANDLERS: ReadonlyMap<number, HandlerTable> = new Map([
  [REMOTE.prog, table(remote)],
  [QEMU.prog, table(qemu)],
]);
