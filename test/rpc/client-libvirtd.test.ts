// tsvirt's RPC client against a real libvirtd session daemon started by the test.
import assert from 'node:assert/strict';
import { hostname } from 'node:os';
import { after, before, test } from 'node:test';
import type { DomainEvent } from '../../src/driver/api.js';
import { DomainState, LifecycleEvent } from '../../src/driver/constants.js';
import { openRemoteDriver, type RemoteDriver, RemoteEventSubscription } from '../../src/rpc/client/index.js';
import { VirError } from '../../src/util/errors.js';
import { demoDomainXML, waitFor } from './fixtures.js';
import { type Libvirtd, startLibvirtd } from './libvirtd.js';

let daemon: Libvirtd;
let drv: RemoteDriver;

before(async () => {
  daemon = await startLibvirtd();
  drv = await openRemoteDriver(daemon.uri);
});

after(async () => {
  await drv?.close();
  await daemon?.stop();
});

test('connection calls', async () => {
  assert.equal(await drv.getType(), 'QEMU');
  // As virsh prints it against libvirtd: the URI the client connected with, not the daemon's name.
  assert.equal(await drv.getURI(), daemon.uri);
  assert.equal(await drv.getHostname(), hostname());
  assert.equal(await drv.getLibVersion(), 9000000);
  assert.ok((await drv.getVersion()) >= 7000000);
  const ni = await drv.nodeGetInfo();
  assert.equal(ni.model, 'x86_64');
  assert.ok(ni.cpus > 0 && ni.memory > 0);
  assert.match(await drv.getCapabilities(), /<capabilities>/);
  assert.match(await drv.getDomainCapabilities({}), /<domainCapabilities>/);
});

test('errors come back as VirError with libvirt code and text', async () => {
  await assert.rejects(drv.lookupByName('nosuchdom'), (e: unknown) => {
    assert.ok(e instanceof VirError);
    assert.equal(e.code, 42);
    assert.equal(e.message, "Domain not found: no domain with matching name 'nosuchdom'");
    return true;
  });
});

test('domain lifecycle, monitor, console and events', async () => {
  const events = drv.domainEvents(null) as RemoteEventSubscription<DomainEvent>;
  assert.ok(events instanceof RemoteEventSubscription);
  await events.ready;
  const xml = demoDomainXML('rpcclient');
  const dom = await drv.defineXML(xml);
  assert.equal(dom.name, 'rpcclient');
  assert.equal(dom.id, -1);
  await waitFor(events, (e) => e.kind === 'lifecycle' && e.event === LifecycleEvent.DEFINED);
  assert.ok((await drv.listAllDomains(3)).some((d) => d.uuid === dom.uuid));
  assert.deepEqual(await drv.lookupByUUID(dom.uuid), dom);
  assert.equal((await drv.getState(dom)).state, DomainState.SHUTOFF);
  assert.match(await drv.domainXMLToNative('qemu-argv', xml), /qemu-system-x86_64/);
  assert.equal(await drv.isPersistent(dom), true);
  assert.equal(await drv.getAutostart(dom), false);

  const running = await drv.create(dom);
  assert.ok(running.id > 0);
  try {
    await waitFor(events, (e) => e.kind === 'lifecycle' && e.event === LifecycleEvent.STARTED);
    assert.deepEqual(await drv.getState(running), { state: DomainState.RUNNING, reason: 1 });
    const info = await drv.getInfo(running);
    assert.equal(info.maxMem, 65536);
    assert.equal(typeof info.cpuTime, 'bigint');
    assert.equal(await drv.isActive(running), true);
    assert.match(await drv.getXMLDesc(running), /<domain type='qemu' id='\d+'>/);
    const qmp = JSON.parse(await drv.qemuMonitorCommand(running, '{"execute":"query-status"}'));
    assert.equal(qmp.return.status, 'running');
    assert.match(await drv.qemuMonitorCommand(running, 'info status', 1), /VM status: running/);

    const console = await drv.openConsole(running, null, 1);
    const got = await new Promise<string>((resolve, reject) => {
      let text = '';
      const t = setTimeout(() => resolve(text), 8000);
      console.on('data', (b: Buffer) => {
        text += b.toString('latin1');
        if (/SeaBIOS|Booting|iPXE|No bootable/.test(text)) {
          clearTimeout(t);
          resolve(text);
        }
      });
      console.on('error', reject);
    });
    assert.ok(got.length > 0, 'console produced output');
    console.end();

    const qev = drv.qemuMonitorEvents(running, null, 0) as RemoteEventSubscription<{ event: string }>;
    await qev.ready;
    await drv.reset(running);
    await waitFor(qev, (e) => e.event === 'RESET');
    qev.close();
    await waitFor(events, (e) => e.kind === 'reboot');

    await drv.suspend(running);
    assert.equal((await drv.getState(running)).state, DomainState.PAUSED);
    await drv.resume(running);
  } finally {
    await drv.destroy(running);
  }
  await waitFor(events, (e) => e.kind === 'lifecycle' && e.event === LifecycleEvent.STOPPED);
  assert.equal((await drv.getState(dom)).state, DomainState.SHUTOFF);
  await drv.undefine(dom);
  await waitFor(events, (e) => e.kind === 'lifecycle' && e.event === LifecycleEvent.UNDEFINED);
  events.close();
  await assert.rejects(drv.lookupByUUID(dom.uuid), /Domain not found/);
});
