// npm run bench: tsvirt against raw QEMU and against a real libvirt 9.0 daemon, measured in one run,
// printed as ratios (tsvirt / reference; below 1 means tsvirt is faster).
//   issue 2: start vs raw QEMU -S + cont of the same argv; domxml-to-native per call; list --all with 1000 domains
//   issue 4: list --all with 1000 domains and start latency through tsvirtd, each vs the same virsh command on libvirtd
import { copyFileSync, chownSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ensureGuest, guestDomainXML } from '../test/helpers/guest.js';
import { startTsvirtd } from './daemon.js';
import { libvirtdAvailable, startSessionLibvirtd, type SessionLibvirtd } from './libvirtd.js';
import { benchListEmbedded, defineMany, defineManyLibvirt, timeList } from './list.js';
import { benchNative } from './native.js';
import { benchStart } from './start.js';
import { median, printRows, run, type Row } from './util.js';

const N = Number(process.env.TSVIRT_BENCH_DOMAINS ?? 1000);
const ROUNDS = Number(process.env.TSVIRT_BENCH_ROUNDS ?? 9);

async function virshStartLatency(uri: string, xmlFile: string, rounds: number): Promise<number> {
  await run('virsh', ['-c', uri, 'define', xmlFile]);
  await run('virsh', ['-c', uri, 'start', 'bench']);
  await run('virsh', ['-c', uri, 'destroy', 'bench']);
  const ms: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const r = await run('virsh', ['-c', uri, 'start', 'bench']);
    if (r.code !== 0) throw new Error(`virsh start on ${uri}: ${r.stderr.trim()}`);
    ms.push(r.ms);
    await run('virsh', ['-c', uri, 'destroy', 'bench']);
  }
  await run('virsh', ['-c', uri, 'undefine', 'bench']);
  return median(ms);
}

async function section(title: string, fn: () => Promise<Row[]>): Promise<void> {
  try {
    printRows(title, await fn());
  } catch (e) {
    console.log(`\n${title}\n  n/a: ${(e as Error).message}`);
  }
}

async function main(): Promise<void> {
  delete process.env.NODE_EXTRA_CA_CERTS;
  const guest = await ensureGuest();
  const scratch = mkdtempSync('/tmp/tsv-b');
  console.log(`tsvirt benchmark: ${N} domains, ${ROUNDS} rounds per timing, TCG guest; medians; ratio = tsvirt / reference`);

  let lv: SessionLibvirtd | null = null;
  let lvKernel = guest.kernel;
  let lvInitrd = guest.initrd;
  if (libvirtdAvailable() && process.getuid?.() === 0) {
    try {
      lv = await startSessionLibvirtd();
      // The session daemon runs as nobody: give it its own readable copy of the guest.
      lvKernel = join(lv.dir, 'vmlinuz');
      lvInitrd = join(lv.dir, 'initrd.img');
      for (const [src, dst] of [[guest.kernel, lvKernel], [guest.initrd, lvInitrd]]) {
        copyFileSync(src, dst);
        chownSync(dst, 65534, 65534);
      }
      console.log(`reference: libvirtd 9.0 session daemon (${lv.uri})`);
    } catch (e) {
      console.log(`reference: libvirtd unavailable (${(e as Error).message}); using baseline.md figures (*)`);
    }
  } else console.log('reference: libvirtd not installed or not root; using baseline.md figures (*)');

  await section('Start (issue 2)', () => benchStart(join(scratch, 'a'), join(scratch, 'c'), ROUNDS));
  await section('domxml-to-native (issue 2)', () => benchNative(join(scratch, 'n'), lv?.uri ?? null, 200));

  let libvirtList: number | null = null;
  if (lv) {
    const uri = lv.uri;
    await defineManyLibvirt(uri, N, join(lv.dir, 'tmpl.xml')).catch((e) => console.log(`  libvirtd define: ${e.message}`));
    libvirtList = await timeList(['virsh', '-c', uri, 'list', '--all'], 5).catch(() => null);
  }
  await section(`list --all (issue 2)`, () => benchListEmbedded(join(scratch, 'l'), N, libvirtList));

  await section('Through tsvirtd (issue 4)', async () => {
    const d = await startTsvirtd(join(scratch, 'd'));
    try {
      await defineMany(d.uri, N);
      const rows: Row[] = [];
      const tsList = await timeList(['virsh', '-c', d.uri, 'list', '--all'], 5);
      rows.push(
        libvirtList !== null
          ? { what: `virsh list --all, ${N} defined: tsvirtd vs libvirtd`, tsvirt: tsList, reference: libvirtList, refName: 'libvirt' }
          : { what: `virsh list --all, ${N} defined (vs baseline.md 196 ms)`, tsvirt: tsList, reference: 196, refName: 'libvirt*' },
      );
      const tsXml = join(scratch, 'ts-bench.xml');
      writeFileSync(tsXml, guestDomainXML({ name: 'bench', type: 'qemu', serial: 'pty' }));
      const tsStart = await virshStartLatency(d.uri, tsXml, ROUNDS);
      if (lv) {
        const lvXml = join(lv.dir, 'bench.xml');
        writeFileSync(lvXml, guestDomainXML({ name: 'bench', type: 'qemu', serial: 'pty', kernel: lvKernel, initrd: lvInitrd }));
        const lvStart = await virshStartLatency(lv.uri, lvXml, ROUNDS);
        rows.push({ what: 'virsh start → running: tsvirtd vs libvirtd', tsvirt: tsStart, reference: lvStart, refName: 'libvirt' });
      } else rows.push({ what: 'virsh start (vs baseline.md 488 ms)', tsvirt: tsStart, reference: 488, refName: 'libvirt*' });
      return rows;
    } finally {
      await d.stop();
    }
  });

  await lv?.stop();
  rmSync(scratch, { recursive: true, force: true });
  rmSync(`${join(scratch, 'c')}.xml`, { force: true });
}

main().then(
  () => process.exit(0),
  (e) => {
    console.error(e);
    process.exit(1);
  },
);
