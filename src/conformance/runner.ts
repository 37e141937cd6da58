// The conformance corpus runner: for each case of cases.tsv, parse + post-parse + validate the
// domain XML, prepare it for start and build the command line with the test Host, then compare
// with the expected .args / .err; plus the xml2xml round trips.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { formatDomainXML, parseDomainXML } from '../conf/domain/index.js';
import type { DomainDef } from '../conf/domain/types.js';
import { copyCaps, loadCapsCache, stripMachineAliases } from '../qemu/caps/cache.js';
import type { QemuCaps } from '../qemu/caps/types.js';
import { type Host, buildCommandLine, formatArgs } from '../qemu/command/index.js';
import type { QemuDriverConfig } from '../qemu/config.js';
import { qemuPostParse } from '../qemu/domain/postparse.js';
import { prepareDomainForStart } from '../qemu/domain/prepare.js';
import { qemuValidate } from '../qemu/domain/validate.js';
import type { ConfValue } from '../util/conffile.js';
import { mockRandomBytes, testConfig, testHost } from './testhost.js';

export interface CaseRow {
  name: string;
  area: string;
  outcome: 'args' | 'parse-error' | 'failure';
  files: string[];
  tier: string;
  overrides: string[];
  hostDeps: string;
  xml2xml: string[];
}

export interface CaseResult {
  case: string;
  area: string;
  outcome: string;
  pass: boolean;
  expected?: string;
  actual?: string;
  error?: string;
}

export interface RoundTripResult {
  case: string;
  file: string;
  pass: boolean;
  expected?: string;
  actual?: string;
}

export function readCases(dir: string): CaseRow[] {
  const text = readFileSync(join(dir, 'cases.tsv'), 'utf8');
  const rows: CaseRow[] = [];
  const lines = text.split('\n');
  for (const line of lines.slice(1)) {
    if (!line.trim()) continue;
    const f = line.split('\t');
    rows.push({
      name: f[0],
      area: f[1],
      outcome: f[2] as CaseRow['outcome'],
      files: (f[3] ?? '').split(' ').filter(Boolean),
      tier: f[4] ?? '',
      overrides: (f[5] ?? '').split(' ').filter(Boolean),
      hostDeps: f[6] ?? '',
      xml2xml: (f[7] ?? '').split(',').filter(Boolean),
    });
  }
  return rows;
}

interface CaseEnv {
  caps: QemuCaps;
  cfg: ReturnType<typeof testConfig>;
  host: ReturnType<typeof testHost>;
}

function caseEnv(row: CaseRow, baseCaps: QemuCaps, dir: string): CaseEnv {
  const caps = copyCaps(baseCaps);
  const cfgOver: Record<string, ConfValue> = {};
  const env: Record<string, string> = {};
  const fdGroups: Record<string, number[]> = {};
  let fips = false;
  let swtpm: string[] | undefined;
  for (const o of row.overrides) {
    const [kind, rest] = [o.slice(0, o.indexOf(':')), o.slice(o.indexOf(':') + 1)];
    const eq = rest.indexOf('=');
    const key = eq >= 0 ? rest.slice(0, eq) : rest;
    const val = eq >= 0 ? rest.slice(eq + 1) : '';
    switch (kind) {
      case 'cfg':
        cfgOver[key] = /^\d+$/.test(val) ? Number(val) : val;
        break;
      case 'env':
        env[key] = val;
        break;
      case 'caps':
        if (rest.startsWith('+')) caps.flags.add(rest.slice(1));
        break;
      case 'host':
        if (rest === 'fips') fips = true;
        break;
      case 'swtpm':
        swtpm = val.split(',');
        break;
      case 'fdgroup':
        fdGroups[key] = val.split(',').map(Number);
        break;
    }
  }
  return { caps, cfg: testConfig(cfgOver), host: testHost({ env, fips, swtpmVersions: swtpm, fdGroups, poolDir: join(dir, 'storagepoolxml2xmlout'), firmwareRoot: join(dir, 'qemufirmwaredata') }) };
}

