// End-to-end: the embedded QEMU driver with real QEMU (TCG) and the test guest, through the library API.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { connect } from '../../src/index.js';
import { DomainState, ShutoffReason } from '../../src/driver/constants.js';
import { VirError } from '../../src/util/errors.js';
import {
  GUEST_BOOT_TIMEOUT_MS,
  GUEST_READY,
  cliEnv,
  guestDomainXML,
  makeTempRoot,
  waitFor,
  waitForFileText,
} from '../helpers/guest.js';
import { embeddedRootFixture } from './fixture.js';

const isVirError = (code: number, re?: RegExp) => (e: unknown) =>
  e instanceof VirError && e.code === code && (!re || re.test(e.message));

describe('embedded QEMU driver (TCG)', { timeout: 240_000 }, () => {
  const fx = embeddedRootFixture();

  test('embedded root gets the spec directory tree', () => {
    for (const d of ['log/qemu', 'log/swtpm', 'etc/qemu', 'etc/pki/qemu', 'run/qemu', 'run/swtpm', 'cache/qemu', 'lib/qemu', 'lib/swtpm']) {
      assert.ok(existsSync(`${fx.root.path}/${d}`), d);
    }
  });

  test('define, start, ready line, query-status, shutdown', async () => {
    const serial = `${fx.root.path}/g1.serial`;
    const dom = await fx.conn.defineXML(guestDomainXML({ name: 'g1', serialPath: serial }));
    assert.ok(existsSync(`${fx.root.path}/etc/qemu/g1.xml`));
    assert.deepEqual(await dom.getState(), { state: DomainState.SHUTOFF, reason: ShutoffReason.UNKNOWN });
    await dom.create();
    assert.ok(dom.id > 0);
    await assert.rejects(dom.create(), isVirError(55, /^Requested operation is not valid: domain is already running$/));
    assert.ok(existsSync(`${fx.root.path}/run/qemu/g1.xml`));
    const st = JSON.parse(await dom.qemuMonitorCommand('{"execute":"query-status"}'));
    assert.equal(st.return.status, 'running');
    await waitForFileText(serial, GUEST_READY, GUEST_BOOT_TIMEOUT_MS);
    const info = await dom.getInfo();
    assert.equal(info.state, DomainState.RUNNING);
    assert.equal(info.maxMem, 128 * 1024);
    assert.equal(info.nrVirtCpu, 1);
    const t0 = Date.now();
    await dom.shutdown();
    await waitFor(async () => (await dom.getState()).state === DomainState.SHUTOFF, 20_000);
    assert.ok(Date.now() - t0 < 20_000);
    assert.deepEqual(await dom.getState(), { state: DomainState.SHUTOFF, reason: ShutoffReason.SHUTDOWN });
    assert.ok(!existsSync(`${fx.root.path}/run/qemu/g1.xml`));
    assert.match(readFileSync(`${fx.root.path}/log/qemu/g1.log`, 'utf8'), /starting up/);
  });

  test('destroy a guest that ignores the power button', async () => {
    const serial = `${fx.root.path}/g2.serial`;
    const dom = await fx.conn.defineXML(guestDomainXML({ name: 'g2', serialPath: serial, ignoreButton: true }));
    await dom.create();
    await waitForFileText(serial, GUEST_READY, GUEST_BOOT_TIMEOUT_MS);
    await dom.shutdown();
    await new Promise((r) => setTimeout(r, 1000));
    assert.equal((await dom.getState()).state, DomainState.RUNNING);
    await dom.destroy();
    assert.deepEqual(await dom.getState(), { state: DomainState.SHUTOFF, reason: ShutoffReason.DESTROYED });
    await assert.rejects(dom.destroy(), isVirError(55, /domain is not running$/));
  });

  test('killing QEMU from outside shows shut off (crashed)', async () => {
    const dom = await fx.conn.defineXML(guestDomainXML({ name: 'g3', serialPath: `${fx.root.path}/g3.serial` }));
    await dom.create();
    const st = readFileSync(`${fx.root.path}/run/qemu/g3.xml`, 'utf8');
    const pid = Number(/pid='(\d+)'/.exec(st)?.[1]);
    assert.ok(pid > 0);
    process.kill(pid, 'SIGKILL');
    await waitFor(async () => (await dom.getState()).state === DomainState.SHUTOFF, 10_000);
    assert.deepEqual(await dom.getState(), { state: DomainState.SHUTOFF, reason: ShutoffReason.CRASHED });
  });

  test('a second process reconnects to a running guest and destroys it', async () => {
    const dom = await fx.conn.defineXML(guestDomainXML({ name: 'g4', serialPath: `${fx.root.path}/g4.serial` }));
    await dom.create();
    const id = dom.id;
    // Let go of the monitor (the guest keeps running), as a CLI process does when it exits.
    await fx.conn.close();
    const script = fileURLToPath(new URL('./second-process.js', import.meta.url));
    const child = spawn(process.execPath, [script, fx.root.uri, 'g4', String(id)], { env: cliEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    const code = await new Promise<number | null>((r) => child.on('exit', r));
    assert.equal(code, 0, out);
    assert.match(out, /state-before=1 .*state-after=5 reason-after=2/);
    fx.conn = await connect(fx.root.uri);
    const again = await fx.conn.lookupByName('g4');
    // A fresh process knows it is shut off (the reason of an inactive domain is not kept on disk, as in libvirt).
    assert.equal((await again.getState()).state, DomainState.SHUTOFF);
    assert.equal((await fx.conn.listAllDomains(1)).length, 0);
  });

  test('ids do not repeat across processes while guests run', async () => {
    const a = await fx.conn.lookupByName('g1');
    await a.create();
    const idA = a.id;
    await fx.conn.close();
    fx.conn = await connect(fx.root.uri);
    const b = await fx.conn.lookupByName('g2');
    await b.create();
    assert.notEqual(b.id, idA);
    assert.ok((await fx.conn.lookupByID(idA)).name === 'g1');
    await (await fx.conn.lookupByName('g1')).destroy();
    await b.destroy();
  });

  test('bad inputs: duplicates, unknown emulator, over-long socket path', async () => {
    const g1 = await fx.conn.lookupByName('g1');
    await assert.rejects(
      fx.conn.defineXML(guestDomainXML({ name: 'g1', serialPath: '/dev/null' })),
      isVirError(9, /^operation failed: domain 'g1' already exists with uuid /),
    );
    await assert.rejects(
      fx.conn.defineXML(guestDomainXML({ name: 'other', uuid: g1.uuid, serialPath: '/dev/null' })),
      isVirError(9, new RegExp(`^operation failed: domain 'g1' is already defined with uuid ${g1.uuid}$`)),
    );
    // The failed defines left the old config intact.
    assert.match(readFileSync(`${fx.root.path}/etc/qemu/g1.xml`, 'utf8'), /<name>g1<\/name>/);
    await assert.rejects(
      fx.conn.defineXML(guestDomainXML({ name: 'nobin', emulator: '/usr/bin/no-such-qemu', serialPath: '/dev/null' })),
      isVirError(38, /^Cannot check QEMU binary \/usr\/bin\/no-such-qemu: No such file or directory$/),
    );
    await assert.rejects(fx.conn.lookupByName('nope'), (e: unknown) => e instanceof VirError && e.message === "Domain not found: no domain with matching name 'nope'");
    const long = 'x'.repeat(60);
    const d = await fx.conn.defineXML(
      guestDomainXML({ name: 'longsock', serial: 'unix', serialPath: `${fx.root.path}/${long}/${long}/serial.sock` }),
    );
    await assert.rejects(d.create(), isVirError(1, /UNIX socket path '.*' too long/));
    assert.equal((await d.getState()).state, DomainState.SHUTOFF);
    await d.undefine();
  });

  test('relative embed root is refused', async () => {
    await assert.rejects(connect('qemu:///embed?root=relative/dir'), isVirError(67, /root path must be absolute/));
  });

  test('two embedded roots open at once', async () => {
    const r2 = await makeTempRoot();
    try {
      const c2 = await connect(r2.uri);
      assert.equal((await c2.listAllDomains()).length, 0);
      assert.ok((await fx.conn.listAllDomains()).length > 0);
      await c2.close();
    } finally {
      await r2.remove();
    }
  });
});
