// The driver interface: libvirt's hypervisor driver table in TypeScript. The embedded QEMU driver
// implements it in-process; the RPC client implements it over the wire; tsvirtd serves any
// implementation over the wire. The public Connection/Domain classes (src/api/) wrap it.
import type { Duplex } from 'node:stream';
import type { DomainStateValue } from './constants.js';

/** How libvirt names a domain across the API (remote_nonnull_domain): name, UUID and id (-1 when inactive). */
export interface DomainRef {
  name: string;
  /** Canonical lowercase 8-4-4-4-12 form. */
  uuid: string;
  id: number;
}

export interface DomainStateInfo {
  state: DomainStateValue;
  reason: number;
}

/** virDomainInfo. Memory in KiB, CPU time in nanoseconds. */
export interface DomainInfo {
  state: DomainStateValue;
  maxMem: number;
  memory: number;
  nrVirtCpu: number;
  cpuTime: bigint;
}

/** virNodeInfo (virsh nodeinfo). */
export interface NodeInfo {
  /** CPU architecture as uname reports it ("x86_64"). */
  model: string;
  /** Total memory in KiB. */
  memory: number;
  cpus: number;
  mhz: number;
  nodes: number;
  sockets: number;
  cores: number;
  threads: number;
}

export interface DomainLifecycleEvent {
  kind: 'lifecycle';
  dom: DomainRef;
  /** LifecycleEvent value. */
  event: number;
  /** Detail value for that event. */
  detail: number;
}
export interface DomainRebootEvent {
  kind: 'reboot';
  dom: DomainRef;
}
/** Events the API delivers; more kinds are added as the driver learns them. */
export type DomainEvent = DomainLifecycleEvent | DomainRebootEvent;

/** A raw QMP event forwarded by qemu-monitor-event (virConnectDomainQemuMonitorEventRegister). */
export interface QemuMonitorEvent {
  dom: DomainRef;
  event: string;
  seconds: number;
  micros: number;
  /** JSON text of the event's data, or null. */
  details: string | null;
}

export interface EventSubscription<T> extends AsyncIterable<T> {
  close(): void;
}

export interface DomainCapsQuery {
  emulatorbin?: string | null;
  arch?: string | null;
  machine?: string | null;
  virttype?: string | null;
  flags?: number;
}

/**
 * The hypervisor driver. Every method is async, rejects with VirError, and takes libvirt's flag
 * values unchanged. Long operations accept an AbortSignal.
 */
export interface HypervisorDriver {
  /** Canonical URI of this connection (virConnectGetURI). */
  getURI(): Promise<string>;
  /** "QEMU". */
  getType(): Promise<string>;
  /** Hypervisor version as major*1e6+minor*1e3+micro (0 when no emulator is known). */
  getVersion(): Promise<number>;
  /** Library version, same encoding (tsvirt reports libvirt 9.0.0 compatibility: 9000000). */
  getLibVersion(): Promise<number>;
  getHostname(): Promise<string>;
  getCapabilities(): Promise<string>;
  getDomainCapabilities(q: DomainCapsQuery): Promise<string>;
  nodeGetInfo(): Promise<NodeInfo>;
  /** virConnectGetMaxVcpus-style helper not needed yet; add as required. */

  listAllDomains(flags?: number): Promise<DomainRef[]>;
  lookupByName(name: string): Promise<DomainRef>;
  lookupByUUID(uuid: string): Promise<DomainRef>;
  lookupByID(id: number): Promise<DomainRef>;

  defineXML(xml: string, flags?: number): Promise<DomainRef>;
  createXML(xml: string, flags?: number, signal?: AbortSignal): Promise<DomainRef>;
  undefine(dom: DomainRef, flags?: number): Promise<void>;
  /** Starts a defined domain; resolves with the running domain's ref (new id). */
  create(dom: DomainRef, flags?: number, signal?: AbortSignal): Promise<DomainRef>;
  shutdown(dom: DomainRef, flags?: number): Promise<void>;
  destroy(dom: DomainRef, flags?: number, signal?: AbortSignal): Promise<void>;
  reboot(dom: DomainRef, flags?: number): Promise<void>;
  reset(dom: DomainRef, flags?: number): Promise<void>;
  suspend(dom: DomainRef): Promise<void>;
  resume(dom: DomainRef): Promise<void>;

  getXMLDesc(dom: DomainRef, flags?: number): Promise<string>;
  getState(dom: DomainRef, flags?: number): Promise<DomainStateInfo>;
  getInfo(dom: DomainRef): Promise<DomainInfo>;
  getAutostart(dom: DomainRef): Promise<boolean>;
  setAutostart(dom: DomainRef, autostart: boolean): Promise<void>;
  isActive(dom: DomainRef): Promise<boolean>;
  isPersistent(dom: DomainRef): Promise<boolean>;

  domainXMLToNative(format: string, xml: string, flags?: number): Promise<string>;
  domainXMLFromNative(format: string, config: string, flags?: number): Promise<string>;

  /** QMP JSON in, JSON reply text out; with the HMP flag, HMP text in and out. */
  qemuMonitorCommand(dom: DomainRef, cmd: string, flags?: number, signal?: AbortSignal): Promise<string>;
  /** Opens the domain's console (devName: alias such as "serial0", or null for the first). */
  openConsole(dom: DomainRef, devName: string | null, flags?: number): Promise<Duplex>;

  /** Domain events; dom filters to one domain. */
  domainEvents(dom?: DomainRef | null): EventSubscription<DomainEvent>;
  /** QMP events of running domains; event filters by name (exact) when given. */
  qemuMonitorEvents(dom?: DomainRef | null, event?: string | null, flags?: number): EventSubscription<QemuMonitorEvent>;

  close(): Promise<void>;
}
