// npm run --silent conformance -- --data DIR [--only NAME,…] [--json] [--diff] [--roundtrip-diff]
import { existsSync, statSync } from 'node:fs';
import { unifiedDiff } from './diff.js';
import { runCorpus } from './runner.js';

function usage(msg: string): never {
  process.stderr.write(`error: ${msg}\nusage: conformance --data DIR [--only NAME,...] [--json] [--quiet] [--no-diff]\n`);
  process.exit(2);
}

function main(): void {
  const args = process.argv.slice(2);
  let dir: string | undefined;
  let only: string[] | undefined;
  let asJson = false;
  let quiet = false;
  let showDiff = true;
  let rtDiff = false;
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === '--data') dir = args[++i];
    else if (a.startsWith('--data=')) dir = a.slice(7);
    else if (a === '--only') only = (args[++i] ?? '').split(',').filter(Boolean);
    else if (a.startsWith('--only=')) only = a.slice(7).split(',').filter(Boolean);
    else if (a === '--json') asJson = true;
    else if (a === '--quiet') quiet = true;
    else if (a === '--no-diff') showDiff = false;
    else if (a === '--roundtrip-diff') rtDiff = true;
    else usage(`unknown argument '${a}'`);
  }
  if (!dir) usage('--data DIR is required');
  if (!existsSync(dir) || !statSync(dir).isDirectory() || !existsSync(`${dir}/cases.tsv`)) {
    process.stderr.write(`error: cannot read corpus directory '${dir}' (cases.tsv not found)\n`);
    process.exit(1);
  }
  const run = runCorpus(dir, only);
  const byArea: Record<string, { total: number; passed: number }> = {};
  for (const r of run.results) {
    byArea[r.area] ??= { total: 0, passed: 0 };
    byArea[r.area].total++;
    if (r.pass) byArea[r.area].passed++;
  }
  const passed = run.results.filter((r) => r.pass).length;
  const rtPassed = run.roundtrips.filter((r) => r.pass).length;
  if (asJson) {
    const out = {
      total: run.results.length,
      passed,
      failed: run.results.length - passed,
      byArea,
      roundtrip: { total: run.roundtrips.length, passed: rtPassed },
      cases: run.results.map((r) => ({ case: r.case, outcome: r.outcome, pass: r.pass })),
    };
    process.stdout.write(`${JSON.stringify(out)}\n`);
    return;
  }
  const lines: string[] = [];
  if (!quiet) {
    for (const r of run.results) {
      if (r.pass) continue;
      lines.push(`FAIL ${r.case} (${r.area}, ${r.outcome})`);
      if (showDiff) lines.push(unifiedDiff(r.expected ?? '', r.actual ?? ''));
    }
    if (rtDiff) {
      for (const r of run.roundtrips) {
        if (r.pass) continue;
        lines.push(`FAIL roundtrip ${r.case} ${r.file}`);
        if (showDiff) lines.push(unifiedDiff(r.expected ?? '', r.actual ?? ''));
      }
    }
  }
  lines.push('', 'area                      passed/total');
  for (const [a, v] of Object.entries(byArea).sort((x, y) => y[1].total - x[1].total)) {
    lines.push(`${a.padEnd(26)}${String(v.passed).padStart(3)}/${v.total}`);
  }
  const pct = run.results.length ? ((100 * passed) / run.results.length).toFixed(1) : '0';
  lines.push(`${'TOTAL'.padEnd(26)}${String(passed).padStart(3)}/${run.results.length} (${pct} %)`);
  lines.push(`${'round-trip'.padEnd(26)}${String(rtPassed).padStart(3)}/${run.roundtrips.length}`);
  lines.push(`time ${(run.ms / 1000).toFixed(2)} s`);
  process.stdout.write(`${lines.join('\n')}\n`);
}

main();
