// A small in-memory HypervisorDriver for protocol tests of tsvirtd (no QEMU): domains are records,
// "running" is a flag, the console prints a ready line, events are emitted like the QEMU driver's.
import { randomUUID } from 'node:crypto';
import { PassThrough } from 'node:stream';
import type {
  DomainCapsQuery, DomainEvent, DomainInfo, DomainRef, DomainStateInfo, EventSubscription, HypervisorDriver,
  NodeInfo, QemuMonitorEvent,
} from '../../src/driver/api.js';
import { DomainState } from '../../src/driver/constants.js';
import { AsyncQueue } from '../../src/rpc/async-queue.js';
import { ErrorCode, ErrorDomain, VirError, virError } from '../../src/util/errors.js';

interface Dom {
  name: string;
  uuid: string;
  id: number;
  xml: string;
  state: number;
  reason: number;
  autostart: boolean;
}

export class FakeDriver implements HypervisorDriver {
  private doms = new Map<string, Dom>();
  private nextId = 1;
  private subs = new Set<{ q: AsyncQueue<DomainEvent>; filter: string | null }>();
  private qsubs = new Set<{ q: AsyncQueue<QemuMonitorEvent>; filter: string | null; event: string | null }>();
  /** Delay for create(), to test that slow calls do not stall other clients. */
  createDelayMs = 0;

  private emit(d: Dom, ev: DomainEvent): void {
    for (const s of this.subs) if (!s.filter || s.filter === d.uuid) s.q.push(ev);
  }
  private ref(d: Dom): DomainRef {
    return { name: d.name, uuid: d.uuid, id: d.id };
  }
  private get(ref: DomainRef): Dom {
    const d = this.doms.get(ref.uuid);
    if (!d) throw virError(ErrorCode.NO_DOMAIN, ErrorDomain.QEMU, `no domain with matching uuid '${ref.uuid}' (${ref.name})`);
    return d;
  }
  private running(d: Dom): void {
    if (d.id < 0) throw virError(ErrorCode.OPERATION_INVALID, ErrorDomain.QEMU, 'domain is not running');
  }

