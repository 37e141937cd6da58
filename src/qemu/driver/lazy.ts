// The driver's heavy parts, loaded on first use (`await import`) so that a short-lived process that
// only lists or looks up domains never compiles the XML code, the command builder, the capabilities
// prober, the security drivers (and their native xattr addon), cgroups or the QMP/process code.
import type * as ConfDomain from '../../conf/domain/index.js';
import { internalError } from '../../util/errors.js';

export type ConfModule = typeof ConfDomain;

let conf: ConfModule | undefined;

/** conf/domain: the domain XML parser and formatter. */
export async function loadConf(): Promise<ConfModule> {
  conf ??= await import('../../conf/domain/index.js');
  return conf;
}

/** The conf module, for synchronous code that runs only once a definition exists (it came from it). */
export function confNow(): ConfModule {
  if (!conf) throw internalError('the domain XML module is not loaded');
  return conf;
}

type LifecycleModule = typeof import('./lifecycle.js');
let lifecycle: LifecycleModule | undefined;
/** Start, stop, reconnect, monitor: the QMP and process code, the builder, security and cgroups behind it. */
export async function loadLifecycle(): Promise<LifecycleModule> {
  lifecycle ??= await import('./lifecycle.js');
  return lifecycle;
}
/** The lifecycle module if something loaded it (nothing is attached otherwise). */
export function lifecycleIfLoaded(): LifecycleModule | undefined {
  return lifecycle;
}
export const loadIsolation = () => import('./isolation.js');
export const loadStatus = () => import('./status.js');
export const loadCapsXML = () => import('./caps.js');
export const loadQemuDomain = async () => {
  const [post, val] = await Promise.all([import('../domain/postparse.js'), import('../domain/validate.js')]);
  return { qemuPostParse: post.qemuPostParse, qemuValidate: val.qemuValidate };
};
