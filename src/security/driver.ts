// The interface every security driver implements; the manager (./manager.ts) stacks them.
import type { GuestPath, GuestSecurityInput, LaunchSpec, SecLabel, SecModel } from './types.js';

/** A problem met while restoring labels; restore goes on with the other paths. */
export interface RestoreIssue {
  path: string;
  model: string;
  message: string;
}

export interface SecurityDriver {
  /** 'none' | 'dac' | 'selinux' | 'apparmor' (the <seclabel model=…> it owns). */
  readonly name: string;
  /** <secmodel> for the node capabilities. */
  model(): SecModel;
  /** Fills a dynamic label (or validates a static one) in `sec`, which belongs to this model. */
  genLabel(guest: GuestSecurityInput, sec: SecLabel): Promise<void>;
  /** Marks the label of a running guest as taken (daemon restart / reconnect). */
  reserveLabel(guest: GuestSecurityInput, sec: SecLabel): Promise<void>;
  /** Frees what genLabel/reserveLabel took. */
  releaseLabel(guest: GuestSecurityInput, sec: SecLabel): Promise<void>;
  /** Labels every path before QEMU starts. On failure it undoes its own work and throws. */
  setAllLabel(guest: GuestSecurityInput, sec: SecLabel): Promise<void>;
  /** Gives every path back after QEMU stopped. Never throws for a single path; returns the problems. */
  restoreAllLabel(guest: GuestSecurityInput, sec: SecLabel): Promise<RestoreIssue[]>;
  /** Hotplug: label one more path of a running guest (guest.paths already contains it). */
  setPathLabel(guest: GuestSecurityInput, sec: SecLabel, p: GuestPath): Promise<void>;
  /** Hot-unplug: give one path back (guest.paths no longer contains it). */
  restorePathLabel(guest: GuestSecurityInput, sec: SecLabel, p: GuestPath): Promise<RestoreIssue[]>;
  /** Contributes to how QEMU is launched (ids, exec label, profile). */
  launch(guest: GuestSecurityInput, sec: SecLabel, spec: LaunchSpec): Promise<void>;
}
