// `list --all` with 1000 defined domains: the tsvirt CLI in embedded mode, and virsh against tsvirtd,
// each against virsh against a real libvirtd holding the same 1000 definitions.
import { writeFileSync } from 'node:fs';
import { connect } from '../src/index.js';
import { guestDomainXML } from '../test/helpers/guest.js';
import { PY_DEFINE_MANY, python } from './libvirt-py.js';
import { median, run, type Row } from './util.js';

export function manyTemplate(): string {
  return guestDomainXML({ name: 'd@N@', type: 'qemu', serial: 'pty' }).replace(/\s*<uuid>[^<]*<\/uuid>/, '');
}

/** Defines n domains through tsvirt's library (embedded or remote URI). */
export async function defineMany(uri: string, n: number): Promise<void> {
  const conn = await connect(uri);
  const tmpl = manyTemplate();
  for (let i = 0; i < n; i++) await conn.defineXML(tmpl.replace('@N@', String(i)));
  await conn.close();
}

export async function defineManyLibvirt(uri: string, n: number, tmplFile: string): Promise<void> {
  writeFileSync(tmplFile, manyTemplate());
  const count = Number((await python(PY_DEFINE_MANY, [uri, tmplFile, String(n)])).trim());
  if (count < n) throw new Error(`libvirtd lists ${count} domains, expected ${n}`);
}

export async function timeList(cmd: string[], rounds: number): Promise<number> {
  const ms: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const r = await run(cmd[0], cmd.slice(1));
    if (r.code !== 0) throw new Error(`${cmd.join(' ')}: ${r.stderr}`);
    ms.push(r.ms);
  }
  return median(ms);
}

export async function benchListEmbedded(root: string, n: number, libvirtListMs: number | null): Promise<Row[]> {
  await defineMany(`qemu:///embed?root=${root}`, n);
  const ts = await timeList([process.execPath, 'bin/tsvirt', '-c', `qemu:///embed?root=${root}`, 'list', '--all'], 5);
  return [
    libvirtListMs !== null
      ? { what: `list --all, ${n} defined (tsvirt CLI embedded vs virsh→libvirtd)`, tsvirt: ts, reference: libvirtListMs, refName: 'libvirt' }
      : { what: `list --all, ${n} defined (vs baseline.md 196 ms)`, tsvirt: ts, reference: 196, refName: 'libvirt*' },
  ];
}
