// The master key QEMU reads from master-key.aes must be the one every secret was wrapped with.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createHost } from '../../src/qemu/driver/host.js';
import type { QemuDriverState } from '../../src/qemu/driver/state.js';

function host() {
  const drv = { cfg: { privileged: false, hugetlbfs: [] } } as unknown as QemuDriverState;
  return createHost({ drv, libDir: '/tmp/x', monitorPath: '/tmp/x/monitor.sock', pretend: true });
}

test('one master key per start, shared by every caller; a new start draws a new one', () => {
  const a = host();
  const k1 = a.masterKey();
  assert.equal(k1.length, 32);
  assert.deepEqual(a.masterKey(), k1);
  assert.notDeepEqual(host().masterKey(), k1);
});

