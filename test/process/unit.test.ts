// Pure parts of src/qemu/process: /proc parsing, wait statuses, setpriv argv, log header and tail,
// KVM error extraction.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import {
  appendShutdownLine,
  decodeWaitStatus,
  findKvmError,
  formatCommandForLog,
  formatLogHeader,
  logTimestamp,
  parseProcStat,
  procStartTime,
  qemuExecArgv,
  readLogTail,
  readProcStat,
  setprivArgs,
  shellQuote,
} from '../../src/qemu/process/index.js';

describe('/proc/PID/stat', () => {
  it('parses a command name with spaces and parentheses', () => {
    const fields = Array.from({ length: 50 }, (_, i) => String(i + 3));
    fields[0] = 'Z'; // field 3
    fields[1] = '1'; // ppid
    fields[19] = '987654'; // field 22
    fields[49] = '9'; // field 52: killed by SIGKILL
    const st = parseProcStat(`4242 (qemu (x) y) ${fields.join(' ')}\n`);
    assert.ok(st);
    assert.equal(st.pid, 4242);
    assert.equal(st.comm, 'qemu (x) y');
    assert.equal(st.state, 'Z');
    assert.equal(st.ppid, 1);
    assert.equal(st.startTime, '987654');
    assert.equal(st.exitCode, 9);
  });

  it('reads this process', () => {
    const st = readProcStat(process.pid);
    assert.ok(st);
    assert.equal(st.pid, process.pid);
    assert.match(st.state, /^[RS]$/);
    assert.equal(procStartTime(process.pid), st.startTime);
    assert.equal(readProcStat(2 ** 22 + 17), null);
    assert.equal(procStartTime(-1), null);
  });

  it('decodes wait statuses', () => {
    assert.deepEqual(decodeWaitStatus(0), { code: 0, signal: null });
    assert.deepEqual(decodeWaitStatus(3 << 8), { code: 3, signal: null });
    assert.deepEqual(decodeWaitStatus(9), { code: null, signal: 'SIGKILL' });
    assert.deepEqual(decodeWaitStatus(15), { code: null, signal: 'SIGTERM' });
    assert.deepEqual(decodeWaitStatus(6 | 0x80), { code: null, signal: 'SIGABRT' }); // core dumped
  });
});

describe('setpriv argv', () => {
  it('drops privileges for another user', () => {
    assert.deepEqual(setprivArgs({ uid: 107, gid: 107, groups: [36, 993], keepCaps: false }), [
      '--reuid=107',
      '--regid=107',
      '--groups=36,993',
      '--inh-caps=-all',
      '--bounding-set=-all',
      '--',
    ]);
    assert.deepEqual(setprivArgs({ uid: 65534, gid: 65534, groups: [], keepCaps: false }), [
      '--reuid=65534',
      '--regid=65534',
      '--clear-groups',
      '--inh-caps=-all',
      '--bounding-set=-all',
      '--',
    ]);
  });

  it('drops capabilities of root unless told to keep them', () => {
    assert.deepEqual(setprivArgs({ uid: 0, gid: 0, groups: [], keepCaps: false }), [
      '--reuid=0',
      '--regid=0',
      '--clear-groups',
      '--inh-caps=-all',
      '--bounding-set=-all',
      '--',
    ]);
    assert.equal(setprivArgs({ uid: 0, gid: 0, groups: [], keepCaps: true }), null);
    assert.equal(setprivArgs(undefined), null);
  });

  it('wraps the emulator only when needed', () => {
    assert.deepEqual(qemuExecArgv({ emulator: '/usr/bin/qemu', argv: ['-S'] }), { file: '/usr/bin/qemu', args: ['-S'] });
    assert.deepEqual(
      qemuExecArgv({
        emulator: '/usr/bin/qemu',
        argv: ['-S'],
        runAs: { uid: 5, gid: 6, groups: [], keepCaps: true },
        setprivPath: '/usr/bin/setpriv',
      }),
      { file: '/usr/bin/setpriv', args: ['--reuid=5', '--regid=6', '--clear-groups', '--', '/usr/bin/qemu', '-S'] },
    );
  });
});

