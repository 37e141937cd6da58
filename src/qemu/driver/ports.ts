// TCP ports for graphics autoport (libvirt's virPortAllocator): the remote display range
// (remote_display_port_min..max, VNC and SPICE) and the VNC websocket range
// (remote_websocket_port_min..max) from qemu.conf. A port is free when no running domain of this
// driver has it in its live definition, no start in progress has taken it, and a bind() on it
// (0.0.0.0 and ::, as libvirt tests) succeeds.
//
// What running domains hold is read from their live definitions, so a port goes back to the pool as
// soon as the domain stops (its definition reverts to the inactive one), and after a reconnect the
// live XML loaded from the status file holds it again. Ports taken by a start in progress are held
// here until the start ends (RealHost.close()): by then QEMU listens on them and the domain's live
// definition names them.
//
// The command builder asks for ports synchronously (Host.allocatePort) and bind() is asynchronous in
// Node, so a start reserves, before preparing the definition, as many ports per pool as its graphics
// can ask for (an upper bound), hands them out in ascending order, and gives back the rest.
import { createServer } from 'node:net';
import type { DomainDef } from '../../conf/domain/index.js';
import { internalError } from '../../util/errors.js';
import type { QemuDriverState } from './state.js';

export type PortPool = 'remote' | 'websocket';

interface PortRange {
  /** libvirt's range name, used in its error message. */
  name: string;
  min: number;
  max: number;
}

function rangeOf(drv: QemuDriverState, pool: PortPool): PortRange {
  const c = drv.cfg;
  return pool === 'remote' ? { name: 'display', min: c.remotePortMin, max: c.remotePortMax } : { name: 'webSocket', min: c.webSocketPortMin, max: c.webSocketPortMax };
}

/** Ports taken by starts in progress, per driver instance. */
const inFlight = new WeakMap<QemuDriverState, Set<number>>();

function pending(drv: QemuDriverState): Set<number> {
  let s = inFlight.get(drv);
  if (!s) {
    s = new Set();
    inFlight.set(drv, s);
  }
  return s;
}

/** Every TCP port a graphics device of a definition uses (VNC port and websocket, SPICE ports). */
export function graphicsPortsOf(def: DomainDef): number[] {
  const out: number[] = [];
  for (const g of def.devices.graphics) {
    if (g.type === 'vnc') {
      if (g.port > 0) out.push(g.port);
      if (g.websocket !== undefined && g.websocket > 0) out.push(g.websocket);
    } else if (g.type === 'spice') {
      if (g.port > 0) out.push(g.port);
      if (g.tlsPort > 0) out.push(g.tlsPort);
    }
  }
  return out;
}

/** Ports held by this driver: running domains' live definitions and starts in progress. */
export function heldPorts(drv: QemuDriverState): Set<number> {
  const held = new Set(pending(drv));
  for (const obj of drv.domains.all()) {
    if (!obj.isActive()) continue;
    for (const p of graphicsPortsOf(obj.def)) held.add(p);
  }
  return held;
}

/** Whether a listen on one address family fails with EADDRINUSE (other failures: no such family). */
function bindBusy(port: number, host: string): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once('error', (e: NodeJS.ErrnoException) => resolve(e.code === 'EADDRINUSE' || e.code === 'EACCES'));
    srv.listen({ port, host, ipv6Only: host === '::', exclusive: true, backlog: 1 }, () => srv.close(() => resolve(false)));
  });
}

/** virPortAllocatorBindToPort on both families: true when nothing else on the host listens there. */
export async function portBindable(port: number): Promise<boolean> {
  const [v6, v4] = await Promise.all([bindBusy(port, '::'), bindBusy(port, '0.0.0.0')]);
  return !v6 && !v4;
}

/** How many ports of each pool a definition's graphics may ask for at start (an upper bound). */
export function portsWanted(def: DomainDef): Record<PortPool, number> {
  const n = { remote: 0, websocket: 0 };
  for (const g of def.devices.graphics) {
    const l0 = g.listens[0];
    if (l0 && l0.type !== 'address' && l0.type !== 'network') continue;
    if (g.type === 'vnc') {
      if (g.autoport) n.remote++;
      if (g.websocket === -1) n.websocket++;
    } else if (g.type === 'spice') {
      if (g.autoport || g.port === -1) n.remote++;
      if (g.autoport || g.tlsPort === -1) n.remote++;
    }
  }
  return n;
}

/** Ports reserved for one start: reserved up front, handed out synchronously, released together. */
export class PortLease {
  private readonly ready: Record<PortPool, number[]> = { remote: [], websocket: [] };
  private readonly mine = new Set<number>();

  constructor(private readonly drv: QemuDriverState) {}

  /** Reserves the ports the definition's graphics may need (nothing to do without autoport graphics). */
  async reserve(def: DomainDef): Promise<void> {
    const want = portsWanted(def);
    for (const pool of ['remote', 'websocket'] as const) {
      for (let i = 0; i < want[pool]; i++) this.ready[pool].push(await this.acquire(pool));
    }
  }

  /** virPortAllocatorAcquire: the lowest free port of the pool's range. */
  private async acquire(pool: PortPool): Promise<number> {
    const r = rangeOf(this.drv, pool);
    const taken = pending(this.drv);
    const held = heldPorts(this.drv);
    for (let port = r.min; port <= r.max; port++) {
      if (held.has(port) || taken.has(port)) continue;
      // Claimed before the bind test so a concurrent start skips it meanwhile.
      taken.add(port);
      this.mine.add(port);
      if (await portBindable(port)) return port;
      taken.delete(port);
      this.mine.delete(port);
    }
    throw internalError(`Unable to find an unused port in range '${r.name}' (${r.min}-${r.max})`);
  }

  /** Host.allocatePort: the next reserved port of the pool. */
  take(pool: PortPool): number {
    const p = this.ready[pool].shift();
    if (p === undefined) {
      const r = rangeOf(this.drv, pool);
      throw internalError(`Unable to find an unused port in range '${r.name}' (${r.min}-${r.max})`);
    }
    return p;
  }

  /** Ends the start's hold: unused ports go back, used ones are held by the live definition from now on. */
  release(): void {
    const taken = pending(this.drv);
    for (const p of this.mine) taken.delete(p);
    this.mine.clear();
    this.ready.remote = [];
    this.ready.websocket = [];
  }
}
