// Where the shared reference material lives (../shared/reference next to the repository).
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Repository root (tests run from dist/test/rpc). */
export const REPO = fileURLToPath(new URL('../../../', import.meta.url));
export const REF = process.env.TSVIRT_REFERENCE ?? join(REPO, '../shared/reference');
export const VECTORS = join(REF, 'rpc/vectors');
