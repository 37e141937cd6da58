// The probe's derivation, replayed against libvirt's recorded QMP sessions: the capabilities it builds
// format to the corpus cache files byte for byte.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { formatCapsCache, loadCapsCache } from '../../src/qemu/caps/cache.js';
import { FLAG_ORDER } from '../../src/qemu/caps/flags.js';
import { needsTcgProbe, newCapsFor, probeMain, probeTcg } from '../../src/qemu/caps/probe.js';
import { qapiSchemaFromReply, qapiSchemaPathExists } from '../../src/qemu/caps/qapi.js';
import { parseReplies, schemaFromReplies } from '../../src/qemu/caps/replies.js';
import { CAPS_DIR } from './paths.js';
import { ReplayMonitor } from './replay.js';

for (const v of ['7.2.0', '8.0.0']) {
  test(`replaying caps_${v}.x86_64.replies reproduces caps_${v}.x86_64.xml`, async () => {
    const base = join(CAPS_DIR, `caps_${v}.x86_64`);
    const sessions = parseReplies(readFileSync(`${base}.replies`, 'utf8'));
    assert.equal(sessions.length, 2);
    const caps = newCapsFor('/usr/bin/qemu-system-x86_64');
    const m1 = new ReplayMonitor(sessions[0]);
    await probeMain(caps, m1);
    assert.deepEqual(m1.missing, []);
    assert.ok(caps.flags.has('kvm'));
    assert.ok(needsTcgProbe(caps));
    const m2 = new ReplayMonitor(sessions[1]);
    await probeTcg(caps, m2);
    assert.deepEqual(m2.missing, []);
    const expText = readFileSync(`${base}.xml`, 'utf8');
    const exp = loadCapsCache(expText);
    // Only the host's microcode version comes from outside QEMU.
    caps.microcodeVersion = exp.microcodeVersion;
    assert.deepEqual([...caps.flags], [...exp.flags]);
    assert.equal(formatCapsCache(caps), expText);
  });
}

test('cache files list flags in libvirt enum order', () => {
  for (const v of ['7.2.0', '8.0.0']) {
    const caps = loadCapsCache(readFileSync(join(CAPS_DIR, `caps_${v}.x86_64.xml`), 'utf8'));
    const idx = [...caps.flags].map((f) => FLAG_ORDER.indexOf(f));
    assert.ok(idx.every((i) => i >= 0));
    assert.deepEqual(idx, [...idx].sort((a, b) => a - b));
  }
});

test('QAPI schema path queries', () => {
  const schema = qapiSchemaFromReply(schemaFromReplies(readFileSync(join(CAPS_DIR, 'caps_8.0.0.x86_64.replies'), 'utf8')));
  assert.ok(schema.size > 1000);
  assert.ok(qapiSchemaPathExists('blockdev-add/arg-type/+file/aio/^io_uring', schema));
  assert.ok(qapiSchemaPathExists('netdev_add/arg-type/+stream', schema));
  assert.ok(qapiSchemaPathExists('query-hotpluggable-cpus/ret-type/props/die-id', schema));
  assert.ok(qapiSchemaPathExists('device_add/$json-cli-hotplug', schema));
  assert.ok(qapiSchemaPathExists('query-display-options/ret-type/+egl-headless/rendernode', schema));
  assert.ok(!qapiSchemaPathExists('blockdev-add/arg-type/+vxhs', schema));
  assert.ok(!qapiSchemaPathExists('blockdev-add/arg-type/+file/aio/^nonsense', schema));
  assert.ok(!qapiSchemaPathExists('no-such-command', schema));
});
