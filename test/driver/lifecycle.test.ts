// Embedded driver: pause/resume/reboot with events, autostart and list filters, undefine of a running
// domain, console, native formats, per-domain job lock. Real QEMU (TCG).
import assert from 'node:assert/strict';
import { existsSync, lstatSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { type Connection, connect } from '../../src/index.js';
import type { DomainEvent } from '../../src/driver/api.js';
import { DomainState, LifecycleEvent, ListDomainsFlags as LF, PausedReason } from '../../src/driver/constants.js';
import { VirError } from '../../src/util/errors.js';
import { GUEST_BOOT_TIMEOUT_MS, GUEST_READY, type TempRoot, ensureGuest, guestDomainXML, makeTempRoot, waitFor } from '../helpers/guest.js';

async function nextEvent(it: AsyncIterator<DomainEvent>, pred: (e: DomainEvent) => boolean, ms = 30_000): Promise<DomainEvent> {
  const deadline = Date.now() + ms;
  for (;;) {
    const left = deadline - Date.now();
    if (left <= 0) throw new Error('event not seen in time');
    const r = await Promise.race([it.next(), new Promise<null>((res) => setTimeout(() => res(null), left))]);
    if (r === null) throw new Error('event not seen in time');
    if (r.done) throw new Error('subscription ended');
    if (pred(r.value)) return r.value;
  }
}

describe('embedded driver lifecycle details (TCG)', { timeout: 240_000 }, () => {
  let root: TempRoot;
  let conn: Connection;

  before(async () => {
    await ensureGuest();
    root = await makeTempRoot();
    conn = await connect(root.uri);
  });
  after(async () => {
    for (const d of await conn.listAllDomains(LF.ACTIVE)) await d.destroy().catch(() => {});
    await conn.close();
    await root.remove();
  });

  test('suspend, resume and reboot deliver lifecycle and reboot events', async () => {
    const dom = await conn.defineXML(guestDomainXML({ name: 'ev', serial: 'pty' }));
    const sub = conn.domainEvents(dom);
    const it = sub[Symbol.asyncIterator]();
    await dom.create();
    assert.equal((await nextEvent(it, (e) => e.kind === 'lifecycle')).kind, 'lifecycle');
    await dom.suspend();
    assert.deepEqual(await dom.getState(), { state: DomainState.PAUSED, reason: PausedReason.USER });
    const s = await nextEvent(it, (e) => e.kind === 'lifecycle' && e.event === LifecycleEvent.SUSPENDED);
    assert.equal(s.kind, 'lifecycle');
    await assert.rejects(dom.create(), (e: unknown) => e instanceof VirError && e.code === 55);
    await dom.resume();
    assert.equal((await dom.getState()).state, DomainState.RUNNING);
    await assert.rejects(dom.resume(), (e: unknown) => e instanceof VirError && /domain is already running/.test(e.message));
    await nextEvent(it, (e) => e.kind === 'lifecycle' && e.event === LifecycleEvent.RESUMED);
    // Console: the pty QEMU allocated, as a byte stream with the guest's output.
    const con = await dom.openConsole();
    let seen = '';
    con.on('data', (d: Buffer) => (seen += d.toString()));
    await dom.reset();
    await nextEvent(it, (e) => e.kind === 'reboot');
    await waitFor(() => seen.includes(GUEST_READY), GUEST_BOOT_TIMEOUT_MS);
    con.destroy();
    await dom.reboot();
    await nextEvent(it, (e) => e.kind === 'reboot');
    assert.equal((await dom.getState()).state, DomainState.RUNNING);
    await dom.destroy();
    await nextEvent(it, (e) => e.kind === 'lifecycle' && e.event === LifecycleEvent.STOPPED);
    sub.close();
  });

  test('shutdown modes: unsupported flags and agent mode give libvirt errors', async () => {
    const dom = await conn.lookupByName('ev');
    await assert.rejects(dom.shutdown(), (e: unknown) => e instanceof VirError && e.message === 'Requested operation is not valid: domain is not running');
    await assert.rejects(dom.shutdown(4), (e: unknown) => e instanceof VirError && e.code === 8 && /unsupported flags \(0x4\)/.test(e.message));
    await assert.rejects(dom.shutdown(2), (e: unknown) => e instanceof VirError && e.code === 74);
  });

  test('autostart link, list filters, undefine of a running domain makes it transient', async () => {
    const a = await conn.defineXML(guestDomainXML({ name: 'auto', serialPath: '/dev/null' }));
    await a.setAutostart(true);
    assert.equal(await a.getAutostart(), true);
    assert.ok(lstatSync(`${root.path}/etc/qemu/autostart/auto.xml`).isSymbolicLink());
    const names = async (f: number) => (await conn.listAllDomains(f)).map((d) => d.name).sort();
    assert.deepEqual(await names(LF.AUTOSTART), ['auto']);
    assert.ok((await names(LF.NO_AUTOSTART)).includes('ev'));
    await a.create();
    assert.deepEqual(await names(LF.ACTIVE), ['auto']);
    assert.ok((await names(LF.INACTIVE)).includes('ev'));
    assert.deepEqual(await names(LF.RUNNING | LF.PERSISTENT), ['auto']);
    await a.undefine();
    assert.ok(!existsSync(`${root.path}/etc/qemu/auto.xml`));
    assert.ok(!existsSync(`${root.path}/etc/qemu/autostart/auto.xml`));
    assert.equal(await a.isPersistent(), false);
    assert.deepEqual(await names(LF.TRANSIENT), ['auto']);
    await assert.rejects(a.setAutostart(true), /cannot set autostart for transient domain/);
    await a.destroy();
    await assert.rejects(conn.lookupByName('auto'), /Domain not found/);
  });

  test('autostartAll starts autostart domains (daemon start)', async () => {
    const { openQemuDriver } = await import('../../src/qemu/driver/index.js');
    const d = await conn.defineXML(guestDomainXML({ name: 'boot', serialPath: '/dev/null' }));
    await d.setAutostart(true);
    const drv = await openQemuDriver({ mode: 'embed', root: root.path });
    const res = await drv.autostartAll();
    assert.deepEqual(res, [{ name: 'boot' }]);
    assert.equal(await d.isActive(), true);
    await d.destroy();
    await drv.close();
  });

  test('per-domain jobs: concurrent calls on one domain serialise, different domains run together', async () => {
    const x = await conn.defineXML(guestDomainXML({ name: 'jx', serialPath: '/dev/null' }));
    const y = await conn.defineXML(guestDomainXML({ name: 'jy', serialPath: '/dev/null' }));
    const r = await Promise.allSettled([x.create(), x.create(), y.create()]);
    assert.equal(r.filter((p) => p.status === 'fulfilled').length, 2);
    const rej = r.find((p) => p.status === 'rejected') as PromiseRejectedResult;
    assert.match(String(rej.reason.message), /domain is already running/);
    assert.equal(await x.isActive(), true);
    assert.equal(await y.isActive(), true);
    assert.notEqual(x.id, y.id);
    await Promise.all([x.destroy(), y.destroy()]);
  });

  test('domxml-to-native and domxml-from-native', async () => {
    const xml = guestDomainXML({ name: 'native', serialPath: '/tmp/native.log' });
    const argv = await conn.domainXMLToNative('qemu-argv', xml);
    assert.match(argv, /^LC_ALL=C /);
    assert.match(argv, / \/usr\/bin\/qemu-system-x86_64 -name guest=native,debug-threads=on -S /);
    assert.ok(!argv.includes('\n'));
    await assert.rejects(conn.domainXMLToNative('xen-xm', xml), (e: unknown) => e instanceof VirError && e.message === 'invalid argument: Unsupported config type xen-xm');
    await assert.rejects(
      conn.domainXMLFromNative('qemu-argv', argv),
      (e: unknown) => e instanceof VirError && e.code === 3 && e.message === 'this function is not supported by the connection driver: virConnectDomainXMLFromNative',
    );
  });

  test('dumpxml live and inactive', async () => {
    const d = await conn.lookupByName('ev');
    await d.create();
    const live = await d.getXMLDesc();
    assert.match(live, new RegExp(`<domain type='qemu' id='${d.id}'`));
    const inactive = await d.getXMLDesc(2);
    assert.match(inactive, /^<domain type='qemu'>\n/);
    await d.destroy();
  });

  test('a KVM guest hitting an internal error is reported', { skip: !existsSync('/dev/kvm') && 'no /dev/kvm on this machine' }, async () => {
    const dom = await conn.defineXML(guestDomainXML({ name: 'kvm', type: 'kvm', serialPath: '/dev/null' }));
    const sub = conn.domainEvents(dom);
    const it = sub[Symbol.asyncIterator]();
    await dom.create();
    await waitFor(async () => (await dom.getState()).state !== DomainState.RUNNING, 60_000).catch(() => {});
    const st = await dom.getState();
    if (st.state === DomainState.RUNNING) return; // this machine's KVM works: nothing to report
    assert.deepEqual(st, { state: DomainState.PAUSED, reason: PausedReason.CRASHED });
    await nextEvent(it, (e) => e.kind === 'lifecycle' && e.event === LifecycleEvent.CRASHED);
    await assert.rejects(dom.resume(), /KVM internal error|internal error/);
    await dom.destroy();
    sub.close();
  });
});
