// QmpClient against a real QEMU 7.2 (-machine none -S).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { QmpClient, QmpCommandError } from '../../src/qemu/monitor/qmp.js';
import { ErrorCode, ErrorDomain, VirError } from '../../src/util/errors.js';
import { nextEvent } from '../process/fixture.js';
import { type BareQemu, median, startBareQemu } from './fixture.js';

/** How long the tests here wait for a QMP event. */
const EVENT_MS = 5000;

function nextClose(c: QmpClient): Promise<VirError> {
  return new Promise((resolve) => c.once('close', resolve));
}

describe('QmpClient on a real QEMU', () => {
  let q: BareQemu;
  let c: QmpClient;
  before(async () => {
    q = startBareQemu();
    const t0 = performance.now();
    c = await QmpClient.connect(q.sock, { retryUntilMs: 10_000 });
    console.log(`# exec → QMP negotiated: ${(performance.now() - t0).toFixed(1)} ms`);
  });
  after(async () => {
    c?.close();
    await q?.cleanup();
  });

  it('reads the greeting', () => {
    assert.equal(c.greeting.version.qemu.major, 7);
    assert.ok(c.greeting.version.qemu.minor >= 0);
    assert.ok(c.greeting.capabilities.includes('oob'));
  });

  it('runs query-status, cont and stop with STOP/RESUME events', async () => {
    assert.deepEqual(await c.execute('query-status'), { status: 'prelaunch', singlestep: false, running: false });
    const resumed = nextEvent(c, 'RESUME', EVENT_MS);
    assert.deepEqual(await c.execute('cont'), {});
    const ev = await resumed;
    assert.deepEqual(ev.data, {});
    assert.ok(ev.timestamp.seconds > 1_600_000_000, 'timestamp seconds');
    assert.ok(ev.timestamp.microseconds >= 0 && ev.timestamp.microseconds < 1_000_000);
    assert.equal((await c.execute<{ status: string }>('query-status')).status, 'running');
    const stopped = nextEvent(c, 'STOP', EVENT_MS);
    await c.execute('stop');
    await stopped;
    const st = await c.execute<{ status: string; running: boolean }>('query-status');
    assert.equal(st.status, 'paused');
    assert.equal(st.running, false);
  });

  it('waits for a matching event, with timeout and abort', async () => {
    const resumed = c.waitForEvent('RESUME', { timeoutMs: 5000 });
    await c.execute('cont');
    assert.equal((await resumed).event, 'RESUME');
    const stopped = c.waitForEvent('STOP', { filter: (e) => e.timestamp.seconds > 0 });
    await c.execute('stop');
    await stopped;
    await assert.rejects(c.waitForEvent('NEVER', { timeoutMs: 50 }), {
      code: ErrorCode.OPERATION_TIMEOUT,
      message: "Timed out during operation: no QEMU event 'NEVER' within 50 ms",
    });
    const ac = new AbortController();
    const w = c.waitForEvent('NEVER', { signal: ac.signal });
    ac.abort();
    await assert.rejects(w, { code: ErrorCode.OPERATION_ABORTED });
    assert.equal(c.listenerCount('event'), 0, 'no listeners left behind');
  });

  it('passes user QMP through executeRaw, keeping a user id', async () => {
    const r = await c.executeRaw('{"execute": "query-status", "id": "user-42"}');
    assert.equal(r.id, 'user-42');
    assert.equal((r.return as { status: string }).status, 'paused');
    const n = await c.executeRaw('  {"execute":"query-name"}\n');
    assert.match(String(n.id), /^libvirt-\d+$/);
    assert.deepEqual(n.return, {});
    const objId = await c.executeRaw('{"execute":"query-kvm","id":{"a":[1,2]}}');
    assert.deepEqual(objId.id, { a: [1, 2] });
    // error replies come back as the reply object, as qemu-monitor-command prints them
    const e = await c.executeRaw('{"execute":"no-such-command","id":"e1"}');
    assert.deepEqual(e, {
      id: 'e1',
      error: { class: 'CommandNotFound', desc: 'The command no-such-command has not been found' },
    });
    const text = await c.executeRawText('{"execute":"query-status","id":"t"}');
    assert.equal(text, '{"return": {"status": "paused", "singlestep": false, "running": false}, "id": "t"}');
    // QEMU answers input it cannot route without an id; it still reaches the right caller
    const noExec = await c.executeRaw('{"foo": 1}');
    assert.deepEqual(noExec.error, { class: 'GenericError', desc: "QMP input member 'foo' is unexpected" });
  });

  it('runs an HMP command', async () => {
    assert.equal(await c.hmp('info status'), 'VM status: paused\r\n');
    assert.equal(await c.hmp('bogus-cmd'), "unknown command: 'bogus-cmd'\r\n");
  });

  it('reports QMP errors with libvirt text', async () => {
    await assert.rejects(c.execute('no-such-command'), (e: unknown) => {
      assert.ok(e instanceof QmpCommandError);
      assert.ok(e instanceof VirError);
      assert.equal(e.code, ErrorCode.INTERNAL_ERROR);
      assert.equal(e.domain, ErrorDomain.QEMU);
      assert.equal(
        e.message,
        "internal error: unable to execute QEMU command 'no-such-command': The command no-such-command has not been found",
      );
      assert.equal(e.errorClass, 'CommandNotFound');
      return true;
    });
    await assert.rejects(c.execute('query-status', { bogus: 1 }), {
      message: "internal error: unable to execute QEMU command 'query-status': Parameter 'bogus' is unexpected",
    });
    await assert.rejects(c.executeRaw('{"execute": "query-status"'), (e: unknown) => {
      assert.ok(e instanceof VirError);
      assert.equal(e.code, ErrorCode.INTERNAL_ERROR);
      assert.match(e.message, /^internal error: cannot parse json \{"execute": "query-status": /);
      return true;
    });
    await assert.rejects(c.executeRaw('[1]'), /cannot parse json \[1\]: not a JSON object/);
    await assert.rejects(
      Promise.all([c.executeRaw('{"execute":"query-status","id":"dup"}'), c.executeRaw('{"execute":"query-status","id":"dup"}')]),
      /already in progress/,
    );
    // the connection is still healthy
    assert.equal((await c.execute<{ status: string }>('query-status')).status, 'paused');
  });

  it('pipelines concurrent commands and matches replies by id', async () => {
    const names = ['query-status', 'query-name', 'query-kvm', 'query-version'];
    const rs = await Promise.all(Array.from({ length: 200 }, (_, i) => c.execute<Record<string, unknown>>(names[i % 4])));
    rs.forEach((r, i) => {
      if (i % 4 === 0) assert.equal(r.status, 'paused');
      if (i % 4 === 2) assert.ok('enabled' in r);
      if (i % 4 === 3) assert.ok('qemu' in r);
    });
  });

  it('measures the round trip (logged, not asserted)', async () => {
    for (let i = 0; i < 50; i++) await c.execute('query-status');
    const xs: number[] = [];
    for (let i = 0; i < 500; i++) {
      const t0 = performance.now();
      await c.execute('query-status');
      xs.push(performance.now() - t0);
    }
    const t0 = performance.now();
    await Promise.all(Array.from({ length: 500 }, () => c.execute('query-status')));
    const pipelined = (performance.now() - t0) / 500;
    console.log(
      `# QMP round trip query-status: median ${(median(xs) * 1000).toFixed(0)} µs, ` +
        `p90 ${(xs.sort((a, b) => a - b)[450] * 1000).toFixed(0)} µs; pipelined ${(pipelined * 1000).toFixed(0)} µs/command`,
    );
  });

  it('times out and aborts a command without desynchronising later replies', async () => {
    process.kill(q.pid, 'SIGSTOP');
    try {
      await assert.rejects(c.execute('query-status', undefined, { timeoutMs: 100 }), (e: unknown) => {
        assert.ok(e instanceof VirError);
        assert.equal(e.code, ErrorCode.OPERATION_TIMEOUT);
        assert.equal(e.message, "Timed out during operation: QEMU command 'query-status' got no reply within 100 ms");
        return true;
      });
      const ac = new AbortController();
      const p = c.execute('query-name', undefined, { signal: ac.signal });
      ac.abort();
      await assert.rejects(p, { code: ErrorCode.OPERATION_ABORTED });
    } finally {
      process.kill(q.pid, 'SIGCONT');
    }
    // The late replies are dropped; the next command gets its own answer.
    assert.equal((await c.execute<{ status: string }>('query-status')).status, 'paused');
    assert.deepEqual(await c.execute('query-name'), {});
  });
});

describe('QmpClient connection life cycle', () => {
  it('fails clearly when the socket does not exist', async () => {
    await assert.rejects(QmpClient.connect('/nonexistent/tsvirt/monitor.sock'), {
      code: ErrorCode.SYSTEM_ERROR,
      message: 'failed to connect to monitor socket: No such file or directory',
    });
  });

  it('retries until a freshly spawned QEMU creates the socket', async () => {
    const q = startBareQemu();
    try {
      const c = await QmpClient.connect(q.sock, { retryUntilMs: 10_000 });
      assert.equal((await c.execute<{ status: string }>('query-status')).status, 'prelaunch');
      c.close();
    } finally {
      await q.cleanup();
    }
  });

  it('reports QEMU killed from outside: close once, pending commands rejected, exit seen fast', async () => {
    const q = startBareQemu();
    try {
      const c = await QmpClient.connect(q.sock, { retryUntilMs: 10_000, name: 'guest1' });
      let closes = 0;
      c.on('close', () => closes++);
      const closed = nextClose(c);
      // a command QEMU will never answer: freeze it, queue the command, then kill it
      process.kill(q.pid, 'SIGSTOP');
      const pending = c.execute('query-status');
      const t0 = performance.now();
      process.kill(q.pid, 'SIGKILL');
      const err = await closed;
      const dt = performance.now() - t0;
      console.log(`# SIGKILL → QMP close event: ${dt.toFixed(1)} ms`);
      assert.ok(err instanceof VirError);
      assert.equal(err.code, ErrorCode.INTERNAL_ERROR);
      assert.equal(err.message, "internal error: End of file from qemu monitor (vm='guest1')");
      await assert.rejects(c.waitForEvent('STOP'), { message: "internal error: End of file from qemu monitor (vm='guest1')" });
      await assert.rejects(pending, { message: "internal error: End of file from qemu monitor (vm='guest1')" });
      await assert.rejects(c.execute('query-status'), { message: "internal error: End of file from qemu monitor (vm='guest1')" });
      assert.equal(c.closed, true);
      assert.equal(c.closedLocally, false);
      c.close(); // no second close event
      await new Promise((r) => setImmediate(r));
      assert.equal(closes, 1);
    } finally {
      await q.cleanup();
    }
  });

  it('rejects commands in flight when QEMU quits during them', async () => {
    const q = startBareQemu();
    try {
      const c = await QmpClient.connect(q.sock, { retryUntilMs: 10_000 });
      const closed = nextClose(c);
      // quit answers and exits; everything queued behind it must settle, not hang
      const quit = c.execute('quit');
      const behind = Array.from({ length: 20 }, () => c.execute('query-status'));
      const outcomes = await Promise.allSettled([quit, ...behind]);
      const err = await closed;
      assert.equal(err.message, 'internal error: End of file from qemu monitor');
      assert.equal(outcomes[0].status, 'fulfilled', 'quit itself is answered');
      for (const o of outcomes.slice(1)) {
        if (o.status === 'rejected') assert.equal((o.reason as Error).message, 'internal error: End of file from qemu monitor');
      }
      await q.exited;
    } finally {
      await q.cleanup();
    }
  });

  it('close() rejects outstanding commands with libvirt text and emits close once', async () => {
    const q = startBareQemu();
    try {
      const c = await QmpClient.connect(q.sock, { retryUntilMs: 10_000 });
      process.kill(q.pid, 'SIGSTOP');
      const p = c.execute('query-status');
      const closed = nextClose(c);
      c.close();
      await assert.rejects(p, { code: ErrorCode.OPERATION_FAILED, message: 'operation failed: QEMU monitor was closed' });
      assert.equal((await closed).message, 'operation failed: QEMU monitor was closed');
      assert.equal(c.closedLocally, true);
      process.kill(q.pid, 'SIGCONT');
    } finally {
      await q.cleanup();
    }
  });

  it('lets a second client take over after the first closes', async () => {
    const q = startBareQemu();
    try {
      const a = await QmpClient.connect(q.sock, { retryUntilMs: 10_000 });
      await a.execute('cont');
      a.close();
      const t0 = performance.now();
      const b = await QmpClient.connect(q.sock, { retryUntilMs: 2000 });
      console.log(`# reconnect (second client) → negotiated: ${(performance.now() - t0).toFixed(1)} ms`);
      assert.equal((await b.execute<{ status: string }>('query-status')).status, 'running');
      const stopped = nextEvent(b, 'STOP', EVENT_MS);
      await b.execute('stop');
      await stopped;
      b.close();
    } finally {
      await q.cleanup();
    }
  });

  it('refuses a socket path longer than sun_path', async () => {
    const long = `/tmp/${'x'.repeat(120)}.sock`;
    await assert.rejects(QmpClient.connect(long), { message: `internal error: Monitor path ${long} too big for destination` });
  });

  it('times out, saying why, while another client holds the monitor', async () => {
    const q = startBareQemu();
    try {
      const a = await QmpClient.connect(q.sock, { retryUntilMs: 10_000 });
      await assert.rejects(QmpClient.connect(q.sock, { timeoutMs: 300 }), {
        code: ErrorCode.OPERATION_TIMEOUT,
        message:
          'Timed out during operation: no QMP greeting from the QEMU monitor within 300 ms (is another client connected to it?)',
      });
      // the first client is unaffected
      assert.equal((await a.execute<{ status: string }>('query-status')).status, 'prelaunch');
      a.close();
    } finally {
      await q.cleanup();
    }
  });

  it('honours an abort signal while waiting for the socket', async () => {
    const ac = new AbortController();
    const p = QmpClient.connect('/nonexistent/tsvirt/never.sock', { retryUntilMs: 60_000, signal: ac.signal });
    setTimeout(() => ac.abort(), 50);
    await assert.rejects(p, { code: ErrorCode.OPERATION_ABORTED });
  });
});