function parseCase(xml: string, caps: QemuCaps, live = false, host?: Host, cfg?: QemuDriverConfig): DomainDef {
  const c = cfg ?? testConfig();
  return parseDomainXML(xml, {
    live,
    postParse: (d) => qemuPostParse(d, caps, { randomBytes: mockRandomBytes, nvramDir: c.nvramDir, cfg: c, env: host?.env, live }),
    validate: (d) => qemuValidate(d, caps, host),
  });
}

function errText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

export interface RunSummary {
  results: CaseResult[];
  roundtrips: RoundTripResult[];
  ms: number;
}

export function runCorpus(dir: string, only?: string[]): RunSummary {
  const t0 = performance.now();
  const rows = readCases(dir).filter((r) => !only || only.includes(r.name));
  const capsCache = new Map<string, QemuCaps>();
  const loadCaps = (file: string): QemuCaps => {
    let c = capsCache.get(file);
    if (!c) {
      c = stripMachineAliases(loadCapsCache(readFileSync(join(dir, file), 'utf8')));
      capsCache.set(file, c);
    }
    return c;
  };
  const results: CaseResult[] = [];
  const roundtrips: RoundTripResult[] = [];
  for (const row of rows) {
    const xmlFile = row.files.find((f) => f.startsWith('qemuxml2argvdata/') && f.endsWith('.xml') && !f.includes('.x86_64-'));
    const capsFile = row.files.find((f) => f.startsWith('qemucapabilitiesdata/')) ?? 'qemucapabilitiesdata/caps_8.0.0.x86_64.xml';
    const expFile = row.files.find((f) => f.endsWith('.args') || f.endsWith('.err'));
    const res: CaseResult = { case: row.name, area: row.area, outcome: row.outcome, pass: false };
    results.push(res);
    let xml: string;
    let baseCaps: QemuCaps;
    try {
      xml = readFileSync(join(dir, xmlFile ?? `qemuxml2argvdata/${row.name}.xml`), 'utf8');
      baseCaps = loadCaps(capsFile);
    } catch (e) {
      res.error = errText(e);
      continue;
    }
    const expected = expFile ? readFileSync(join(dir, expFile), 'utf8') : '';
    const env = caseEnv(row, baseCaps, dir);
    let actual: string;
    try {
      const def = parseCase(xml, env.caps, false, env.host, env.cfg);
      if (row.outcome === 'parse-error') {
        actual = '(parsed successfully)\n';
      } else {
        def.id = -1;
        const live = prepareDomainForStart(def, env.caps, env.host, env.cfg, { pretend: true });
        const cmd = buildCommandLine(live, env.caps, env.host, env.cfg);
        actual = row.outcome === 'failure' ? `(built successfully)\n${formatArgs(cmd.env, cmd.argv)}` : formatArgs(cmd.env, cmd.argv);
      }
    } catch (e) {
      actual = `${errText(e)}\n`;
      if (row.outcome === 'args') res.error = (e as Error).stack;
    }
    res.actual = actual;
    res.expected = expected;
    res.pass = actual === expected || (row.outcome === 'args' && actual === `${expected}\n`) || (row.outcome === 'args' && `${actual}\n` === expected);
    // round trips
    row.xml2xml.forEach((file, i) => {
      const rt: RoundTripResult = { case: row.name, file, pass: false };
      roundtrips.push(rt);
      try {
        const exp = readFileSync(join(dir, file), 'utf8');
        // qemuxml2xmltest formats with VIR_DOMAIN_DEF_FORMAT_SECURE (graphics passwords shown).
        // the active output of qemuxml2xmltest: parsed without the inactive flag (runtime ids
        // such as <domain id=…> and backing-store indexes are kept)
        const active = i === 1 || file.includes('-active.');
        // qemuxml2xmltest does not restrict swtpm (swtpm: overrides are argv-only)
        const def = parseCase(xml, copyCaps(baseCaps), active, { ...env.host, swtpmVersions: testHost().swtpmVersions }, env.cfg);
        let out: string;
        if (active) {
          out = formatDomainXML(def, { inactive: false, secure: true });
        } else out = formatDomainXML(def, { inactive: true, secure: true });
        rt.expected = exp;
        rt.actual = out;
        rt.pass = out === exp;
      } catch (e) {
        rt.actual = `${errText(e)}\n`;
      }
    });
  }
  return { results, roundtrips, ms: performance.now() - t0 };
}
