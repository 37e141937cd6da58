// Where things are, for tests: the repository root, found from this module's own location so it
// works both from test/helpers (tsc, editors) and from dist/test/helpers (compiled tests).
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

function findRepoRoot(start: string): string {
  let dir = start;
  for (;;) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg)) {
      try {
        if ((JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'tsvirt') return dir;
      } catch {
        // not ours; keep walking up
      }
    }
    const up = dirname(dir);
    if (up === dir) throw new Error(`tsvirt repository root not found above ${start}`);
    dir = up;
  }
}

/** Absolute path of the repository root (no trailing slash). */
export const REPO_ROOT = findRepoRoot(dirname(fileURLToPath(import.meta.url)));

/** The shared conformance corpus: ../shared/conformance next to the repository, or $TSVIRT_CONFORMANCE. */
export const CONFORMANCE_DIR = process.env.TSVIRT_CONFORMANCE ?? join(REPO_ROOT, '../shared/conformance');
