// Where the capabilities data of the shared conformance corpus lives.
import { join } from 'node:path';
import { CONFORMANCE_DIR } from '../helpers/paths.js';

export const CONFORMANCE = CONFORMANCE_DIR;
export const CAPS_DIR = join(CONFORMANCE, 'qemucapabilitiesdata');
export const DOMCAPS_DIR = join(CONFORMANCE, 'domaincapsdata');
