// Why a persistent domain stopped outlives the process that saw it stop: the next process opening the
// embedded root reports the same state and reason (libvirtd remembers it in memory while it runs).
// Undefine forgets it. Real QEMU (TCG).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { DomainState, ShutoffReason } from '../../src/driver/constants.js';
import { connect } from '../../src/index.js';
import { GUEST_BOOT_TIMEOUT_MS, guestDomainXML, waitFor } from '../helpers/guest.js';
import { embeddedRootFixture } from './fixture.js';

const SRC_INDEX = fileURLToPath(new URL('../../src/index.js', import.meta.url));
const CHILD = `
const { connect } = await import(process.env.TSV_SRC_INDEX);
const conn = await connect(process.env.TSV_URI);
const dom = await conn.lookupByName(process.env.TSV_NAME);
process.stdout.write(JSON.stringify(await dom.getState()));
await conn.close();
`;

/** getState() of a domain as a fresh process opening the root sees it. */
async function stateInNewProcess(uri: string, name: string): Promise<{ state: number; reason: number }> {
  const env: NodeJS.ProcessEnv = { ...process.env, TSV_SRC_INDEX: SRC_INDEX, TSV_URI: uri, TSV_NAME: name };
  delete env.NODE_EXTRA_CA_CERTS;
  const child = spawn(process.execPath, ['--input-type=module', '-e', CHILD], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
  const code = await new Promise<number | null>((r) => child.on('close', r));
  assert.equal(code, 0, err);
  return JSON.parse(out) as { state: number; reason: number };
}

describe('shut-off reason across embedded processes (TCG)', { timeout: 240_000 }, () => {
  const fx = embeddedRootFixture();

  test('destroyed, then shutdown by the guest: the next process reports the same reason', async () => {
    const dom = await fx.conn.defineXML(guestDomainXML({ name: 'ls1', serial: 'pty', poweroffAfter: 0 }));
    const lastFile = join(fx.root.path, 'run/qemu/ls1.laststate');
    assert.deepEqual(await stateInNewProcess(fx.root.uri, 'ls1'), { state: DomainState.SHUTOFF, reason: ShutoffReason.UNKNOWN });
    await dom.create(1); // paused: the guest does not run, so it cannot power off first
    await dom.destroy();
    assert.deepEqual(await dom.getState(), { state: DomainState.SHUTOFF, reason: ShutoffReason.DESTROYED });
    assert.deepEqual(await stateInNewProcess(fx.root.uri, 'ls1'), { state: DomainState.SHUTOFF, reason: ShutoffReason.DESTROYED });

    // The guest powers itself off once booted.
    await dom.create();
    await waitFor(async () => (await dom.getState()).state === DomainState.SHUTOFF, GUEST_BOOT_TIMEOUT_MS + 20_000);
    assert.deepEqual(await dom.getState(), { state: DomainState.SHUTOFF, reason: ShutoffReason.SHUTDOWN });
    assert.deepEqual(await stateInNewProcess(fx.root.uri, 'ls1'), { state: DomainState.SHUTOFF, reason: ShutoffReason.SHUTDOWN });
    assert.ok(existsSync(lastFile));

    // Undefine forgets it: a new domain of the same name starts with no reason.
    await dom.undefine();
    assert.ok(!existsSync(lastFile));
    await fx.conn.defineXML(guestDomainXML({ name: 'ls1', serial: 'pty' }));
    assert.deepEqual(await stateInNewProcess(fx.root.uri, 'ls1'), { state: DomainState.SHUTOFF, reason: ShutoffReason.UNKNOWN });
  });

  test('a QEMU that died while no process watched it: crashed, for the process that found out and the ones after', async () => {
    const dom = await fx.conn.defineXML(guestDomainXML({ name: 'ls2', serial: 'pty' }));
    await dom.create(1);
    const pid = Number(/pid='(\d+)'/.exec(readFileSync(join(fx.root.path, 'run/qemu/ls2.xml'), 'utf8'))?.[1]);
    assert.ok(pid > 0);
    // Stop watching it (as a CLI process exiting), then kill it behind the driver's back.
    await fx.conn.close();
    try {
      process.kill(pid, 'SIGKILL');
      await waitFor(() => {
        try {
          return readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.[0] === 'Z';
        } catch {
          return true;
        }
      }, 10_000);
      const first = await stateInNewProcess(fx.root.uri, 'ls2');
      assert.equal(first.state, DomainState.SHUTOFF);
      assert.notEqual(first.reason, ShutoffReason.UNKNOWN);
      assert.deepEqual(await stateInNewProcess(fx.root.uri, 'ls2'), first);
    } finally {
      fx.conn = await connect(fx.root.uri);
    }
    assert.equal((await (await fx.conn.lookupByName('ls2')).getState()).state, DomainState.SHUTOFF);
  });
});
