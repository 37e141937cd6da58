// The "none" driver (security_driver="none", or no LSM on the host): no confinement, no relabelling.
// It still reports <secmodel><model>none</model><doi>0</doi></secmodel>, as libvirt does.
import type { RestoreIssue, SecurityDriver } from './driver.js';
import type { SecModel } from './types.js';

export class NoneDriver implements SecurityDriver {
  readonly name = 'none';
  model(): SecModel {
    return { model: 'none', doi: '0', baselabels: [] };
  }
  async genLabel(): Promise<void> {}
  async reserveLabel(): Promise<void> {}
  async releaseLabel(): Promise<void> {}
  async setAllLabel(): Promise<void> {}
  async restoreAllLabel(): Promise<RestoreIssue[]> {
    return [];
  }
  async setPathLabel(): Promise<void> {}
  async restorePathLabel(): Promise<RestoreIssue[]> {
    return [];
  }
  async launch(): Promise<void> {}
}
