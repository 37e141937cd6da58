// Opening the CLI's connection. Loaded only by commands that need a hypervisor, so `help` and
// argument errors never pay for the driver.
import { Connection } from '../api/connection.js';

export interface OpenOptions {
  readonly?: boolean;
}

/** Opens `uri` (or the default connection when none is given). */
export async function openConnection(uri: string | undefined, opts: OpenOptions = {}): Promise<Connection> {
  const name = uri ?? process.env.VIRSH_DEFAULT_CONNECT_URI ?? process.env.LIBVIRT_DEFAULT_URI;
  // Interim until src/index.ts (connect) lands: remote URIs only.
  const { openRemoteDriver } = await import('../rpc/client/index.js');
  const drv = await openRemoteDriver(name ?? 'qemu:///session', { readonly: opts.readonly });
  return new Connection(drv);
}
