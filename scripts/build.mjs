// Build: transpile every TS file to dist/ (one JS file per module, for tests and the library),
// then bundle the two executables into single files so the CLI starts fast.
// Type checking is `npm run typecheck` (tsc); esbuild only strips types.
import { build } from 'esbuild';
import { readdirSync, statSync, rmSync } from 'node:fs';
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
rmSync(join(root, 'dist'), { recursive: true, force: true });
await build({
  entryPoints: entries,
  outdir: join(root, 'dist'),
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
  outdir: join(root, 'dist/bin'),
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  packages: 'external',
  chunkNames: 'chunks/[name]-[hash]',
  outExtension: { '.js': '.mjs' },
  logLevel: quiet ? 'error' : 'warning',
});
if (!quiet) console.error(`built ${entries.length} modules`);
