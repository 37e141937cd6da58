// End to end through the CLI in embedded mode with the real test guest (TCG): define + start, the
// ready line in the serial log, QMP passthrough, ACPI shutdown, destroy of a guest that ignores the
// power button, the serial console in pipe mode. Every step is a separate tsvirt process, so each one
// also proves that a new process finds the running guest again.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  GUEST_BOOT_TIMEOUT_MS,
  GUEST_READY,
  ensureGuest,
  guestDomainXML,
  waitFor,
  waitForFileText,
} from '../helpers/guest.js';
import { cliEnv } from '../helpers/cli.js';
import { type TempRoot, makeTempRoot } from '../helpers/tmp.js';
import { TSVIRT_BIN, tsvirt } from './util.js';

let root: TempRoot;
/** Set when the driver cannot start guests yet (a piece a colleague is writing has not landed). */
let cannotStart: string | false = false;

before(async () => {
  await ensureGuest();
  root = await makeTempRoot();
});
after(async () => {
  if (root) {
    for (const name of ['e2e-acpi', 'e2e-ev', 'e2e-stubborn']) await tsvirt(['-c', root.uri, 'destroy', name]);
    await root.remove();
  }
});

const run = (...args: string[]) => tsvirt(['-c', root.uri, ...args], undefined, 150_000);

async function defineAndStart(name: string, xml: string): Promise<boolean> {
  const file = join(root.path, `${name}.xml`);
  writeFileSync(file, xml);
  const d = await run('define', file);
  assert.deepEqual([d.code, d.stderr], [0, ''], d.stderr);
  const s = await run('start', name);
  if (s.code !== 0 && /is not available in this build/.test(s.stderr)) {
    cannotStart = s.stderr.trim();
    return false;
  }
  assert.deepEqual([s.code, s.stdout, s.stderr], [0, `Domain '${name}' started\n\n`, '']);
  return true;
}

