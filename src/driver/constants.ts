// libvirt API enums (include/libvirt/libvirt-domain.h, libvirt-host.h), numerically identical so they
// cross the wire protocol unchanged.

export const DomainState = {
  NOSTATE: 0, RUNNING: 1, BLOCKED: 2, PAUSED: 3, SHUTDOWN: 4, SHUTOFF: 5, CRASHED: 6, PMSUSPENDED: 7,
} as const;
export type DomainStateValue = (typeof DomainState)[keyof typeof DomainState];

export const RunningReason = {
  UNKNOWN: 0, BOOTED: 1, MIGRATED: 2, RESTORED: 3, FROM_SNAPSHOT: 4, UNPAUSED: 5, MIGRATION_CANCELED: 6,
  SAVE_CANCELED: 7, WAKEUP: 8, CRASHED: 9, POSTCOPY: 10,
} as const;
export const PausedReason = {
  UNKNOWN: 0, USER: 1, MIGRATION: 2, SAVE: 3, DUMP: 4, IOERROR: 5, WATCHDOG: 6, FROM_SNAPSHOT: 7,
  SHUTTING_DOWN: 8, SNAPSHOT: 9, CRASHED: 10, STARTING_UP: 11, POSTCOPY: 12, POSTCOPY_FAILED: 13,
} as const;
export const ShutdownReason = { UNKNOWN: 0, USER: 1 } as const;
export const ShutoffReason = {
  UNKNOWN: 0, SHUTDOWN: 1, DESTROYED: 2, CRASHED: 3, MIGRATED: 4, SAVED: 5, FAILED: 6, FROM_SNAPSHOT: 7, DAEMON: 8,
} as const;
export const CrashedReason = { UNKNOWN: 0, PANICKED: 1 } as const;

/** virDomainGetXMLDesc flags. */
export const DomainXMLFlags = { SECURE: 1, INACTIVE: 2, UPDATE_CPU: 4, MIGRATABLE: 8 } as const;
/** virDomainDefineXMLFlags / virDomainCreateFlags. */
export const DomainDefineFlags = { VALIDATE: 1 } as const;
export const DomainCreateFlags = {
  NONE: 0, START_PAUSED: 1, START_AUTODESTROY: 2, START_BYPASS_CACHE: 4, START_FORCE_BOOT: 8,
  START_VALIDATE: 16, START_RESET_NVRAM: 32,
} as const;
export const DomainShutdownFlags = {
  DEFAULT: 0, ACPI_POWER_BTN: 1, GUEST_AGENT: 2, INITCTL: 4, SIGNAL: 8, PARAVIRT: 16,
} as const;
export const DomainDestroyFlags = { DEFAULT: 0, GRACEFUL: 1 } as const;
export const DomainUndefineFlags = { MANAGED_SAVE: 1, SNAPSHOTS_METADATA: 2, NVRAM: 4, KEEP_NVRAM: 8, CHECKPOINTS_METADATA: 16, TPM: 32, KEEP_TPM: 64 } as const;

/** virConnectListAllDomainsFlags. */
export const ListDomainsFlags = {
  ACTIVE: 1, INACTIVE: 2, PERSISTENT: 4, TRANSIENT: 8, RUNNING: 16, PAUSED: 32, SHUTOFF: 64, OTHER: 128,
  MANAGEDSAVE: 256, NO_MANAGEDSAVE: 512, AUTOSTART: 1024, NO_AUTOSTART: 2048, HAS_SNAPSHOT: 4096,
  NO_SNAPSHOT: 8192, HAS_CHECKPOINT: 16384, NO_CHECKPOINT: 32768,
} as const;

/** virDomainQemuMonitorCommandFlags. */
export const QemuMonitorCommandFlags = { DEFAULT: 0, HMP: 1 } as const;

/** Event ids (virDomainEventID). */
export const DomainEventId = {
  LIFECYCLE: 0, REBOOT: 1, RTC_CHANGE: 2, WATCHDOG: 3, IO_ERROR: 4, GRAPHICS: 5, IO_ERROR_REASON: 6,
  CONTROL_ERROR: 7, BLOCK_JOB: 8, DISK_CHANGE: 9, TRAY_CHANGE: 10, PMWAKEUP: 11, PMSUSPEND: 12,
  BALLOON_CHANGE: 13, PMSUSPEND_DISK: 14, DEVICE_REMOVED: 15, BLOCK_JOB_2: 16, TUNABLE: 17,
  AGENT_LIFECYCLE: 18, DEVICE_ADDED: 19, MIGRATION_ITERATION: 20, JOB_COMPLETED: 21,
  DEVICE_REMOVAL_FAILED: 22, METADATA_CHANGE: 23, BLOCK_THRESHOLD: 24, MEMORY_FAILURE: 25,
  MEMORY_DEVICE_SIZE_CHANGE: 26,
} as const;
export const DOMAIN_EVENT_ID_LAST = 27;

export const LifecycleEvent = {
  DEFINED: 0, UNDEFINED: 1, STARTED: 2, SUSPENDED: 3, RESUMED: 4, STOPPED: 5, SHUTDOWN: 6, PMSUSPENDED: 7, CRASHED: 8,
} as const;
export const DefinedDetail = { ADDED: 0, UPDATED: 1, RENAMED: 2, FROM_SNAPSHOT: 3 } as const;
export const UndefinedDetail = { REMOVED: 0, RENAMED: 1 } as const;
export const StartedDetail = { BOOTED: 0, MIGRATED: 1, RESTORED: 2, FROM_SNAPSHOT: 3, WAKEUP: 4 } as const;
export const SuspendedDetail = {
  PAUSED: 0, MIGRATED: 1, IOERROR: 2, WATCHDOG: 3, RESTORED: 4, FROM_SNAPSHOT: 5, API_ERROR: 6, POSTCOPY: 7, POSTCOPY_FAILED: 8,
} as const;
export const ResumedDetail = { UNPAUSED: 0, MIGRATED: 1, FROM_SNAPSHOT: 2, POSTCOPY: 3 } as const;
export const StoppedDetail = {
  SHUTDOWN: 0, DESTROYED: 1, CRASHED: 2, MIGRATED: 3, SAVED: 4, FAILED: 5, FROM_SNAPSHOT: 6,
} as const;
export const ShutdownDetail = { FINISHED: 0, GUEST: 1, HOST: 2 } as const;
export const CrashedDetail = { PANICKED: 0, CRASHLOADED: 1 } as const;
