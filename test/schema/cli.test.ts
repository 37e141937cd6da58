// `tsvirt define --validate` / `create --validate` end to end (the built CLI on an embedded root), and
// the same documents through real virsh 9.0 + a session libvirtd when this machine can run one.
import assert from 'node:assert/strict';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type SessionLibvirtd, libvirtdAvailable, startSessionLibvirtd } from '../../bench/libvirtd.js';
import { HAVE_VIRSH, outcome, runVirsh, tsvirt } from '../cli/util.js';
import { REPO_ROOT } from '../helpers/paths.js';
import { type TempRoot, makeTempRoot } from '../helpers/tmp.js';
import { INVALID, SCHEMA_VALID } from './cases.js';

const SCHEMA = join(REPO_ROOT, 'src/conf/schemas/domain.rng');
const LIBVIRT_SCHEMA = '/usr/share/libvirt/schemas/domain.rng';

let root: TempRoot;
const files: string[] = [];

before(async () => {
  root = await makeTempRoot();
  INVALID.forEach((c, i) => {
    const f = join(root.path, `bad${i}.xml`);
    writeFileSync(f, c.xml, { mode: 0o644 });
    files.push(f);
  });
});
after(async () => {
  await root?.remove();
});

const run = (...args: string[]) => tsvirt(['-c', root.uri, ...args]);

describe('tsvirt --validate', () => {
  test('define --validate on an invalid document exits 1 with libvirt\'s schema error', async () => {
    for (const [i, c] of INVALID.entries()) {
      const r = await run('define', '--validate', files[i]);
      assert.deepEqual(outcome(r), {
        code: 1,
        stdout: '\n',
        stderr:
          `error: Failed to define domain from ${files[i]}\n` +
          `error: XML document failed to validate against schema: Unable to validate doc against ${SCHEMA}\n${c.detail}\n`,
      }, c.name);
    }
    const list = await run('list', '--all', '--name');
    assert.equal(list.stdout.trim(), '', 'nothing was defined');
  });

  test('create --validate fails the same way before anything starts', async () => {
    const c = INVALID[0];
    const r = await run('create', '--validate', files[0]);
    assert.equal(r.code, 1);
    assert.equal(
      r.stderr,
      `error: Failed to create domain from ${files[0]}\n` +
        `error: XML document failed to validate against schema: Unable to validate doc against ${SCHEMA}\n${c.detail}\n`,
    );
  });

  test('without --validate the schema is not consulted (an unknown top-level element is ignored)', async () => {
    const i = INVALID.findIndex((c) => c.xml.includes('<sparkles/>'));
    const r = await run('define', files[i]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, `Domain 'bad8' defined from ${files[i]}\n\n`);
    assert.equal((await run('undefine', 'bad8')).code, 0);
  });

  test('define --validate on a valid document defines it', async () => {
    const f = join(root.path, 'ok.xml');
    writeFileSync(f, SCHEMA_VALID[0].xml);
    const r = await run('define', '--validate', f);
    assert.deepEqual(outcome(r), { code: 0, stdout: `Domain 'ok1' defined from ${f}\n\n`, stderr: '' });
  });
});

// Real libvirt: needs libvirtd + virsh and root (the daemon runs as nobody through setpriv).
const CAN_RUN_LIBVIRTD = HAVE_VIRSH && libvirtdAvailable() && process.getuid?.() === 0;
describe('same documents through real virsh 9.0 and libvirtd', { skip: CAN_RUN_LIBVIRTD ? false : 'libvirtd/virsh not installed or not root' }, () => {
  let d: SessionLibvirtd | undefined;
  before(async () => {
    d = await startSessionLibvirtd();
  });
  after(async () => {
    await d?.stop();
  });

  test('virsh define --validate prints what tsvirt prints (schema path aside)', async () => {
    assert.ok(d);
    for (const [i, c] of INVALID.entries()) {
      assert.ok(existsSync(files[i]));
      const v = await runVirsh(['-c', d.uri, 'define', '--validate', files[i]]);
      const t = await run('define', '--validate', files[i]);
      const first = v.stderr.split('\n')[1];
      assert.equal(first, `error: XML document failed to validate against schema: Unable to validate doc against ${LIBVIRT_SCHEMA}`, c.name);
      assert.deepEqual(outcome(t), { ...outcome(v), stderr: v.stderr.replace(LIBVIRT_SCHEMA, SCHEMA) }, c.name);
    }
  });
});