describe('log header', () => {
  it('formats the timestamp as libvirt', () => {
    assert.equal(logTimestamp(new Date(Date.UTC(2026, 10, 26, 7, 5, 3, 42))), '2026-11-26 07:05:03.042+0000');
  });

  it('quotes shell words only when needed', () => {
    assert.equal(shellQuote('guest=test,debug-threads=on'), 'guest=test,debug-threads=on');
    assert.equal(shellQuote('{"qom-type":"secret"}'), `'{"qom-type":"secret"}'`);
    assert.equal(shellQuote("it's"), `'it'\\''s'`);
    assert.equal(shellQuote(''), "''");
  });

  it('writes env, binary and one option per line', () => {
    const text = formatCommandForLog({ LC_ALL: 'C', HOME: '/var/lib/x y' }, '/usr/bin/qemu-system-x86_64', [
      '-name',
      'guest=test,debug-threads=on',
      '-S',
      '-object',
      '{"qom-type":"secret","id":"masterKey0"}',
      '-append',
      'console=ttyS0 quiet',
    ]);
    assert.equal(
      text,
      [
        'LC_ALL=C \\',
        "HOME='/var/lib/x y' \\",
        '/usr/bin/qemu-system-x86_64 \\',
        '-name guest=test,debug-threads=on \\',
        '-S \\',
        `-object '{"qom-type":"secret","id":"masterKey0"}' \\`,
        "-append 'console=ttyS0 quiet'",
        '',
      ].join('\n'),
    );
    const h = formatLogHeader('tsvirt 0.1.0', {}, 'qemu', ['-S'], new Date(Date.UTC(2026, 0, 2, 3, 4, 5, 6)));
    assert.equal(h, '2026-01-02 03:04:05.006+0000: starting up tsvirt 0.1.0\nqemu \\\n-S\n');
  });
});

describe('log tail', () => {
  it('returns QEMU output after the header, filtered and bounded', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tsvirt-log-'));
    try {
      const p = join(dir, 'x.log');
      const header = 'HEADER that must not appear\n';
      const body = [
        'char device redirected to /dev/pts/3 (label charserial0)',
        '2026-11-26 16:10:00.123+0000: 1234: debug : virCommandRun:42 : x',
        'qemu-system-x86_64: -device foo: Device foo not found',
        '',
      ].join('\n');
      writeFileSync(p, header + body);
      assert.equal(readLogTail(p, header.length), 'qemu-system-x86_64: -device foo: Device foo not found');
      assert.equal(readLogTail(p, header.length + body.length), '');
      assert.equal(readLogTail(join(dir, 'missing.log')), '');
      writeFileSync(p, `${'a'.repeat(5000)}\n${'b'.repeat(100)}\nlast line\n`);
      const t = readLogTail(p, 0, 50);
      assert.ok(Buffer.byteLength(t) <= 50);
      assert.ok(t.endsWith('\nlast line'));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('shutdown line', () => {
  it('appends libvirt\'s end-of-run line, and never throws', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tsvirt-log-'));
    try {
      const p = join(dir, 'x.log');
      writeFileSync(p, 'qemu output\n');
      appendShutdownLine(p, 'destroyed', new Date(Date.UTC(2026, 10, 26, 1, 2, 3, 4)));
      assert.equal(readFileSync(p, 'utf8'), 'qemu output\n2026-11-26 01:02:03.004+0000: shutting down, reason=destroyed\n');
      appendShutdownLine(join(dir, 'no/such/dir.log'), 'crashed');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('KVM error extraction', () => {
  it('finds the suberror and its kind, not the register dump', () => {
    const log = [
      'KVM internal error. Suberror: 1',
      'emulation failure',
      'RAX=0000000000000000 RBX=0000000000000000 RCX=0000000000000000 RDX=0000000000000663',
      'RSI=0000000000000000 RDI=0000000000000000 RBP=0000000000000000 RSP=0000000000000000',
    ].join('\n');
    assert.equal(findKvmError(log), 'KVM internal error. Suberror: 1: emulation failure');
    assert.equal(
      findKvmError('x\nKVM internal error. Suberror: 3\nEAX=00000000 EBX=00000000\n'),
      'KVM internal error. Suberror: 3',
    );
    assert.equal(findKvmError('all fine\n'), null);
  });
});
