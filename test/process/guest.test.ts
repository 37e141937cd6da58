// spawnQemu with the real test guest (scripts/build-guest.sh): a TCG boot to the ready line, a guest
// power-off reported as a shutdown, and the KVM internal-error crash these machines produce.
import assert from 'node:assert/strict';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { type GuestCrashInfo, GuestCrashDetector, type QemuExit, type QemuProcess, spawnQemu } from '../../src/qemu/process/index.js';
import type { QmpEvent } from '../../src/qemu/monitor/qmp.js';
import { GUEST_BOOT_TIMEOUT_MS, GUEST_READY, guestIsBuilt, rawQemuArgs, waitForFileText } from '../helpers/guest.js';
import { BASE_ENV, QEMU, killQuiet, makePaths, monitorArgs, nextEvent, withTimeout } from './fixture.js';

const noGuest = guestIsBuilt() ? false : 'test guest not built (run scripts/build-guest.sh)';

describe('QEMU with the test guest', () => {
  it('boots under TCG; a guest power-off ends as a shutdown, not a crash', { skip: noGuest }, async () => {
    const p = makePaths();
    const serial = join(p.dir, 'serial.log');
    let proc: QemuProcess | undefined;
    try {
      const t0 = performance.now();
      proc = await spawnQemu({
        emulator: QEMU,
        argv: [...rawQemuArgs({ paused: true, serialFile: serial, accel: 'tcg' }), ...monitorArgs(p.monitor)],
        env: BASE_ENV,
        logPath: p.log,
        monitorPath: p.monitor,
        name: 'tcg-guest',
      });
      const tReady = performance.now();
      await proc.qmp.execute('cont');
      await waitForFileText(serial, GUEST_READY, GUEST_BOOT_TIMEOUT_MS, { intervalMs: 20 });
      const tBoot = performance.now();
      console.log(
        `# guest (TCG): spawn → QMP ready ${(tReady - t0).toFixed(0)} ms, → '${GUEST_READY}' ${(tBoot - t0).toFixed(0)} ms`,
      );
      assert.equal((await proc.qmp.execute<{ status: string }>('query-status')).status, 'running');
      assert.equal(proc.crash.lastCrash, null);

      const shutdown = nextEvent(proc.qmp, 'SHUTDOWN', 30_000);
      const t1 = performance.now();
      await proc.qmp.execute('system_powerdown');
      const ev = await shutdown;
      const ex = await withTimeout(proc.exited, 30_000, 'exited');
      console.log(`# system_powerdown → QEMU gone: ${(performance.now() - t1).toFixed(0)} ms`);
      assert.deepEqual(ev.data, { guest: true, reason: 'guest-shutdown' });
      assert.equal(ex.reason, 'shutdown');
      assert.equal(ex.crashed, false);
      assert.equal(ex.code, 0);
      assert.deepEqual(ex.shutdown, { guest: true, reason: 'guest-shutdown' });
    } finally {
      killQuiet(proc?.pid);
      p.remove();
    }
  });

  it(
    'reports the KVM internal error these machines give a KVM guest instead of hanging',
    { skip: noGuest || (existsSync('/dev/kvm') ? false : 'no /dev/kvm on this machine') },
    async (t) => {
      const p = makePaths();
      const serial = join(p.dir, 'serial.log');
      let proc: QemuProcess | undefined;
      try {
        proc = await spawnQemu({
          emulator: QEMU,
          argv: [...rawQemuArgs({ paused: true, serialFile: serial, accel: 'kvm', noShutdown: true }), ...monitorArgs(p.monitor)],
          env: BASE_ENV,
          logPath: p.log,
          monitorPath: p.monitor,
          name: 'kvm-guest',
        });
        const crashed = new Promise<GuestCrashInfo>((r) => proc!.once('guest-crash', r));
        const ready = waitForFileText(serial, GUEST_READY, 60_000, { intervalMs: 50 }).then(() => 'ready' as const);
        await proc.qmp.execute('cont');
        const first = await withTimeout(
          Promise.race([crashed, ready, proc.exited.then((e): QemuExit => e)]),
          60_000,
          'KVM guest: crash, ready line or exit',
        );
        if (first === 'ready') {
          t.skip('KVM works on this machine: the guest booted, no crash to report');
          return;
        }
        if ('reason' in first) assert.fail(`QEMU exited instead of stopping the guest: ${first.message}`);
        const info = first as GuestCrashInfo;
        console.log(`# KVM crash reported: ${info.message}`);
        assert.equal(info.status, 'internal-error');
        assert.equal(info.source, 'STOP');
        assert.match(info.kvmError ?? '', /^KVM internal error\. Suberror: \d+/);
        assert.match(info.message, /^guest crashed: QEMU stopped the guest CPUs with an internal error \(KVM internal error/);
        assert.equal((await proc.qmp.execute<{ status: string }>('query-status')).status, 'internal-error');
        assert.equal((await proc.crash.check())?.status, 'internal-error');
        assert.equal(proc.isAlive(), true, 'QEMU itself keeps running');
        const ex = await proc.stop({ graceful: false });
        assert.equal(ex.reason, 'destroyed');
      } finally {
        killQuiet(proc?.pid);
        p.remove();
      }
    },
  );
});

describe('QEMU asked for KVM where there is none', () => {
  it('fails the start with QEMU\'s own words', { skip: existsSync('/dev/kvm') ? '/dev/kvm exists here' : false }, async () => {
    const p = makePaths();
    try {
      await assert.rejects(
        spawnQemu({
          emulator: QEMU,
          argv: ['-machine', 'pc,accel=kvm', '-S', '-nodefaults', '-display', 'none', ...monitorArgs(p.monitor)],
          env: BASE_ENV,
          logPath: p.log,
          monitorPath: p.monitor,
        }),
        (e: unknown) => {
          // Which of libvirt's two texts depends on whether QEMU had bound the monitor before it gave up.
          assert.match(
            (e as Error).message,
            /^internal error: (process exited while connecting to monitor|qemu unexpectedly closed the monitor): Could not access KVM kernel module: No such file or directory\nqemu-system-x86_64: failed to initialize kvm: No such file or directory$/,
          );
          return true;
        },
      );
    } finally {
      p.remove();
    }
  });
});

// The KVM crash cannot happen on a machine without /dev/kvm, so the detector's decision logic is also
// run against a stand-in monitor that replays what QEMU 7.2 sends in that case (STOP, then
// query-status 'internal-error', the report on stderr).
class ReplayMonitor {
  private readonly listeners = new Set<(e: QmpEvent) => void>();
  status = 'running';
  queries = 0;
  on(_: 'event', l: (e: QmpEvent) => void) {
    this.listeners.add(l);
  }
  off(_: 'event', l: (e: QmpEvent) => void) {
    this.listeners.delete(l);
  }
  async execute<T>(command: string): Promise<T> {
    assert.equal(command, 'query-status');
    this.queries++;
    return { status: this.status, singlestep: false, running: this.status === 'running' } as T;
  }
  send(event: string, data: Record<string, unknown> = {}) {
    for (const l of this.listeners) l({ event, data, timestamp: { seconds: 1, microseconds: 2 } });
  }
}

describe('GuestCrashDetector decisions', () => {
  it('reports an internal-error stop once, with the KVM text from the log', async () => {
    const p = makePaths();
    try {
      writeFileSync(
        p.log,
        'header\nKVM internal error. Suberror: 1\nemulation failure\nRAX=0000000000000000 RBX=0000000000000000\nCode=0f c7 0e\n',
      );
      const mon = new ReplayMonitor();
      const d = new GuestCrashDetector(mon, { logPath: p.log, logOffset: 'header\n'.length });
      const seen: GuestCrashInfo[] = [];
      d.on('crash', (c) => seen.push(c));
      // an ordinary pause is not a crash
      mon.status = 'paused';
      mon.send('STOP');
      await new Promise((r) => setImmediate(r));
      assert.equal(seen.length, 0);
      mon.status = 'running';
      mon.send('RESUME');
      // the KVM failure
      mon.status = 'internal-error';
      mon.send('STOP');
      await new Promise((r) => setImmediate(r));
      assert.equal(seen.length, 1);
      assert.equal(seen[0].status, 'internal-error');
      assert.equal(seen[0].source, 'STOP');
      assert.equal(seen[0].kvmError, 'KVM internal error. Suberror: 1: emulation failure');
      assert.equal(
        seen[0].message,
        'guest crashed: QEMU stopped the guest CPUs with an internal error (KVM internal error. Suberror: 1: emulation failure)',
      );
      assert.ok(!seen[0].logTail.includes('header'));
      // asking again (e.g. after a reconnect) does not report it twice
      assert.equal((await d.check())?.status, 'internal-error');
      assert.equal(seen.length, 1);
      // a reset clears it; a guest panic is reported from its own event
      mon.send('RESET');
      mon.status = 'guest-panicked';
      mon.send('GUEST_PANICKED', { action: 'pause' });
      assert.equal(seen.length, 2);
      assert.equal(seen[1].status, 'guest-panicked');
      assert.deepEqual(seen[1].panic, { action: 'pause' });
      mon.send('STOP');
      await new Promise((r) => setImmediate(r));
      assert.equal(seen.length, 2, 'the STOP that follows a panic is the same crash');
      d.dispose();
      mon.send('RESET');
      mon.send('GUEST_PANICKED', { action: 'pause' });
      assert.equal(seen.length, 2, 'nothing after dispose');
    } finally {
      p.remove();
    }
  });
});
