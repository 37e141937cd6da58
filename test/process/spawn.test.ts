// spawnQemu / QemuProcess / reconnectQemu against a real QEMU 7.2 (-machine none -S).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmodSync, closeSync, existsSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import * as net from 'node:net';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { type QemuProcess, procStartTime, readProcStat, reconnectQemu, spawnQemu } from '../../src/qemu/process/index.js';
import { ErrorCode, VirError } from '../../src/util/errors.js';
import { BASE_ENV, QEMU, bareArgs, killQuiet, makePaths, nextEvent, withTimeout } from './fixture.js';

async function spawnBare(p: ReturnType<typeof makePaths>, extra: string[] = [], more: Partial<Parameters<typeof spawnQemu>[0]> = {}) {
  return spawnQemu({
    emulator: QEMU,
    argv: bareArgs(p.monitor, extra),
    env: BASE_ENV,
    logPath: p.log,
    monitorPath: p.monitor,
    pidfilePath: p.pidfile,
    name: 'test',
    ...more,
  });
}

describe('spawnQemu', () => {
  it('starts QEMU, writes log header and pidfile, and drives it over QMP', async () => {
    const p = makePaths();
    let proc: QemuProcess | undefined;
    try {
      const t0 = performance.now();
      proc = await spawnBare(p, [], { logHeader: 'tsvirt test' });
      console.log(`# spawn → QMP ready: ${(performance.now() - t0).toFixed(1)} ms`);
      assert.ok(proc.pid > 0);
      assert.equal(proc.startTime, procStartTime(proc.pid));
      assert.equal(readFileSync(p.pidfile, 'utf8'), `${proc.pid}\n`);
      assert.equal(proc.isAlive(), true);
      assert.equal(proc.qmp.greeting.version.qemu.major, 7);

      const log = readFileSync(p.log, 'utf8');
      assert.match(log, /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}\+0000: starting up tsvirt test\n/);
      assert.ok(log.includes(`LC_ALL=C \\\nPATH=${BASE_ENV.PATH} \\\n${QEMU} \\\n-machine none \\\n-S \\\n`), log);
      assert.ok(log.includes(`-chardev socket,id=charmonitor,path=${p.monitor},server=on,wait=off \\\n`));

      assert.equal((await proc.qmp.execute<{ status: string }>('query-status')).status, 'prelaunch');
      const resumed = nextEvent(proc.qmp, 'RESUME');
      await proc.qmp.execute('cont');
      await resumed;
      const stopped = nextEvent(proc.qmp, 'STOP');
      await proc.qmp.execute('stop');
      await stopped;
      assert.equal(await proc.qmp.hmp('info status'), 'VM status: paused\r\n');
      // stop() on a paused VM (no crash report for an ordinary pause)
      assert.equal(proc.crash.lastCrash, null);
      assert.equal(await proc.crash.check(), null);

      const t1 = performance.now();
      const ex = await proc.stop({ graceful: false });
      console.log(`# stop (SIGTERM) → exited: ${(performance.now() - t1).toFixed(1)} ms`);
      assert.equal(ex.reason, 'destroyed');
      assert.equal(ex.crashed, false);
      assert.equal(proc.isAlive(), false);
      assert.equal(proc.qmp.closed, true);
      assert.equal(existsSync(p.pidfile), false, 'pidfile removed');
      // QEMU on SIGTERM reports SHUTDOWN (host-signal) and exits 0
      assert.equal(ex.code, 0);
      assert.deepEqual(ex.shutdown, { guest: false, reason: 'host-signal' });
      assert.deepEqual(await proc.exited, ex);
    } finally {
      killQuiet(proc?.pid);
      p.remove();
    }
  });

  it('notices QEMU killed from outside quickly, as a crash', async () => {
    const p = makePaths();
    let proc: QemuProcess | undefined;
    try {
      proc = await spawnBare(p);
      const closed = new Promise<number>((r) => proc!.qmp.once('close', () => r(performance.now())));
      const t0 = performance.now();
      process.kill(proc.pid, 'SIGKILL');
      const ex = await withTimeout(proc.exited, 5000, 'exited');
      const t1 = performance.now();
      console.log(
        `# SIGKILL from outside → QMP close ${((await closed) - t0).toFixed(1)} ms, exited resolved ${(t1 - t0).toFixed(1)} ms`,
      );
      assert.equal(ex.signal, 'SIGKILL');
      assert.equal(ex.code, null);
      assert.equal(ex.crashed, true);
      assert.equal(ex.reason, 'crashed');
      assert.match(ex.message, /^guest unexpectedly quit: QEMU \(pid \d+, domain 'test'\) was killed by signal SIGKILL$/);
      await assert.rejects(proc.qmp.execute('query-status'), { message: "internal error: End of file from qemu monitor (vm='test')" });
    } finally {
      killQuiet(proc?.pid);
      p.remove();
    }
  });

  it('reports a QMP quit as a shutdown, not a crash', async () => {
    const p = makePaths();
    let proc: QemuProcess | undefined;
    try {
      proc = await spawnBare(p);
      const exitEvent = new Promise((r) => proc!.once('exit', r));
      await proc.qmp.execute('quit');
      const ex = await withTimeout(proc.exited, 5000, 'exited');
      assert.equal(ex.reason, 'shutdown');
      assert.equal(ex.crashed, false);
      assert.equal(ex.code, 0);
      assert.deepEqual(ex.shutdown, { guest: false, reason: 'host-qmp-quit' });
      assert.equal(await exitEvent, ex);
    } finally {
      killQuiet(proc?.pid);
      p.remove();
    }
  });

  it('stop(graceful) fails on a QEMU that ignores SIGTERM; a forced stop then kills it', async () => {
    const p = makePaths();
    let proc: QemuProcess | undefined;
    try {
      proc = await spawnBare(p);
      process.kill(proc.pid, 'SIGSTOP'); // SIGTERM stays pending on a stopped process
      await assert.rejects(proc.stop({ graceful: true, timeoutMs: 200 }), (e: unknown) => {
        assert.ok(e instanceof VirError);
        assert.equal(e.code, ErrorCode.SYSTEM_ERROR);
        assert.equal(e.message, `Failed to terminate process ${proc!.pid} with SIGTERM: Device or resource busy`);
        return true;
      });
      assert.equal(proc.isAlive(), true);
      const ac = new AbortController();
      setTimeout(() => ac.abort(), 100);
      await assert.rejects(proc.stop({ graceful: true, timeoutMs: 5000, signal: ac.signal }), {
        code: ErrorCode.OPERATION_ABORTED,
        message: `operation aborted: stopping QEMU (pid ${proc.pid}) was aborted`,
      });
      const t0 = performance.now();
      const ex = await proc.stop({ graceful: false, timeoutMs: 200 });
      console.log(`# forced stop of a frozen QEMU (200 ms SIGTERM grace) → exited: ${(performance.now() - t0).toFixed(1)} ms`);
      assert.equal(ex.signal, 'SIGKILL');
      assert.equal(ex.reason, 'destroyed');
      assert.equal(ex.crashed, false);
    } finally {
      killQuiet(proc?.pid);
      p.remove();
    }
  });

  it('rejects with the log tail when QEMU exits before the monitor is up', async () => {
    const p = makePaths();
    try {
      await assert.rejects(spawnBare(p, ['-bogus-option']), (e: unknown) => {
        assert.ok(e instanceof VirError);
        assert.equal(e.code, ErrorCode.INTERNAL_ERROR);
        assert.equal(
          e.message,
          'internal error: process exited while connecting to monitor: qemu-system-x86_64: -bogus-option: invalid option',
        );
        return true;
      });
      assert.equal(existsSync(p.pidfile), false);
    } finally {
      p.remove();
    }
  });

  it('rejects with the log tail when QEMU fails after creating the monitor', async () => {
    const p = makePaths();
    try {
      const argv = ['-machine', 'pc,accel=tcg', '-S', '-nodefaults', '-display', 'none', '-kernel', '/nonexistent/vmlinuz'];
      await assert.rejects(
        spawnQemu({
          emulator: QEMU,
          argv: [...argv, ...bareArgs(p.monitor).slice(7)],
          env: BASE_ENV,
          logPath: p.log,
          monitorPath: p.monitor,
        }),
        (e: unknown) => {
          assert.ok(e instanceof VirError);
          assert.match(
            e.message,
            /^internal error: (qemu unexpectedly closed the monitor|process exited while connecting to monitor): qemu: could not open kernel file '\/nonexistent\/vmlinuz': No such file or directory$/,
          );
          return true;
        },
      );
    } finally {
      p.remove();
    }
  });

  it('reports a missing emulator', async () => {
    const p = makePaths();
    try {
      await assert.rejects(
        spawnQemu({ emulator: '/nonexistent/qemu', argv: [], env: BASE_ENV, logPath: p.log, monitorPath: p.monitor }),
        { code: ErrorCode.SYSTEM_ERROR, message: 'cannot execute binary /nonexistent/qemu: No such file or directory' },
      );
    } finally {
      p.remove();
    }
  });

  it('aborts a start and leaves no QEMU behind', async () => {
    const p = makePaths();
    try {
      const ac = new AbortController();
      // -S with the monitor socket never created: QEMU waits for nothing, we abort
      const pr = spawnQemu({
        emulator: QEMU,
        argv: bareArgs(join(p.dir, 'other.sock')),
        env: BASE_ENV,
        logPath: p.log,
        monitorPath: p.monitor,
        pidfilePath: p.pidfile,
        signal: ac.signal,
      });
      setTimeout(() => ac.abort(), 300);
      await assert.rejects(pr, { code: ErrorCode.OPERATION_ABORTED });
      assert.equal(existsSync(p.pidfile), false);
    } finally {
      p.remove();
    }
  });

  it('times out when the monitor never comes up', async () => {
    const p = makePaths();
    try {
      await assert.rejects(
        spawnQemu({
          emulator: QEMU,
          argv: bareArgs(join(p.dir, 'other.sock')),
          env: BASE_ENV,
          logPath: p.log,
          monitorPath: p.monitor,
          timeoutMs: 400,
        }),
        { code: ErrorCode.OPERATION_TIMEOUT, message: 'Timed out during operation: QEMU monitor did not come up within 400 ms' },
      );
    } finally {
      p.remove();
    }
  });

  it('passes file descriptors at fd 3, 4, … for -add-fd', async () => {
    const p = makePaths();
    let proc: QemuProcess | undefined;
    const fa = join(p.dir, 'a.img');
    const fb = join(p.dir, 'b.img');
    writeFileSync(fa, '');
    writeFileSync(fb, '');
    const fds = [openSync(fa, 'r+'), openSync(fb, 'r')];
    try {
      proc = await spawnBare(p, ['-add-fd', 'fd=3,set=2,opaque=a', '-add-fd', 'fd=4,set=5,opaque=b'], { fds });
      const sets = await proc.qmp.execute<Array<{ 'fdset-id': number; fds: Array<{ fd: number; opaque?: string }> }>>('query-fdsets');
      const byId = new Map(sets.map((s) => [s['fdset-id'], s.fds.map((f) => f.opaque)]));
      assert.deepEqual(byId.get(2), ['a']);
      assert.deepEqual(byId.get(5), ['b']);
      await proc.stop({ graceful: false });
    } finally {
      for (const fd of fds) closeSync(fd);
      killQuiet(proc?.pid);
      p.remove();
    }
  });

  it('runs QEMU as nobody through setpriv, without capabilities', async (t) => {
    if (process.getuid?.() !== 0) return t.skip('needs root to change user');
    const p = makePaths();
    chmodSync(p.dir, 0o777);
    let proc: QemuProcess | undefined;
    try {
      proc = await spawnBare(p, [], { runAs: { uid: 65534, gid: 65534, groups: [], keepCaps: false } });
      const status = readFileSync(`/proc/${proc.pid}/status`, 'utf8');
      const field = (k: string) => new RegExp(`^${k}:[ \\t]*(.*)$`, 'm').exec(status)?.[1].trim();
      assert.match(field('Uid') ?? '', /^65534\s+65534\s+65534\s+65534$/);
      assert.match(field('Gid') ?? '', /^65534\s+65534\s+65534\s+65534$/);
      assert.equal(field('Groups'), '');
      assert.equal(field('CapEff'), '0000000000000000');
      assert.equal(field('CapBnd'), '0000000000000000');
      assert.equal(readProcStat(proc.pid)?.comm, 'qemu-system-x86');
      assert.equal((await proc.qmp.execute<{ status: string }>('query-status')).status, 'prelaunch');
      await proc.stop({ graceful: false });
    } finally {
      killQuiet(proc?.pid);
      p.remove();
    }
  });
});

