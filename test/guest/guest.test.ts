// Smoke test of QEMU and the test guest, with raw QEMU (TCG) and no tsvirt code: the guest boots to
// its ready line, the ACPI power button powers it off, and the kernel command-line knobs work.
// If this fails, every guest-booting test will too; look here first.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import { join } from 'node:path';
import {
  GUEST_BOOT_TIMEOUT_MS,
  GUEST_READY,
  QEMU_BINARY,
  type RawQemuOptions,
  ensureGuest,
  makeTempRoot,
  rawQemuArgs,
  readTextOrEmpty,
  type TempRoot,
  waitFor,
  waitForFileText,
} from '../helpers/guest.js';
import { TestQmp } from '../helpers/qmp.js';

interface Booted {
  proc: ChildProcess;
  qmp: TestQmp;
  serial: string;
  bootMs: number;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stderr: () => string;
}

let root: TempRoot;
const running = new Set<ChildProcess>();

before(async () => {
  await ensureGuest();
  root = await makeTempRoot();
});

after(async () => {
  for (const p of running) p.kill('SIGKILL');
  await root?.remove();
});

async function boot(name: string, o: RawQemuOptions): Promise<Booted> {
  const serial = join(root.path, `${name}.serial`);
  const qmpSocket = join(root.path, `${name}.qmp`);
  const t0 = performance.now();
  const proc = spawn(QEMU_BINARY, rawQemuArgs({ ...o, serialFile: serial, qmpSocket }), {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  running.add(proc);
  let err = '';
  proc.stderr?.setEncoding('utf8').on('data', (d: string) => (err += d));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    proc.on('exit', (code, signal) => {
      running.delete(proc);
      resolve({ code, signal });
    }),
  );
  let gone = false;
  void exited.then(() => (gone = true));
  const qmp = await waitFor(
    async () => {
      if (gone) throw new Error(`QEMU exited early: ${err}`);
      return await TestQmp.connect(qmpSocket);
    },
    30_000,
    { what: `QMP socket of ${name}`, intervalMs: 20 },
  );
  await waitForFileText(serial, GUEST_READY, GUEST_BOOT_TIMEOUT_MS);
  return { proc, qmp, serial, bootMs: performance.now() - t0, exited, stderr: () => err };
}

describe('test guest on raw QEMU (TCG)', { concurrency: true }, () => {
  test('boots to the ready line; system_powerdown powers it off and QEMU exits', async (t) => {
    const g = await boot('powerdown', {});
    t.diagnostic(`exec → "${GUEST_READY}": ${Math.round(g.bootMs)} ms`);
    assert.deepEqual(await g.qmp.execute('query-status'), { status: 'running', singlestep: false, running: true });
    const text = await readTextOrEmpty(g.serial);
    assert.match(text, /power button: \/dev\/input\/event\d+/, 'the guest found the ACPI power button');

    const t0 = performance.now();
    await g.qmp.execute('system_powerdown');
    await g.qmp.waitEvent('POWERDOWN', 30_000);
    const shutdown = await g.qmp.waitEvent('SHUTDOWN', 60_000);
    assert.deepEqual(shutdown.data, { guest: true, reason: 'guest-shutdown' });
    const exit = await g.exited;
    t.diagnostic(`system_powerdown → QEMU exit: ${Math.round(performance.now() - t0)} ms`);
    assert.deepEqual(exit, { code: 0, signal: null }, g.stderr());
    assert.match(await readTextOrEmpty(g.serial), /power button pressed/);
  });

  test('tsvirt.ignore_button=1: powerdown is ignored; poweroff_after still works; -no-shutdown keeps QEMU', async () => {
    const g = await boot('ignore', { ignoreButton: true, poweroffAfter: 10, noShutdown: true, noShell: true });
    assert.match(await readTextOrEmpty(g.serial), /ignoring the power button/);
    await g.qmp.execute('system_powerdown');
    await g.qmp.waitEvent('POWERDOWN', 30_000);
    await new Promise((r) => setTimeout(r, 2_500));
    // An obeying guest powers off within ~50 ms of the button (see the first test).
    assert.doesNotMatch(await readTextOrEmpty(g.serial), /power button pressed/);

    // tsvirt.poweroff_after=10 powers it off by itself; with -no-shutdown QEMU stays, stopped.
    const shutdown = await g.qmp.waitEvent('SHUTDOWN', 60_000);
    assert.deepEqual(shutdown.data, { guest: true, reason: 'guest-shutdown' });
    assert.match(await readTextOrEmpty(g.serial), /powering off after 10s/);
    assert.doesNotMatch(await readTextOrEmpty(g.serial), /power button pressed/);
    await g.qmp.waitEvent('STOP', 30_000);
    assert.equal((await g.qmp.execute('query-status') as { status: string }).status, 'shutdown');
    assert.equal(g.proc.exitCode, null, 'QEMU is still running');
    await g.qmp.execute('quit');
    assert.equal((await g.exited).code, 0);
  });

  test('tsvirt.reboot_after=1 resets the guest (QEMU exits under -no-reboot)', async () => {
    const g = await boot('reboot', { rebootAfter: 1 });
    const shutdown = await g.qmp.waitEvent('SHUTDOWN', 60_000);
    assert.deepEqual(shutdown.data, { guest: true, reason: 'guest-reset' });
    assert.equal((await g.exited).code, 0);
    assert.match(await readTextOrEmpty(g.serial), /rebooting after 1s/);
  });
});
