// Runs the conformance runner over ../shared/conformance and fails when the pass counts drop
// below the recorded baseline (raise baseline.json as the implementation grows).
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { runCorpus } from '../../src/conformance/runner.js';

const root = new URL('../../..', import.meta.url).pathname;
const corpus = join(root, '..', 'shared', 'conformance');
const baseline = JSON.parse(readFileSync(join(root, 'test', 'conformance', 'baseline.json'), 'utf8')) as { passed: number; roundtrip: number };

test('conformance corpus pass rate does not regress', { skip: existsSync(join(corpus, 'cases.tsv')) ? false : `corpus not found at ${corpus}` }, () => {
  const run = runCorpus(corpus);
  const passed = run.results.filter((r) => r.pass).length;
  const rt = run.roundtrips.filter((r) => r.pass).length;
  assert.ok(passed >= baseline.passed, `argv cases passed ${passed} < baseline ${baseline.passed}`);
  assert.ok(rt >= baseline.roundtrip, `round trips passed ${rt} < baseline ${baseline.roundtrip}`);
  assert.ok(run.ms < 10000, `runner took ${run.ms} ms`);
});