/** The floor: exec QEMU, poll connect() every millisecond, greeting, qmp_capabilities — no log, no pidfile. */
async function rawSpawnToReady(p: ReturnType<typeof makePaths>): Promise<number> {
  const t0 = performance.now();
  const child = spawn(QEMU, bareArgs(p.monitor), { stdio: 'ignore', env: BASE_ENV });
  const exited = new Promise((r) => child.once('exit', r));
  let sock: net.Socket | undefined;
  while (!sock) {
    sock = await new Promise<net.Socket | undefined>((resolve) => {
      const s = net.createConnection(p.monitor);
      s.once('connect', () => resolve(s));
      s.once('error', () => setTimeout(() => resolve(undefined), 1));
    });
  }
  let buf = '';
  const line = () =>
    new Promise<string>((resolve) => {
      const on = (d: Buffer) => {
        buf += d;
        const i = buf.indexOf('\n');
        if (i < 0) return;
        const l = buf.slice(0, i);
        buf = buf.slice(i + 1);
        sock!.off('data', on);
        resolve(l);
      };
      sock!.on('data', on);
    });
  await line();
  sock.write('{"execute":"qmp_capabilities"}\n');
  await line();
  const dt = performance.now() - t0;
  sock.destroy();
  child.kill('SIGKILL');
  await exited;
  return dt;
}

