// Opening the CLI's connection. Loaded only by commands that need a hypervisor, so `help` and
// argument errors never pay for the driver.
//
// A URI that names a transport (driver+unix://, +tcp, +ssh, …) goes straight to the RPC client, for
// any driver name, as libvirt's remote driver does: that keeps the embedded QEMU driver out of
// remote sessions (startup time) and lets the CLI talk to any libvirt daemon (e.g. libvirtd's test
// driver, which the CLI tests compare against real virsh). Everything else goes through connect()
// (src/index.ts): embedded roots, qemu:///system|session, and the default-URI resolution.
import type { Connection } from '../api/connection.js';

export interface OpenOptions {
  readonly?: boolean;
}

/** Opens `uri` (or the default connection when none is given). */
export async function openConnection(uri: string | undefined, opts: OpenOptions = {}): Promise<Connection> {
  const name = uri ?? process.env.VIRSH_DEFAULT_CONNECT_URI ?? undefined;
  if (name !== undefined && /^[A-Za-z][A-Za-z0-9.-]*\+[A-Za-z0-9]+:/.test(name)) {
    const [{ openRemoteDriver }, { Connection: Conn }] = await Promise.all([
      import('../rpc/client/index.js'),
      import('../api/connection.js'),
    ]);
    return new Conn(await openRemoteDriver(name, { readonly: opts.readonly }));
  }
  const { connect } = await import('../index.js');
  return connect(name);
}