  async getURI() { return 'qemu:///session'; }
  async getType() { return 'QEMU'; }
  async getVersion() { return 7002022; }
  async getLibVersion() { return 9000000; }
  async getHostname() { return 'fakehost'; }
  async getCapabilities() { return '<capabilities>\n</capabilities>\n'; }
  async getDomainCapabilities(_q: DomainCapsQuery) { return '<domainCapabilities>\n</domainCapabilities>\n'; }
  async nodeGetInfo(): Promise<NodeInfo> {
    return { model: 'x86_64', memory: 4679896, cpus: 2, mhz: 2499, nodes: 1, sockets: 1, cores: 2, threads: 1 };
  }
  async listAllDomains(flags = 0): Promise<DomainRef[]> {
    return [...this.doms.values()]
      .filter((d) => (flags & 3) === 0 || (flags & 1 && d.id > 0) || (flags & 2 && d.id < 0))
      .map((d) => this.ref(d));
  }
  async lookupByName(name: string) {
    for (const d of this.doms.values()) if (d.name === name) return this.ref(d);
    throw virError(ErrorCode.NO_DOMAIN, ErrorDomain.QEMU, `no domain with matching name '${name}'`);
  }
  async lookupByUUID(uuid: string) {
    const d = this.doms.get(uuid);
    if (!d) throw virError(ErrorCode.NO_DOMAIN, ErrorDomain.QEMU, `no domain with matching uuid '${uuid}'`);
    return this.ref(d);
  }
  async lookupByID(id: number) {
    for (const d of this.doms.values()) if (d.id === id) return this.ref(d);
    throw virError(ErrorCode.NO_DOMAIN, ErrorDomain.QEMU, `no domain with matching id ${id}`);
  }
  async defineXML(xml: string) {
    const name = /<name>([^<]+)<\/name>/.exec(xml)?.[1];
    if (!name) throw virError(ErrorCode.XML_ERROR, ErrorDomain.DOMAIN, 'missing name');
    const uuid = /<uuid>([^<]+)<\/uuid>/.exec(xml)?.[1] ?? randomUUID();
    const old = this.doms.get(uuid);
    const d: Dom = old ?? { name, uuid, id: -1, xml, state: DomainState.SHUTOFF, reason: 0, autostart: false };
    d.xml = xml;
    this.doms.set(uuid, d);
    this.emit(d, { kind: 'lifecycle', dom: this.ref(d), event: 0, detail: old ? 1 : 0 });
    return this.ref(d);
  }
  async createXML(xml: string) {
    const r = await this.defineXML(xml);
    return this.create(r);
  }
  async undefine(ref: DomainRef) {
    const d = this.get(ref);
    this.doms.delete(d.uuid);
    this.emit(d, { kind: 'lifecycle', dom: this.ref(d), event: 1, detail: 0 });
  }
  async create(ref: DomainRef) {
    const d = this.get(ref);
    if (d.id > 0) throw virError(ErrorCode.OPERATION_INVALID, ErrorDomain.QEMU, 'domain is already running');
    if (this.createDelayMs) await new Promise((r) => setTimeout(r, this.createDelayMs));
    d.id = this.nextId++;
    d.state = DomainState.RUNNING;
    d.reason = 1;
    this.emit(d, { kind: 'lifecycle', dom: this.ref(d), event: 4, detail: 0 });
    this.emit(d, { kind: 'lifecycle', dom: this.ref(d), event: 2, detail: 0 });
    return this.ref(d);
  }
  private stop(d: Dom, detail: number) {
    const ref = this.ref(d);
    d.id = -1;
    d.state = DomainState.SHUTOFF;
    d.reason = detail === 1 ? 2 : 1;
    this.emit(d, { kind: 'lifecycle', dom: { ...ref, id: -1 }, event: 5, detail });
  }
  async shutdown(ref: DomainRef) {
    const d = this.get(ref);
    this.running(d);
    setTimeout(() => this.stop(d, 0), 50);
  }
  async destroy(ref: DomainRef) {
    const d = this.get(ref);
    this.running(d);
    this.stop(d, 1);
  }
  async reboot(ref: DomainRef) {
    const d = this.get(ref);
    this.running(d);
    this.emit(d, { kind: 'reboot', dom: this.ref(d) });
  }
  async reset(ref: DomainRef) {
    return this.reboot(ref);
  }
  async suspend(ref: DomainRef) {
    const d = this.get(ref);
    this.running(d);
    d.state = DomainState.PAUSED;
    d.reason = 1;
    this.emit(d, { kind: 'lifecycle', dom: this.ref(d), event: 3, detail: 0 });
  }
  async resume(ref: DomainRef) {
    const d = this.get(ref);
    this.running(d);
    d.state = DomainState.RUNNING;
    d.reason = 5;
    this.emit(d, { kind: 'lifecycle', dom: this.ref(d), event: 4, detail: 0 });
  }
  async getXMLDesc(ref: DomainRef) {
    return this.get(ref).xml;
  }
  async getState(ref: DomainRef): Promise<DomainStateInfo> {
    const d = this.get(ref);
    return { state: d.state as DomainStateInfo['state'], reason: d.reason };
  }
  async getInfo(ref: DomainRef): Promise<DomainInfo> {
    const d = this.get(ref);
    return { state: d.state as DomainInfo['state'], maxMem: 65536, memory: 65536, nrVirtCpu: 1, cpuTime: d.id > 0 ? 420000000n : 0n };
  }
  async getAutostart(ref: DomainRef) { return this.get(ref).autostart; }
  async setAutostart(ref: DomainRef, a: boolean) { this.get(ref).autostart = a; }
  async isActive(ref: DomainRef) { return this.get(ref).id > 0; }
  async isPersistent(ref: DomainRef) { this.get(ref); return true; }
  async domainXMLToNative(format: string, xml: string) {
    if (format !== 'qemu-argv') throw virError(ErrorCode.INVALID_ARG, ErrorDomain.QEMU, `unsupported config type ${format}`);
    const name = /<name>([^<]+)<\/name>/.exec(xml)?.[1] ?? '';
    return `/usr/bin/qemu-system-x86_64 -name guest=${name}\n`;
  }
  async domainXMLFromNative(): Promise<string> {
    throw virError(ErrorCode.NO_SUPPORT, ErrorDomain.QEMU, 'virConnectDomainXMLFromNative');
  }
  async qemuMonitorCommand(ref: DomainRef, cmd: string, flags = 0) {
    const d = this.get(ref);
    this.running(d);
    if (flags & 1) return cmd === 'info status' ? 'VM status: running\r\n' : '';
    const id = JSON.parse(cmd).execute;
    for (const s of this.qsubs) {
      if (id === 'system_reset' && (!s.filter || s.filter === d.uuid) && (!s.event || s.event === 'RESET')) {
        s.q.push({ dom: this.ref(d), event: 'RESET', seconds: 1, micros: 2, details: '{"guest":false}' });
      }
    }
    return '{"return":{"status":"running","singlestep":false,"running":true},"id":"libvirt-1"}';
  }
  async openConsole(ref: DomainRef) {
    const d = this.get(ref);
    this.running(d);
    const io = new PassThrough();
    // Echo what is typed, after a ready line.
    const out = new PassThrough();
    io.on('data', (b: Buffer) => out.write(b));
    io.on('end', () => out.end());
    setTimeout(() => out.write('TESTGUEST READY\r\n'), 20);
    const { Duplex } = await import('node:stream');
    return Duplex.from({ readable: out, writable: io });
  }
  domainEvents(dom?: DomainRef | null): EventSubscription<DomainEvent> {
    const s = { q: null as unknown as AsyncQueue<DomainEvent>, filter: dom?.uuid ?? null };
    s.q = new AsyncQueue<DomainEvent>(() => this.subs.delete(s));
    this.subs.add(s);
    return s.q;
  }
  qemuMonitorEvents(dom?: DomainRef | null, event?: string | null): EventSubscription<QemuMonitorEvent> {
    const s = { q: null as unknown as AsyncQueue<QemuMonitorEvent>, filter: dom?.uuid ?? null, event: event ?? null };
    s.q = new AsyncQueue<QemuMonitorEvent>(() => this.qsubs.delete(s));
    this.qsubs.add(s);
    return s.q;
  }
  async close() {
    for (const s of [...this.subs]) s.q.close();
  }
}

export function openDriver(): FakeDriver {
  const d = new FakeDriver();
  d.createDelayMs = Number(process.env.FAKE_CREATE_DELAY_MS ?? 0);
  return d;
}

export { VirError };