describe('spawn cost', () => {
  it('measures spawn → QMP ready against raw QEMU, interleaved (logged, not asserted)', async () => {
    const raw: number[] = [];
    const ours: number[] = [];
    for (let i = 0; i < 5; i++) {
      const a = makePaths();
      try {
        raw.push(await rawSpawnToReady(a));
      } finally {
        a.remove();
      }
      const b = makePaths();
      let proc: QemuProcess | undefined;
      try {
        const t0 = performance.now();
        proc = await spawnBare(b);
        ours.push(performance.now() - t0);
        await proc.stop({ graceful: false });
      } finally {
        killQuiet(proc?.pid);
        b.remove();
      }
    }
    const med = (xs: number[]) => [...xs].sort((x, y) => x - y)[xs.length >> 1].toFixed(1);
    console.log(`# spawn → QMP ready, median of 5 interleaved: raw QEMU ${med(raw)} ms, spawnQemu ${med(ours)} ms`);
  });
});

// A QEMU started by another (short-lived) process, as the next CLI invocation finds it.
const ORPHAN_SCRIPT = `
const { spawnQemu } = await import(process.argv[1]);
const o = JSON.parse(process.argv[2]);
const proc = await spawnQemu(o);
process.stdout.write(JSON.stringify({ pid: proc.pid, startTime: proc.startTime }));
proc.detach();
`;

