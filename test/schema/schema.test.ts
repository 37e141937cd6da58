// validateDomainSchema(): libvirt's domain.rng through libxml2-wasm, in this process.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { loadDomainSchema, schemaDir, validateDomainSchema } from '../../src/conf/schema.js';
import { ErrorCode, ErrorDomain, VirError } from '../../src/util/errors.js';
import { CONFORMANCE_DIR as CONFORMANCE, REPO_ROOT } from '../helpers/paths.js';
import { INVALID, SCHEMA_VALID } from './cases.js';

const CASES = join(CONFORMANCE, 'cases.tsv');

/** Input XML of every case whose expected outcome is `args` (libvirt defines and runs them). */
function argsCaseInputs(): string[] {
  const rows = readFileSync(CASES, 'utf8').split('\n').slice(1).filter(Boolean);
  const files = new Set<string>();
  for (const row of rows) {
    const cols = row.split('\t');
    if (cols[2] !== 'args') continue;
    const input = cols[3].split(' ').find((f) => f.startsWith('qemuxml2argvdata/') && f.endsWith('.xml'));
    if (input) files.add(join(CONFORMANCE, input));
  }
  return [...files].sort();
}

async function schemaError(xml: string): Promise<VirError> {
  try {
    await validateDomainSchema(xml);
  } catch (e) {
    assert.ok(e instanceof VirError, `not a VirError: ${String(e)}`);
    return e;
  }
  assert.fail('the document validated');
}

describe('domain schema', () => {
  test('the schema folder is found from the compiled module and holds domain.rng and its includes', () => {
    const dir = schemaDir();
    assert.equal(dir, join(REPO_ROOT, 'src/conf/schemas'));
    for (const f of ['domain.rng', 'domainoverrides.rng', 'domaincommon.rng', 'basictypes.rng', 'cputypes.rng']) {
      assert.ok(existsSync(join(dir, f)), f);
    }
  });

  test('compiles once per process', async (t) => {
    const t0 = performance.now();
    await loadDomainSchema();
    const first = performance.now() - t0;
    const t1 = performance.now();
    await loadDomainSchema();
    const second = performance.now() - t1;
    t.diagnostic(`import + compile of domain.rng: ${first.toFixed(0)} ms (0 if an earlier test already compiled it); again: ${second.toFixed(2)} ms`);
  });

  // libvirt's tests/virschematest.c convention: a qemuxml2argvdata file named *-invalid.xml must fail
  // the schema (qemuxml2argvtest still runs some of them, without validation), every other one pass.
  const expectInvalid = (f: string) => f.endsWith('-invalid.xml');

  async function checkFiles(files: string[]): Promise<{ failed: string[]; rejected: number; ms: number }> {
    await loadDomainSchema();
    const failed: string[] = [];
    let rejected = 0;
    let ms = 0;
    for (const f of files) {
      const xml = readFileSync(f, 'utf8');
      const t0 = performance.now();
      let err: unknown = null;
      try {
        await validateDomainSchema(xml);
      } catch (e) {
        err = e;
      }
      ms += performance.now() - t0;
      if (expectInvalid(f)) {
        if (err instanceof VirError && err.code === ErrorCode.XML_INVALID_SCHEMA) rejected++;
        else failed.push(`${f}: expected a schema error, got ${err instanceof Error ? err.message : 'success'}`);
      } else if (err) {
        failed.push(`${f}: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
    return { failed, rejected, ms };
  }

  const noCorpus = existsSync(CASES) ? false : `corpus not found at ${CONFORMANCE}`;

  test('every input of the corpus cases libvirt runs (outcome args) validates', { skip: noCorpus }, async (t) => {
    const files = argsCaseInputs();
    assert.ok(files.length > 0);
    const { failed, rejected, ms } = await checkFiles(files);
    const valid = files.filter((f) => !expectInvalid(f)).length;
    t.diagnostic(
      `${valid - failed.length}/${valid} args-case inputs valid; ${rejected} *-invalid.xml args-case input(s) rejected as libvirt's ` +
        `virschematest expects; ${(ms / files.length).toFixed(2)} ms per validation (${ms.toFixed(0)} ms total)`,
    );
    assert.deepEqual(failed, []);
  });

  test('every qemuxml2argvdata input: *-invalid.xml fail, the rest validate (virschematest)', { skip: noCorpus }, async (t) => {
    const dir = join(CONFORMANCE, 'qemuxml2argvdata');
    const files = readdirSync(dir).filter((n) => n.endsWith('.xml')).sort().map((n) => join(dir, n));
    const { failed, rejected, ms } = await checkFiles(files);
    t.diagnostic(`${files.length} files: ${files.length - failed.length} as expected (${rejected} rejected); ${(ms / files.length).toFixed(2)} ms per validation`);
    assert.deepEqual(failed, []);
  });

  for (const c of INVALID) {
    test(`invalid: ${c.name} → VIR_ERR_XML_INVALID_SCHEMA with libvirt's message`, async () => {
      const e = await schemaError(c.xml);
      assert.equal(e.code, ErrorCode.XML_INVALID_SCHEMA);
      assert.equal(e.code, 92);
      assert.equal(e.domain, ErrorDomain.XML);
      const path = join(schemaDir(), 'domain.rng');
      assert.equal(e.message, `XML document failed to validate against schema: Unable to validate doc against ${path}\n${c.detail}`);
    });
  }

  for (const c of SCHEMA_VALID) {
    test(`schema accepts: ${c.name}`, async () => {
      await validateDomainSchema(c.xml);
    });
  }

  test('malformed XML and a foreign root element are left to the domain parser', async () => {
    await validateDomainSchema("<domain type='qemu'><name>x</name><devices><x></devices></domain>");
    await validateDomainSchema('<network><name>n</name></network>');
    await validateDomainSchema('');
  });

  test('no external entity or network access while parsing the document', async () => {
    const xxe =
      '<?xml version="1.0"?>\n<!DOCTYPE domain [<!ENTITY x SYSTEM "file:///etc/passwd">]>\n' +
      "<domain type='qemu'><name>&x;</name><memory>1</memory><os><type>hvm</type></os></domain>\n";
    // The entity is not loaded: the document stays a <name> holding an entity reference and validates
    // or fails on its own, never with /etc/passwd's contents in a message.
    try {
      await validateDomainSchema(xxe);
    } catch (e) {
      assert.ok(e instanceof VirError);
      assert.doesNotMatch(e.message, /root:/);
    }
  });

  test('time per validation after compile', async (t) => {
    await loadDomainSchema();
    const good = SCHEMA_VALID[0].xml;
    const bad = INVALID[0].xml;
    const n = 200;
    let t0 = performance.now();
    for (let i = 0; i < n; i++) await validateDomainSchema(good);
    const okMs = (performance.now() - t0) / n;
    t0 = performance.now();
    for (let i = 0; i < n; i++) await validateDomainSchema(bad).catch(() => {});
    const badMs = (performance.now() - t0) / n;
    t.diagnostic(`small valid document: ${okMs.toFixed(3)} ms; small invalid document: ${badMs.toFixed(3)} ms (mean of ${n})`);
  });
});
