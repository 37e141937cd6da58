// Shared test fixtures: a tiny TCG domain that boots SeaBIOS with its output on the serial console.
import { randomUUID } from 'node:crypto';

export function demoDomainXML(name = 'rpcdemo', uuid = randomUUID()): string {
  return `<domain type='qemu'>
  <name>${name}</name>
  <uuid>${uuid}</uuid>
  <memory unit='MiB'>64</memory>
  <vcpu>1</vcpu>
  <os>
    <type arch='x86_64' machine='pc'>hvm</type>
    <boot dev='hd'/>
    <bios useserial='yes'/>
  </os>
  <clock offset='utc'/>
  <on_poweroff>destroy</on_poweroff>
  <on_reboot>restart</on_reboot>
  <on_crash>destroy</on_crash>
  <devices>
    <emulator>/usr/bin/qemu-system-x86_64</emulator>
    <serial type='pty'><target port='0'/></serial>
    <console type='pty'><target type='serial' port='0'/></console>
    <memballoon model='none'/>
  </devices>
</domain>
`;
}

/** Collects items from an async iterator until pred matches (or the timeout passes). */
export async function waitFor<T>(it: AsyncIterable<T>, pred: (v: T) => boolean, ms = 10000): Promise<T[]> {
  const seen: T[] = [];
  const iter = it[Symbol.asyncIterator]();
  const deadline = Date.now() + ms;
  for (;;) {
    const left = deadline - Date.now();
    if (left <= 0) throw new Error(`timed out; saw ${JSON.stringify(seen, (_k, v) => (typeof v === 'bigint' ? String(v) : v))}`);
    let timer: NodeJS.Timeout | undefined;
    const r = await Promise.race([
      iter.next(),
      new Promise<'timeout'>((res) => {
        timer = setTimeout(() => res('timeout'), left);
      }),
    ]);
    clearTimeout(timer);
    if (r === 'timeout') continue;
    if (r.done) throw new Error(`iterator ended; saw ${JSON.stringify(seen)}`);
    seen.push(r.value);
    if (pred(r.value)) return seen;
  }
}
