// The log header shows QEMU's own environment and argv even when QEMU is exec'd through a wrapper
// (the driver's cgroup join and setpriv), as libvirt's per-domain log does.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { spawnQemu } from '../../src/qemu/process/index.js';
import { BASE_ENV, bareArgs, makePaths, QEMU } from './fixture.js';

describe('spawnQemu logCommand', () => {
  it('a wrapper that execs QEMU: the header shows QEMU, the wrapper runs', async () => {
    const p = makePaths();
    try {
      const args = bareArgs(p.monitor);
      const wrapper = ['-c', 'echo wrapped >&2; exec "$@"', 'tsvirt-wrap', QEMU, ...args];
      const proc = await spawnQemu({
        emulator: '/bin/sh',
        argv: wrapper,
        env: BASE_ENV,
        logPath: p.log,
        monitorPath: p.monitor,
        name: 'wrapped',
        logHeader: 'tsvirt test',
        logCommand: { argv0: QEMU, argv: args },
      });
      try {
        assert.equal((await proc.qmp.execute<{ status: string }>('query-status')).status, 'prelaunch');
      } finally {
        await proc.stop({ graceful: false });
      }
      const log = readFileSync(p.log, 'utf8');
      const header = log.slice(0, log.indexOf('wrapped\n'));
      assert.match(header, /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}\+0000: starting up tsvirt test\n/);
      assert.ok(header.endsWith(`LC_ALL=C \\\nPATH=${BASE_ENV.PATH} \\\n${QEMU} \\\n-machine none \\\n-S \\\n-nodefaults \\\n-no-user-config \\\n-display none \\\n-chardev socket,id=charmonitor,path=${p.monitor},server=on,wait=off \\\n-mon chardev=charmonitor,id=monitor,mode=control\n`), header);
      assert.ok(!header.includes('/bin/sh') && !header.includes('tsvirt-wrap'), header);
      assert.ok(log.includes('wrapped\n'), 'the wrapper itself ran');
    } finally {
      p.remove();
    }
  });
});
