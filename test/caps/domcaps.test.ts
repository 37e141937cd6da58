// Domain capabilities built from caps_8.0.0 / caps_7.2.0 with libvirt's test host (README §2.5) against
// domaincapsdata/qemu_*.xml.
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { loadCapsCache } from '../../src/qemu/caps/cache.js';
import { DEFAULT_CPU_MAP_DIR } from '../../src/qemu/caps/cpumap.js';
import { type DomCapsHost, type FirmwareDescriptor, buildDomainCaps } from '../../src/qemu/caps/domcaps.js';
import { CAPS_DIR, CONFORMANCE, DOMCAPS_DIR } from './paths.js';

/** Firmware descriptors as libvirt resolves them: etc overrides share by file name, empty files mask, sorted. */
function descriptors(): FirmwareDescriptor[] {
  const root = join(CONFORMANCE, 'qemufirmwaredata');
  const byName = new Map<string, string>();
  for (const d of ['usr/share/qemu/firmware', 'etc/qemu/firmware']) {
    const dir = join(root, d);
    if (!existsSync(dir)) continue;
    for (const n of readdirSync(dir)) if (n.endsWith('.json')) byName.set(n, join(dir, n));
  }
  const out: FirmwareDescriptor[] = [];
  for (const n of [...byName.keys()].sort()) {
    const path = byName.get(n) as string;
    let text = readFileSync(path, 'utf8');
    // symlinks are stored as text files holding the link target
    if (/^\.\.?\//.test(text.trim())) text = readFileSync(join(path, '..', text.trim()), 'utf8');
    if (text.trim()) out.push(JSON.parse(text) as FirmwareDescriptor);
  }
  return out;
}

export const TEST_HOST: DomCapsHost = { arch: 'x86_64', kvmMaxVcpus: 2147483647, vfio: true, swtpm: { tpm12: false, tpm20: true } };
const LOADERS = ['/usr/share/AAVMF/AAVMF_CODE.fd', '/usr/share/AAVMF/AAVMF32_CODE.fd', '/usr/share/OVMF/OVMF_CODE.fd'];

/** Lines of `actual` not equal to `expected`, as a count (0 = identical). */
function lineDiff(actual: string, expected: string): number {
  const a = actual.split('\n');
  const e = expected.split('\n');
  let diff = Math.abs(a.length - e.length);
  for (let i = 0; i < Math.min(a.length, e.length); i++) if (a[i] !== e[i]) diff++;
  return diff;
}

const cases = [
  { file: 'qemu_8.0.0-tcg.x86_64.xml', caps: '8.0.0', virttype: 'qemu', machine: undefined, exact: true },
  { file: 'qemu_8.0.0-q35.x86_64.xml', caps: '8.0.0', virttype: 'kvm', machine: 'q35', exact: true },
  { file: 'qemu_8.0.0.x86_64.xml', caps: '8.0.0', virttype: 'kvm', machine: undefined, exact: true },
  { file: 'qemu_7.2.0-tcg.x86_64.xml', caps: '7.2.0', virttype: 'qemu', machine: undefined, exact: true },
  { file: 'qemu_7.2.0-q35.x86_64.xml', caps: '7.2.0', virttype: 'kvm', machine: 'q35', exact: true },
  { file: 'qemu_7.2.0.x86_64.xml', caps: '7.2.0', virttype: 'kvm', machine: undefined, exact: true },
];

for (const c of cases) {
  test(`domcapabilities ${c.file}`, { skip: !existsSync(join(DEFAULT_CPU_MAP_DIR, 'index.xml')) && 'no libvirt cpu_map installed' }, () => {
    const caps = loadCapsCache(readFileSync(join(CAPS_DIR, `caps_${c.caps}.x86_64.xml`), 'utf8'));
    const got = buildDomainCaps(
      caps,
      { virttype: c.virttype, arch: 'x86_64', emulator: '/usr/bin/qemu-system-x86_64', ...(c.machine ? { machine: c.machine } : {}) },
      TEST_HOST,
      { descriptors: descriptors(), loaders: LOADERS },
    );
    const exp = readFileSync(join(DOMCAPS_DIR, c.file), 'utf8');
    if (c.exact) assert.equal(got, exp);
    else assert.ok(lineDiff(got, exp) < 40);
  });
}