function spawnOrphan(p: ReturnType<typeof makePaths>): Promise<{ pid: number; startTime: string }> {
  const mod = fileURLToPath(new URL('../../src/qemu/process/index.js', import.meta.url));
  const o = { emulator: QEMU, argv: bareArgs(p.monitor), env: BASE_ENV, logPath: p.log, monitorPath: p.monitor };
  const env = { ...process.env };
  delete env.NODE_EXTRA_CA_CERTS;
  return new Promise((resolve, reject) => {
    const c = spawn(process.execPath, ['--input-type=module', '-e', ORPHAN_SCRIPT, mod, JSON.stringify(o)], {
      stdio: ['ignore', 'pipe', 'inherit'],
      env,
    });
    let out = '';
    c.stdout.on('data', (d) => {
      out += d;
    });
    c.on('exit', (code) => {
      if (code !== 0) reject(new Error(`orphan starter exited with ${code}`));
      else resolve(JSON.parse(out));
    });
  });
}

describe('reconnectQemu', () => {
  it('re-attaches to a QEMU whose starter exited, and sees it die without waiting for PID 1', async () => {
    const p = makePaths();
    let pid: number | undefined;
    try {
      const o = await spawnOrphan(p);
      pid = o.pid;
      const st = readProcStat(o.pid);
      assert.ok(st && st.ppid !== process.pid, 'QEMU is not our child');
      assert.equal(st.startTime, o.startTime);

      assert.equal(await reconnectQemu({ pid: o.pid, monitorPath: p.monitor, startTime: '1' }), null, 'start time mismatch → null');

      const t0 = performance.now();
      const proc = await reconnectQemu({ pid: o.pid, monitorPath: p.monitor, startTime: o.startTime, name: 'orphan', logPath: p.log });
      console.log(`# reconnect → QMP ready: ${(performance.now() - t0).toFixed(1)} ms`);
      assert.ok(proc);
      assert.equal(proc.child, null);
      assert.equal(proc.isAlive(), true);
      assert.equal((await proc.qmp.execute<{ status: string }>('query-status')).status, 'prelaunch');
      await proc.qmp.execute('cont');

      const t1 = performance.now();
      process.kill(o.pid, 'SIGKILL');
      const ex = await withTimeout(proc.exited, 5000, 'exited');
      const dt = performance.now() - t1;
      console.log(`# orphan QEMU SIGKILL → exited (not our child; zombie until PID 1 reaps): ${dt.toFixed(1)} ms`);
      assert.equal(ex.reason, 'crashed');
      assert.equal(ex.signal, 'SIGKILL', 'wait status read from the zombie');
      assert.equal(proc.isAlive(), false);
      assert.equal(await reconnectQemu({ pid: o.pid, monitorPath: p.monitor, startTime: o.startTime }), null, 'dead → null');
    } finally {
      killQuiet(pid);
      p.remove();
    }
  });

  it('stops a reconnected QEMU', async () => {
    const p = makePaths();
    let pid: number | undefined;
    try {
      const o = await spawnOrphan(p);
      pid = o.pid;
      const proc = await reconnectQemu({ pid: o.pid, monitorPath: p.monitor, startTime: o.startTime });
      assert.ok(proc);
      const t0 = performance.now();
      const ex = await proc.stop({ graceful: false });
      console.log(`# stop of a reconnected (non-child) QEMU → exited: ${(performance.now() - t0).toFixed(1)} ms`);
      assert.equal(ex.reason, 'destroyed');
      assert.equal(ex.code, 0);
    } finally {
      killQuiet(pid);
      p.remove();
    }
  });

  it('returns null for a pid that does not exist', async () => {
    assert.equal(await reconnectQemu({ pid: 2 ** 22 + 11, monitorPath: '/nonexistent.sock' }), null);
  });
});
