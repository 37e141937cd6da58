// Connection: libvirt's virConnect API over any HypervisorDriver (embedded or remote).
import type {
  DomainCapsQuery,
  DomainEvent,
  DomainRef,
  EventSubscription,
  HypervisorDriver,
  NodeInfo,
  QemuMonitorEvent,
} from '../driver/api.js';
import { Domain } from './domain.js';

export class Connection {
  /** @internal */
  constructor(readonly driver: HypervisorDriver) {}

  private wrap(ref: DomainRef): Domain {
    return new Domain(this.driver, ref);
  }

  getURI(): Promise<string> {
    return this.driver.getURI();
  }
  getType(): Promise<string> {
    return this.driver.getType();
  }
  getVersion(): Promise<number> {
    return this.driver.getVersion();
  }
  getLibVersion(): Promise<number> {
    return this.driver.getLibVersion();
  }
  getHostname(): Promise<string> {
    return this.driver.getHostname();
  }
  getCapabilities(): Promise<string> {
    return this.driver.getCapabilities();
  }
  getDomainCapabilities(q: DomainCapsQuery = {}): Promise<string> {
    return this.driver.getDomainCapabilities(q);
  }
  nodeInfo(): Promise<NodeInfo> {
    return this.driver.nodeGetInfo();
  }
  async listAllDomains(flags = 0): Promise<Domain[]> {
    return (await this.driver.listAllDomains(flags)).map((r) => this.wrap(r));
  }
  async lookupByName(name: string): Promise<Domain> {
    return this.wrap(await this.driver.lookupByName(name));
  }
  async lookupByUUID(uuid: string): Promise<Domain> {
    return this.wrap(await this.driver.lookupByUUID(uuid));
  }
  async lookupByID(id: number): Promise<Domain> {
    return this.wrap(await this.driver.lookupByID(id));
  }
  async defineXML(xml: string, flags = 0): Promise<Domain> {
    return this.wrap(await this.driver.defineXML(xml, flags));
  }
  async createXML(xml: string, flags = 0, signal?: AbortSignal): Promise<Domain> {
    return this.wrap(await this.driver.createXML(xml, flags, signal));
  }
  domainXMLToNative(format: string, xml: string, flags = 0): Promise<string> {
    return this.driver.domainXMLToNative(format, xml, flags);
  }
  domainXMLFromNative(format: string, config: string, flags = 0): Promise<string> {
    return this.driver.domainXMLFromNative(format, config, flags);
  }
  /** Domain events as an async iterator; pass a Domain to filter. Call close() (or break) to stop. */
  domainEvents(dom?: Domain | null): EventSubscription<DomainEvent> {
    return this.driver.domainEvents(dom ? dom.toRef() : null);
  }
  /** Raw QMP events (virConnectDomainQemuMonitorEventRegister). */
  qemuMonitorEvents(dom?: Domain | null, event?: string | null, flags = 0): EventSubscription<QemuMonitorEvent> {
    return this.driver.qemuMonitorEvents(dom ? dom.toRef() : null, event ?? null, flags);
  }
  close(): Promise<void> {
    return this.driver.close();
  }
}
