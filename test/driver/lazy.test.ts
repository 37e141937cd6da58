// Opening an embedded root is cheap: listing and looking up domains loads neither the domain XML code
// nor the builder, prober, security drivers (native xattr addon), cgroups or QMP/process code, and
// configs are listed from the index without being parsed. Each check runs in a fresh node process
// whose module loads are recorded by a loader hook.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync, renameSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { ShutoffReason } from '../../src/driver/constants.js';
import { connect } from '../../src/index.js';
import { guestDomainXML, makeTempRoot, type TempRoot } from '../helpers/guest.js';

const SRC_INDEX = fileURLToPath(new URL('../../src/index.js', import.meta.url));

const HOOKS = `
import { appendFileSync } from 'node:fs';
export async function load(url, context, next) {
  appendFileSync(process.env.TSV_LOAD_LOG, url + '\\n');
  return next(url, context);
}
`;
const REGISTER = `import { register } from 'node:module';\nregister(new URL('./hooks.mjs', import.meta.url));\n`;

/** What a child does once connected; prints JSON on stdout. */
const CHILD = `
// Files read through fs/promises.readFile, for the checks below (patched before the library loads).
const { createRequire, syncBuiltinESMExports } = await import('node:module');
const fsp = createRequire(process.cwd() + '/')('fs/promises');
const reads = [];
const origReadFile = fsp.readFile;
fsp.readFile = (p, ...rest) => {
  reads.push(String(p));
  return origReadFile(p, ...rest);
};
syncBuiltinESMExports();
const { connect } = await import(process.env.TSV_SRC_INDEX);
const conn = await connect(process.env.TSV_URI);
const out = { names: (await conn.listAllDomains(0)).map((d) => d.name).sort() };
for (const step of (process.env.TSV_STEPS ?? '').split(',').filter(Boolean)) {
  if (step === 'version') {
    out.version = await conn.getVersion();
    continue;
  }
  const [what, name] = step.split(':');
  const dom = await conn.lookupByName(name);
  if (what === 'state') out[step] = await dom.getState();
  if (what === 'info') out[step] = (await dom.getInfo()).maxMem;
  if (what === 'xml') out[step] = (await dom.getXMLDesc()).length > 0;
}
await conn.close();
out.reads = reads;
process.stdout.write(JSON.stringify(out));
`;

interface ChildResult {
  out: Record<string, unknown> & { names: string[] };
  /** file URLs of every module the child loaded (project files relative to dist/, packages by name). */
  loaded: string[];
}

