// The real probe of the installed QEMU (TCG here) and the capabilities cache around it.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { formatCapsCache, loadCapsCache } from '../../src/qemu/caps/cache.js';
import { capsCacheFile, clearQemuCapsMemory, getQemuCaps } from '../../src/qemu/caps/store.js';
import { VirError } from '../../src/util/errors.js';
import { CAPS_DIR } from './paths.js';

const QEMU = '/usr/bin/qemu-system-x86_64';
const dir = mkdtempSync(join(tmpdir(), 'tsvirt-caps-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('probing the installed QEMU reproduces the caps_7.2.0 flag set (but kvm, host-dependent)', { skip: !existsSync(QEMU) }, async () => {
  const t0 = performance.now();
  const caps = await getQemuCaps(QEMU, dir);
  const cold = performance.now() - t0;
  const exp = loadCapsCache(readFileSync(join(CAPS_DIR, 'caps_7.2.0.x86_64.xml'), 'utf8'));
  const missing = [...exp.flags].filter((f) => !caps.flags.has(f) && f !== 'kvm');
  const extra = [...caps.flags].filter((f) => !exp.flags.has(f));
  assert.deepEqual(missing, []);
  assert.deepEqual(extra, []);
  assert.equal(Math.floor(caps.version / 1000), 7002);
  assert.equal(caps.arch, 'x86_64');
  assert.ok((caps.accel.tcg?.machines.length ?? 0) > 40);
  assert.equal(caps.accel.tcg?.machines[0].alias, 'pc');
  assert.ok(caps.accel.tcg?.hostCpu?.props.some((p) => p.name === 'vendor'));
  // written to <cacheDir>/capabilities/<sha256>.xml in libvirt's format
  const file = capsCacheFile(dir, QEMU);
  const text = readFileSync(file, 'utf8');
  assert.equal(formatCapsCache(loadCapsCache(text)), text);
  assert.equal(statSync(file).mode & 0o777, 0o600);
  // warm: memory, then disk
  let t = performance.now();
  await getQemuCaps(QEMU, dir);
  const warmMem = performance.now() - t;
  clearQemuCapsMemory();
  t = performance.now();
  const again = await getQemuCaps(QEMU, dir);
  const warmDisk = performance.now() - t;
  assert.equal(formatCapsCache(again), text);
  console.log(`probe cold ${cold.toFixed(0)} ms, warm (memory) ${warmMem.toFixed(1)} ms, warm (disk) ${warmDisk.toFixed(1)} ms`);
});

test('a cache entry for another binary ctime or another tsvirt build is probed again', { skip: !existsSync(QEMU) }, async () => {
  const file = capsCacheFile(dir, QEMU);
  const good = readFileSync(file, 'utf8');
  for (const [from, to] of [[/<qemuctime>\d+</, '<qemuctime>1<'], [/<selfvers>\d+</, '<selfvers>999<']] as const) {
    writeFileSync(file, good.replace(from, to));
    clearQemuCapsMemory();
    const caps = await getQemuCaps(QEMU, dir);
    assert.equal(caps.qemuctime, Math.floor(statSync(QEMU).ctimeMs / 1000));
    assert.equal(readFileSync(file, 'utf8'), good);
  }
});

test('unknown emulator: libvirt error', async () => {
  await assert.rejects(getQemuCaps('/nonexistent/qemu', dir), (e: unknown) => {
    assert.ok(e instanceof VirError);
    assert.equal(e.message, 'Cannot check QEMU binary /nonexistent/qemu: No such file or directory');
    return true;
  });
});
