// Domain: a handle on one guest, named after libvirt's virDomain API. Thin over HypervisorDriver.
import type { Duplex } from 'node:stream';
import type { DomainInfo, DomainRef, DomainStateInfo, HypervisorDriver } from '../driver/api.js';

export class Domain {
  /** @internal */
  constructor(
    private readonly drv: HypervisorDriver,
    private ref: DomainRef,
  ) {}

  /** The (name, uuid, id) triple libvirt uses to name the domain; id is -1 while inactive. */
  get name(): string {
    return this.ref.name;
  }
  get uuid(): string {
    return this.ref.uuid;
  }
  /** Runtime id as last seen by this handle (-1 when it was inactive). */
  get id(): number {
    return this.ref.id;
  }
  toRef(): DomainRef {
    return { ...this.ref };
  }

  /** virDomainGetID: refreshed from the driver. */
  async getID(): Promise<number> {
    this.ref = await this.drv.lookupByUUID(this.ref.uuid);
    return this.ref.id;
  }
  async create(flags = 0, signal?: AbortSignal): Promise<void> {
    this.ref = await this.drv.create(this.ref, flags, signal);
  }
  shutdown(flags = 0): Promise<void> {
    return this.drv.shutdown(this.ref, flags);
  }
  async destroy(flags = 0, signal?: AbortSignal): Promise<void> {
    await this.drv.destroy(this.ref, flags, signal);
    this.ref = { ...this.ref, id: -1 };
  }
  reboot(flags = 0): Promise<void> {
    return this.drv.reboot(this.ref, flags);
  }
  reset(flags = 0): Promise<void> {
    return this.drv.reset(this.ref, flags);
  }
  suspend(): Promise<void> {
    return this.drv.suspend(this.ref);
  }
  resume(): Promise<void> {
    return this.drv.resume(this.ref);
  }
  undefine(flags = 0): Promise<void> {
    return this.drv.undefine(this.ref, flags);
  }
  getXMLDesc(flags = 0): Promise<string> {
    return this.drv.getXMLDesc(this.ref, flags);
  }
  getState(flags = 0): Promise<DomainStateInfo> {
    return this.drv.getState(this.ref, flags);
  }
  getInfo(): Promise<DomainInfo> {
    return this.drv.getInfo(this.ref);
  }
  getAutostart(): Promise<boolean> {
    return this.drv.getAutostart(this.ref);
  }
  setAutostart(autostart: boolean): Promise<void> {
    return this.drv.setAutostart(this.ref, autostart);
  }
  isActive(): Promise<boolean> {
    return this.drv.isActive(this.ref);
  }
  isPersistent(): Promise<boolean> {
    return this.drv.isPersistent(this.ref);
  }
  /** virDomainQemuMonitorCommand: QMP JSON (or HMP text with QemuMonitorCommandFlags.HMP). */
  qemuMonitorCommand(cmd: string, flags = 0, signal?: AbortSignal): Promise<string> {
    return this.drv.qemuMonitorCommand(this.ref, cmd, flags, signal);
  }
  /** virDomainOpenConsole: a byte stream to the guest console (devName e.g. 'serial0'; null = first). */
  openConsole(devName: string | null = null, flags = 0): Promise<Duplex> {
    return this.drv.openConsole(this.ref, devName, flags);
  }
}
