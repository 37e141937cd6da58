// domxml-to-native per call: tsvirt's library in-process vs libvirt's python binding in one process
// against libvirtd (what a management app sees), and the CLI vs virsh as whole processes.
import { writeFileSync } from 'node:fs';
import { connect } from '../src/index.js';
import { guestDomainXML } from '../test/helpers/guest.js';
import { PY_XML_TO_NATIVE, python } from './libvirt-py.js';
import { median, now, run, type Row } from './util.js';

export async function benchNative(root: string, libvirtUri: string | null, calls: number): Promise<Row[]> {
  const xml = guestDomainXML({ name: 'native', type: 'qemu', serial: 'pty' });
  const file = `${root}-native.xml`;
  writeFileSync(file, xml);
  const conn = await connect(`qemu:///embed?root=${root}`);
  await conn.domainXMLToNative('qemu-argv', xml);
  const t0 = now();
  for (let i = 0; i < calls; i++) await conn.domainXMLToNative('qemu-argv', xml);
  const perCall = (now() - t0) / calls;
  await conn.close();
  const cli: number[] = [];
  for (let i = 0; i < 7; i++) {
    const r = await run(process.execPath, ['bin/tsvirt', '-c', `qemu:///embed?root=${root}`, 'domxml-to-native', 'qemu-argv', '--xml', file]);
    if (r.code !== 0) throw new Error(`tsvirt domxml-to-native: ${r.stderr}`);
    cli.push(r.ms);
  }
  const rows: Row[] = [];
  if (libvirtUri) {
    const py = Number((await python(PY_XML_TO_NATIVE, [libvirtUri, file, String(calls)])).trim());
    rows.push({ what: 'domxml-to-native per call (one client process)', tsvirt: perCall, reference: py, refName: 'libvirt' });
    const virsh: number[] = [];
    for (let i = 0; i < 7; i++) virsh.push((await run('virsh', ['-c', libvirtUri, 'domxml-to-native', 'qemu-argv', '--xml', file])).ms);
    rows.push({ what: 'domxml-to-native as a command (tsvirt vs virsh)', tsvirt: median(cli), reference: median(virsh), refName: 'libvirt' });
  } else {
    // libvirt 9.0's figure from ../shared/reference/baseline.md (5.4 ms per call in one client process).
    rows.push({ what: 'domxml-to-native per call (vs baseline.md figure)', tsvirt: perCall, reference: 5.4, refName: 'libvirt*' });
  }
  return rows;
}
