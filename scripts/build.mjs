// Build: transpile every TS file to dist/ (one JS file per module, for tests and the library),
// then bundle the two executables into single files so the CLI starts fast.
// Type checking is `npm run typecheck` (tsc); esbuild only strips types.
import { build } from 'esbuild';
import { readdirSync, statSync, rmSync, renameSync, existsSync } from 'node:fs';
import { join } from 'node:path';

const quiet = process.argv.includes('--quiet');
const root = new URL('..', import.meta.url).pathname;

function walk(dir, out = []) {
  let names;
  try { names = readdirSync(dir); } catch { return out; }
  for (const n of names) {
    const p = join(dir, n);
    if (statSync(p).isDirectory()) walk(p, out);
    else if (n.endsWith('.ts') && !n.endsWith('.d.ts')) out.push(p);
  }
  return out;
}

const entries = ['src', 'test', 'bench'].flatMap((d) => walk(join(root, d)));
// Build into a fresh directory and swap it in at the end, so processes running from dist/ (tests,
// daemons, other builds) never see it half-written or missing for long.
const dist = join(root, 'dist');
const out = join(root, `dist.tmp-${process.pid}`);
rmSync(out, { recursive: true, force: true });
try {
await build({
  entryPoints: entries,
  outdir: out,
  outbase: root,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  sourcemap: 'linked',
  logLevel: quiet ? 'error' : 'warning',
});
// Executables: bundled, with lazily loaded chunks for heavy per-command modules.
await build({
  entryPoints: { tsvirt: join(root, 'src/cli/main.ts'), tsvirtd: join(root, 'src/daemon/main.ts') },
  outdir: join(out, 'bin'),
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  // saxes and other pure-JS deps are bundled (no CJS lexing at start-up); native addons and WASM stay external.
  external: ['@napi-rs/xattr', 'libxml2-wasm', '*.node'],
  chunkNames: 'chunks/[name]-[hash]',
  outExtension: { '.js': '.mjs' },
  logLevel: quiet ? 'error' : 'warning',
});
} catch (e) {
  rmSync(out, { recursive: true, force: true });
  throw e;
}
const old = join(root, `dist.old-${process.pid}`);
if (existsSync(dist)) renameSync(dist, old);
renameSync(out, dist);
rmSync(old, { recursive: true, force: true });
if (!quiet) console.error(`built ${entries.length} modules`);