/** Runs `tsvirt console NAME` on a pseudo-terminal, types `input`, waits for `expect`, then Ctrl-]. */
function ttyConsole(name: string, input: string, expect: string): Promise<{ code: number | null; out: string }> {
  const cmd = [process.execPath, TSVIRT_BIN, '-c', root.uri, 'console', name].map((a) => `'${a}'`).join(' ');
  const child = spawn('script', ['-qfec', cmd, '/dev/null'], { env: cliEnv(), stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  let typed = false;
  let detached = false;
  child.stdout.setEncoding('utf8').on('data', (d: string) => {
    out += d;
    if (!typed && out.includes('Escape character is')) {
      typed = true;
      setTimeout(() => child.stdin.write(input), 300);
    }
    if (!detached && out.includes(expect)) {
      detached = true;
      child.stdin.write('\x1d');
    }
  });
  const killer = setTimeout(() => child.kill('SIGKILL'), 60_000);
  return new Promise((resolve) =>
    child.on('close', (code) => {
      clearTimeout(killer);
      resolve({ code, out });
    }),
  );
}

async function stateOf(name: string): Promise<string> {
  const r = await run('domstate', name, '--reason');
  assert.equal(r.code, 0, r.stderr);
  return r.stdout.trim();
}

describe('a guest driven through the CLI', { timeout: 900_000 }, () => {
  test('define, start, ready line, QMP, ACPI shutdown', async (t) => {
    const serial = join(root.path, 'acpi.serial');
    const xml = guestDomainXML({ name: 'e2e-acpi', serial: 'file', serialPath: serial });
    if (!(await defineAndStart('e2e-acpi', xml))) return t.skip(`driver cannot start guests yet: ${cannotStart}`);

    await waitForFileText(serial, GUEST_READY, GUEST_BOOT_TIMEOUT_MS);
    assert.equal(await stateOf('e2e-acpi'), 'running (booted)');

    const l = await run('list');
    assert.match(l.stdout, /^ Id {3}Name {7}State\n-{26}\n \d+ +e2e-acpi {3}running\n\n$/);
    const info = await run('dominfo', 'e2e-acpi');
    assert.match(info.stdout, /^Id: {13}\d+\n/);
    assert.match(info.stdout, /^State: {10}running$/m);
    assert.match(info.stdout, /^CPU time: {7}\d+\.\ds$/m);

    const q = await run('qemu-monitor-command', 'e2e-acpi', '{"execute":"query-status"}');
    assert.equal(q.code, 0, q.stderr);
    const reply = JSON.parse(q.stdout) as { return: { status: string; running: boolean } };
    assert.equal(reply.return.status, 'running');
    assert.equal(reply.return.running, true);
    const pretty = await run('qemu-monitor-command', 'e2e-acpi', '--pretty', '{"execute":"query-status"}');
    assert.match(pretty.stdout, /^\{\n {2}"return": \{\n {4}"status": "running",\n[\s\S]*\n\}\n\n$/);
    const rv = await run('qemu-monitor-command', 'e2e-acpi', '--return-value', '{"execute":"query-status"}');
    assert.equal((JSON.parse(rv.stdout) as { status: string }).status, 'running');
    const hmp = await run('qemu-monitor-command', 'e2e-acpi', '--hmp', 'info', 'status');
    assert.match(hmp.stdout, /VM status: running/);

    const s = await run('shutdown', 'e2e-acpi');
    assert.deepEqual([s.code, s.stdout, s.stderr], [0, "Domain 'e2e-acpi' is being shutdown\n\n", '']);
    await waitFor(async () => (await stateOf('e2e-acpi')).startsWith('shut off'), 20_000, {
      intervalMs: 250,
      what: 'e2e-acpi to shut off after the power button',
    });
    // Each command is a new embedded driver instance, like a daemon restart in libvirt: whether the
    // shut-off reason survives depends on the driver persisting it; the state itself must.
    assert.match(await stateOf('e2e-acpi'), /^shut off \((shutdown|unknown)\)$/);
    assert.equal((await run('domid', 'e2e-acpi')).stdout, '-\n\n');
  });

  test('event and qemu-monitor-event on a guest that keeps rebooting', async (t) => {
    if (cannotStart) return t.skip(`driver cannot start guests yet: ${cannotStart}`);
    const serial = join(root.path, 'ev.serial');
    const xml = guestDomainXML({ name: 'e2e-ev', serial: 'file', serialPath: serial, rebootAfter: 2 });
    if (!(await defineAndStart('e2e-ev', xml))) return t.skip(`driver cannot start guests yet: ${cannotStart}`);
    try {
      // One-shot: the first reboot ends the command.
      const e = await run('event', '--domain', 'e2e-ev', '--event', 'reboot', '--timeout', '90');
      assert.deepEqual([e.code, e.stdout, e.stderr], [0, "event 'reboot' for domain 'e2e-ev'\nevents received: 1\n\n", '']);

      const q = await run('qemu-monitor-event', '--domain', 'e2e-ev', '--event', 'RESET', '--timeout', '90');
      assert.equal(q.code, 0, q.stderr);
      assert.match(
        q.stdout,
        /^event RESET at \d+\.\d{6} for domain 'e2e-ev': \{"guest":true,"reason":"guest-reset"\}\nevents received: 1\n\n$/,
      );
      const p = await run('qemu-monitor-event', 'e2e-ev', 'RESET', '90', '--pretty', '--timestamp');
      assert.match(
        p.stdout,
        /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}\+0000: event RESET for domain 'e2e-ev': \{\n {2}"guest": true,\n {2}"reason": "guest-reset"\n\}\n\nevents received: 1\n\n$/,
      );

      // Any event type, with a timestamp; still one-shot.
      const l = await run('event', '--all', '--timeout', '90', '--timestamp');
      assert.equal(l.code, 0, l.stderr);
      assert.match(l.stdout, /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}\+0000: event '[a-z-]+' for domain 'e2e-ev'.*\nevents received: 1\n\n$/);
    } finally {
      await run('destroy', 'e2e-ev');
    }
  });

  test('a guest that ignores the power button: console, shutdown has no effect, destroy', async (t) => {
    if (cannotStart) return t.skip(`driver cannot start guests yet: ${cannotStart}`);
    const xml = guestDomainXML({ name: 'e2e-stubborn', serial: 'pty', ignoreButton: true });
    if (!(await defineAndStart('e2e-stubborn', xml))) return t.skip(`driver cannot start guests yet: ${cannotStart}`);

    // The console in pipe mode: a shell command typed in comes back evaluated once the guest is up.
    let out = '';
    await waitFor(
      async () => {
        const c = await tsvirt(['-c', root.uri, 'console', 'e2e-stubborn'], 'echo CONSOLE-$((6*7))\n');
        assert.equal(c.code, 0, c.stderr);
        out = c.stdout;
        return out.includes('CONSOLE-42');
      },
      GUEST_BOOT_TIMEOUT_MS,
      { intervalMs: 500, what: 'a shell answering on the serial console' },
    );
    assert.ok(out.startsWith("Connected to domain 'e2e-stubborn'\nEscape character is ^] (Ctrl + ])\n"), out);

    // On a terminal (script(1) provides one): raw mode, and Ctrl-] detaches with status 0.
    const tty = await ttyConsole('e2e-stubborn', 'echo TTY-$((6*7))\r', 'TTY-42');
    assert.equal(tty.code, 0, tty.out);
    assert.match(tty.out, /^Connected to domain 'e2e-stubborn'\r\nEscape character is \^\] \(Ctrl \+ \]\)\r\n/);
    assert.match(tty.out, /TTY-42/);

    const s = await run('shutdown', 'e2e-stubborn', '--mode', 'acpi');
    assert.equal(s.code, 0, s.stderr);
    await new Promise((r) => setTimeout(r, 3000));
    assert.equal(await stateOf('e2e-stubborn'), 'running (booted)', 'the guest ignores the power button');

    // Another process (each command is one) sees it running and destroys it.
    const d = await run('destroy', 'e2e-stubborn');
    assert.deepEqual([d.code, d.stdout, d.stderr], [0, "Domain 'e2e-stubborn' destroyed\n\n", '']);
    assert.match(await stateOf('e2e-stubborn'), /^shut off \((destroyed|unknown)\)$/);
    const again = await run('destroy', 'e2e-stubborn');
    assert.equal(again.code, 1);
    assert.equal(
      again.stderr,
      "error: Failed to destroy domain 'e2e-stubborn'\nerror: Requested operation is not valid: domain is not running\n",
    );
  });
});
