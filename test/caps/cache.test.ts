// The capabilities cache format: the corpus files load and format back byte for byte; lookups.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import {
  accelFor, machineDefaultCpuModel, copyCaps, defaultMachine, formatCapsCache, getCpuModel, getMachine, loadCapsCache, stripMachineAliases,
} from '../../src/qemu/caps/cache.js';
import { CAPS_DIR } from './paths.js';

for (const v of ['8.0.0', '7.2.0']) {
  test(`caps_${v}.x86_64.xml round-trips byte-identical`, () => {
    const text = readFileSync(join(CAPS_DIR, `caps_${v}.x86_64.xml`), 'utf8');
    const caps = loadCapsCache(text);
    assert.equal(formatCapsCache(caps), text);
    assert.equal(caps.flags.size, 199);
    assert.equal(caps.arch, 'x86_64');
    assert.equal(caps.extra.length, 0);
  });
}

test('caps 8.0.0 model', () => {
  const caps = loadCapsCache(readFileSync(join(CAPS_DIR, 'caps_8.0.0.x86_64.xml'), 'utf8'));
  assert.equal(caps.version, 7002050);
  assert.equal(caps.package, 'v7.2.0-333-g222059a0fc');
  assert.equal(caps.accel.kvm?.cpuModels.length, 132);
  assert.equal(caps.accel.tcg?.machines.length, 60);
  assert.equal(caps.accel.kvm?.hostCpu?.props.length, 327);
  assert.ok(caps.flags.has('machine-hpet'));
  assert.deepEqual(caps.hypervCapabilities?.caps.slice(0, 2), ['relaxed', 'vapic']);
  assert.equal(getMachine(caps, 'tcg', 'pc')?.name, 'pc-i440fx-8.0');
  assert.equal(getMachine(caps, 'tcg', 'q35')?.name, 'pc-q35-8.0');
  assert.equal(defaultMachine(caps, 'kvm')?.name, 'pc-i440fx-8.0');
  assert.equal(getCpuModel(caps, 'tcg', 'qemu64')?.usable, 'yes');
  assert.deepEqual(getCpuModel(caps, 'kvm', 'phenom')?.blockers, ['3dnowext', '3dnow']);
  assert.equal(machineDefaultCpuModel(caps, 'tcg', 'pc-q35-8.0'), 'qemu64');
  assert.equal(accelFor('qemu'), 'tcg');
  assert.equal(accelFor('kvm'), 'kvm');
  assert.equal(accelFor('hvf'), 'hvf');
});

test('stripMachineAliases turns aliases into machines of their own', () => {
  const orig = loadCapsCache(readFileSync(join(CAPS_DIR, 'caps_8.0.0.x86_64.xml'), 'utf8'));
  const caps = stripMachineAliases(copyCaps(orig));
  const pc = getMachine(caps, 'tcg', 'pc');
  assert.equal(pc?.name, 'pc');
  assert.equal(pc?.alias, undefined);
  assert.equal(pc?.maxCpus, 255);
  assert.equal(pc?.defaultRAMid, 'pc.ram');
  assert.equal(pc?.default, true);
  assert.equal(defaultMachine(caps, 'tcg')?.name, 'pc');
  assert.equal(caps.accel.tcg?.machines[0].name, 'pc');
  const full = getMachine(caps, 'tcg', 'pc-i440fx-8.0');
  assert.equal(full?.alias, undefined);
  assert.equal(full?.default, false);
  assert.equal(full?.maxCpus, 255);
  assert.equal(caps.accel.tcg?.machines.length, 62);
  // the original is untouched
  assert.equal(getMachine(orig, 'tcg', 'pc-i440fx-8.0')?.alias, 'pc');
});

test('unknown elements are kept verbatim in place', () => {
  const text = [
    '<qemuCaps>',
    '  <emulator>/usr/bin/qemu-system-x86_64</emulator>',
    '  <qemuctime>1</qemuctime>',
    '  <selfctime>2</selfctime>',
    '  <selfvers>3</selfvers>',
    '  <usedQMP/>',
    '  <flag name=\'kvm\'/>',
    '  <version>7002000</version>',
    '  <kvmVersion>0</kvmVersion>',
    '  <microcodeVersion>0</microcodeVersion>',
    '  <arch>x86_64</arch>',
    '  <cpu type=\'tcg\' name=\'a&apos;b\' usable=\'yes\' deprecated=\'yes\'/>',
    '  <machine type=\'tcg\' name=\'m\' maxCpus=\'1\' acpi=\'no\'/>',
    '  <sev>',
    '    <cbitpos>47</cbitpos>',
    '    <reducedPhysBits>1</reducedPhysBits>',
    '  </sev>',
    '  <hypervCapabilities supported=\'no\'/>',
    '  <kvmSupportsSecureGuest/>',
    '</qemuCaps>',
    '',
  ].join('\n');
  const caps = loadCapsCache(text);
  assert.equal(caps.extra.length, 2);
  assert.equal(getCpuModel(caps, 'tcg', "a'b")?.deprecated, true);
  assert.equal(getMachine(caps, 'tcg', 'm')?.acpi, false);
  assert.equal(formatCapsCache(caps), text);
});

test('malformed cache is refused', () => {
  assert.throws(() => loadCapsCache('<qemuCaps><version>x</version></qemuCaps>'), /internal error/);
  assert.throws(() => loadCapsCache('<foo/>'), /expecting <qemuCaps>/);
});
