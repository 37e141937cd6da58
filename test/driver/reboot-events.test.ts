// Reboot events: one per RESET event QEMU sends, as libvirt's qemuProcessHandleReset does. A guest
// reboot under QEMU 7.2 with SeaBIOS is several resets (the guest's own, then the firmware resetting
// again on its way up): libvirtd 9.0 delivered three 'reboot' events within ~200 ms for one reboot of
// this test guest (`virsh event --all --loop`), and tsvirt's three in 55 ms were the same three. What
// must not happen is more reboot events than RESETs (a second delivery path or subscription).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { DomainEvent, QemuMonitorEvent } from '../../src/driver/api.js';
import { GUEST_BOOT_TIMEOUT_MS, guestDomainXML, waitFor } from '../helpers/guest.js';
import { embeddedRootFixture } from './fixture.js';

async function collect<T>(sub: AsyncIterable<T>, into: T[]): Promise<void> {
  for await (const e of sub) into.push(e);
}

describe('reboot events (TCG)', { timeout: 240_000 }, () => {
  const fx = embeddedRootFixture();

  test('a guest that reboots itself: exactly one reboot event per QEMU RESET, for every subscriber', async () => {
    const dom = await fx.conn.defineXML(guestDomainXML({ name: 'rb', serial: 'pty', rebootAfter: 1 }));
    const allSub = fx.conn.domainEvents();
    const domSub = fx.conn.domainEvents(dom);
    const resetSub = fx.conn.qemuMonitorEvents(dom, 'RESET');
    const all: DomainEvent[] = [];
    const one: DomainEvent[] = [];
    const resets: QemuMonitorEvent[] = [];
    const done = Promise.all([collect(allSub, all), collect(domSub, one), collect(resetSub, resets)]);
    try {
      await dom.create();
      const reboots = (l: DomainEvent[]) => l.filter((e) => e.kind === 'reboot').length;
      await waitFor(() => reboots(all) > 0, GUEST_BOOT_TIMEOUT_MS + 30_000, { what: 'the guest to reboot' });
      // Let the burst of resets of this reboot finish (the guest boots again only seconds later).
      await new Promise((r) => setTimeout(r, 1500));
      await dom.destroy();
      await new Promise((r) => setTimeout(r, 200));
      console.log(`RESET events: ${resets.length}, reboot events: ${reboots(all)} (all) / ${reboots(one)} (domain)`);
      assert.ok(resets.length >= 1);
      for (const r of resets) assert.equal(r.event, 'RESET');
      assert.equal(reboots(all), resets.length);
      assert.equal(reboots(one), resets.length);
    } finally {
      allSub.close();
      domSub.close();
      resetSub.close();
      await done.catch(() => {});
    }
  });
});
