// Host capabilities XML against qemucaps2xmloutdata/caps.x86_64.xml, and host facts of this machine.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { readNodeInfo, readNumaCells } from '../../src/host/nodeinfo.js';
import { emptyCaps, loadCapsCache } from '../../src/qemu/caps/cache.js';
import { buildHostCapabilities, guestMachines } from '../../src/qemu/caps/hostcaps.js';
import { CAPS_DIR, CONFORMANCE } from './paths.js';

test('capabilities XML like qemucaps2xmltest', () => {
  const caps = emptyCaps('/usr/bin/qemu-system-x86_64');
  caps.arch = 'x86_64';
  caps.flags = new Set(['kvm', 'tcg']);
  const got = buildHostCapabilities(
    { cpu: { arch: 'x86_64' }, powerManagement: [], iommu: false },
    [{ arch: 'x86_64', emulator: '/usr/bin/qemu-system-x86_64', caps }],
  );
  assert.equal(got, readFileSync(join(CONFORMANCE, 'qemucaps2xmloutdata/caps.x86_64.xml'), 'utf8'));
});

test('guest machines list aliases with canonical= and every canonical name', () => {
  const caps = loadCapsCache(readFileSync(join(CAPS_DIR, 'caps_8.0.0.x86_64.xml'), 'utf8'));
  const m = guestMachines(caps);
  assert.deepEqual(m[0], { name: 'pc-i440fx-8.0', maxCpus: 255, deprecated: false });
  assert.deepEqual(m[1], { name: 'pc', canonical: 'pc-i440fx-8.0', maxCpus: 255, deprecated: false });
  assert.ok(m.some((x) => x.name === 'q35' && x.canonical === 'pc-q35-8.0'));
});

test('nodeinfo and NUMA cells of this host', async () => {
  const ni = await readNodeInfo();
  assert.equal(ni.model, process.arch === 'x64' ? 'x86_64' : ni.model);
  assert.ok(ni.memory > 0);
  assert.ok(ni.cpus >= 1);
  assert.equal(ni.nodes * ni.sockets * ni.cores * ni.threads, ni.cpus);
  const cells = await readNumaCells();
  assert.equal(cells.reduce((n, c) => n + c.cpus.length, 0), ni.cpus);
});
