// Where the shared conformance corpus lives (../shared/conformance next to the repository).
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Repository root (tests run from dist/test/caps). */
export const REPO = fileURLToPath(new URL('../../../', import.meta.url));
export const CONFORMANCE = process.env.TSVIRT_CONFORMANCE ?? join(REPO, '../shared/conformance');
export const CAPS_DIR = join(CONFORMANCE, 'qemucapabilitiesdata');
export const DOMCAPS_DIR = join(CONFORMANCE, 'domaincapsdata');