async function runChild(dir: string, uri: string, steps: string[] = []): Promise<ChildResult> {
  const log = join(dir, `loads-${Math.random().toString(36).slice(2)}.txt`);
  writeFileSync(log, '');
  const env: NodeJS.ProcessEnv = { ...process.env, TSV_LOAD_LOG: log, TSV_SRC_INDEX: SRC_INDEX, TSV_URI: uri, TSV_STEPS: steps.join(',') };
  delete env.NODE_EXTRA_CA_CERTS;
  const child = spawn(process.execPath, ['--import', join(dir, 'register.mjs'), '--input-type=module', '-e', CHILD], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const code = await new Promise<number | null>((r) => child.on('close', r));
  assert.equal(code, 0, stderr);
  const loaded = readFileSync(log, 'utf8').split('\n').filter(Boolean);
  rmSync(log);
  return { out: JSON.parse(stdout) as ChildResult['out'], loaded };
}

/** Project modules (dist/src/...) and packages among the loaded URLs. */
function areas(loaded: string[]): string[] {
  return loaded
    .map((u) => /\/dist\/(src\/.*)$/.exec(u)?.[1] ?? /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(u)?.[1])
    .filter((x): x is string => !!x);
}

const HEAVY = [
  /^src\/conf\/domain\//,
  /^src\/qemu\/command\//,
  /^src\/qemu\/domain\//,
  /^src\/qemu\/caps\//,
  /^src\/qemu\/process\//,
  /^src\/qemu\/monitor\//,
  /^src\/security\//,
  /^src\/cgroup\//,
  /^src\/qemu\/driver\/lifecycle\.js$/,
  /^@napi-rs\/xattr$/,
  /^saxes$/,
];
const heavyIn = (mods: string[]) => mods.filter((m) => HEAVY.some((re) => re.test(m)));

describe('embedded open loads heavy parts lazily', { timeout: 180_000 }, () => {
  let root: TempRoot;

  before(async () => {
    root = await makeTempRoot();
    writeFileSync(join(root.path, 'hooks.mjs'), HOOKS);
    writeFileSync(join(root.path, 'register.mjs'), REGISTER);
    const conn = await connect(root.uri);
    for (const n of ['lz1', 'lz2', 'lz3']) await conn.defineXML(guestDomainXML({ name: n, memoryMiB: 64 + Number(n.slice(2)), serial: 'pty' }));
    await conn.close();
  });
  after(async () => {
    await root?.remove();
  });

  test('list, lookup and state: no XML parsing, builder, prober, security, cgroups, QMP or xattr addon', async () => {
    // The first open after the defines (by another process) refreshes the index; the next ones use it.
    const first = await runChild(root.path, root.uri);
    assert.deepEqual(first.out.names, ['lz1', 'lz2', 'lz3']);
    const r = await runChild(root.path, root.uri, ['state:lz2']);
    assert.deepEqual(r.out.names, ['lz1', 'lz2', 'lz3']);
    assert.deepEqual(r.out['state:lz2'], { state: 5, reason: ShutoffReason.UNKNOWN });
    const mods = areas(r.loaded);
    assert.ok(mods.includes('src/qemu/driver/index.js'), `driver loaded: ${mods.join(' ')}`);
    assert.deepEqual(heavyIn(mods), []);
  });

  test('dominfo/dumpxml parse only the XML code: still no builder, prober, security, cgroups or QMP', async () => {
    const r = await runChild(root.path, root.uri, ['info:lz3', 'xml:lz3']);
    assert.equal(r.out['info:lz3'], 67 * 1024);
    assert.equal(r.out['xml:lz3'], true);
    const heavy = heavyIn(areas(r.loaded));
    assert.ok(heavy.some((m) => m.startsWith('src/conf/domain/')), heavy.join(' '));
    assert.deepEqual(
      heavy.filter((m) => !m.startsWith('src/conf/domain/') && m !== 'saxes'),
      [],
    );
  });

  test('version with a warm capabilities cache: no caps XML parsing, no probe', async () => {
    const first = await runChild(root.path, root.uri, ['version']);
    assert.ok(Number(first.out.version) >= 7_000_000, String(first.out.version));
    const r = await runChild(root.path, root.uri, ['version']);
    assert.equal(r.out.version, first.out.version);
    const capsXML = (o: ChildResult['out']) => (o.reads as string[]).filter((f) => /\/capabilities\/[0-9a-f]+\.xml$/.test(f));
    assert.equal(capsXML(first.out).length, 1, 'the first call reads the caps cache XML');
    assert.deepEqual(capsXML(r.out), [], 'the next ones use the summary');
    // A caps cache file replaced behind its back (another probe) is read again.
    const capsDir = join(root.path, 'cache/qemu/capabilities');
    const f = join(capsDir, readdirSync(capsDir).find((n) => n.endsWith('.xml')) ?? 'missing');
    writeFileSync(`${f}.new`, readFileSync(f));
    renameSync(`${f}.new`, f);
    const again = await runChild(root.path, root.uri, ['version']);
    assert.equal(again.out.version, first.out.version);
    assert.equal(capsXML(again.out).length, 1);
  });

  test('a quiet config dir: names from the index without a stat per file; an in-place edit shows when parsed', async () => {
    const dir = join(root.path, 'etc/qemu');
    const past = new Date(Date.now() - 60_000);
    utimesSync(dir, past, past);
    await runChild(root.path, root.uri); // records a trusted stamp of the quiet directory
    const idx = JSON.parse(readFileSync(join(root.path, 'cache/qemu/domain-index.json'), 'utf8')) as {
      builds: Array<{ dir: { mtimeMs: number } | null }>;
    };
    assert.equal(idx.builds[0].dir?.mtimeMs, statSync(dir).mtimeMs);
    // Edited in place (tsvirt itself always replaces configs by rename, which changes the directory).
    const lz2 = join(dir, 'lz2.xml');
    writeFileSync(lz2, readFileSync(lz2, 'utf8').replace(/<memory unit='KiB'>\d+<\/memory>/, "<memory unit='KiB'>70000</memory>"));
    const r = await runChild(root.path, root.uri, ['info:lz2']);
    assert.deepEqual(r.out.names, ['lz1', 'lz2', 'lz3']);
    assert.equal(r.out['info:lz2'], 70000);
  });

  test('the index is a cache: a config changed, broken, added or removed behind its back is read again', async () => {
    const dir = join(root.path, 'etc/qemu');
    // lz1 broken (libvirt skips configs it cannot parse), lz2 replaced by lz4's definition under the
    // wrong file name (skipped: name and file differ), lz3 removed, lz5 added by hand.
    writeFileSync(join(dir, 'lz1.xml'), '<domain type="qemu"><name>lz1</name>');
    const lz4 = guestDomainXML({ name: 'lz4', serial: 'pty' });
    writeFileSync(join(dir, 'lz2.xml.new'), lz4);
    renameSync(join(dir, 'lz2.xml.new'), join(dir, 'lz2.xml'));
    rmSync(join(dir, 'lz3.xml'));
    writeFileSync(join(dir, 'lz5.xml'), guestDomainXML({ name: 'lz5', memoryMiB: 99, serial: 'pty' }));
    const r = await runChild(root.path, root.uri, ['info:lz5']);
    assert.deepEqual(r.out.names, ['lz5']);
    assert.equal(r.out['info:lz5'], 99 * 1024);
    // Same answer from the rewritten index, without parsing.
    const again = await runChild(root.path, root.uri);
    assert.deepEqual(again.out.names, ['lz5']);
    assert.deepEqual(heavyIn(areas(again.loaded)), []);
  });
});
