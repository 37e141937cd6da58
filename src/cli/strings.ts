// The words virsh prints for libvirt's enums (virsh-domain-monitor.c, virsh-domain-event.c).

const STATES = ['no state', 'running', 'idle', 'paused', 'in shutdown', 'shut off', 'crashed', 'pmsuspended'];

const REASONS: string[][] = [
  ['unknown'],
  [
    'unknown', 'booted', 'migrated', 'restored', 'from snapshot', 'unpaused', 'migration canceled',
    'save canceled', 'event wakeup', 'crashed', 'post-copy', 'post-copy failed',
  ],
  ['unknown'],
  [
    'unknown', 'user', 'migrating', 'saving', 'dumping', 'I/O error', 'watchdog', 'from snapshot',
    'shutting down', 'creating snapshot', 'crashed', 'starting up', 'post-copy', 'post-copy failed',
  ],
  ['unknown', 'user'],
  ['unknown', 'shutdown', 'destroyed', 'crashed', 'migrated', 'saved', 'failed', 'from snapshot', 'daemon'],
  ['unknown', 'panicked'],
  ['unknown'],
];

export function stateToString(state: number): string {
  return STATES[state] ?? 'no state';
}

export function stateReasonToString(state: number, reason: number): string {
  return REASONS[state]?.[reason] ?? 'unknown';
}

const EVENTS = ['Defined', 'Undefined', 'Started', 'Suspended', 'Resumed', 'Stopped', 'Shutdown', 'PMSuspended', 'Crashed'];
const EVENT_DETAILS: string[][] = [
  ['Added', 'Updated', 'Renamed', 'Snapshot'],
  ['Removed', 'Renamed'],
  ['Booted', 'Migrated', 'Restored', 'Snapshot', 'Event wakeup'],
  ['Paused', 'Migrated', 'I/O Error', 'Watchdog', 'Restored', 'Snapshot', 'API error', 'Post-copy', 'Post-copy Error'],
  ['Unpaused', 'Migrated', 'Snapshot', 'Post-copy', 'Post-copy Error'],
  ['Shutdown', 'Destroyed', 'Crashed', 'Migrated', 'Saved', 'Failed', 'Snapshot'],
  ['Finished', 'Finished after guest request', 'Finished after host request'],
  ['Memory', 'Disk'],
  ['Panicked', 'Crashloaded'],
];

export function lifecycleEventToString(event: number): string {
  return EVENTS[event] ?? 'unknown';
}
export function lifecycleDetailToString(event: number, detail: number): string {
  return EVENT_DETAILS[event]?.[detail] ?? 'unknown';
}

/** virsh's event names, indexed by virDomainEventID. */
export const EVENT_NAMES = [
  'lifecycle', 'reboot', 'rtc-change', 'watchdog', 'io-error', 'graphics', 'io-error-reason', 'control-error',
  'block-job', 'disk-change', 'tray-change', 'pm-wakeup', 'pm-suspend', 'balloon-change', 'pm-suspend-disk',
  'device-removed', 'block-job-2', 'tunable', 'agent-lifecycle', 'device-added', 'migration-iteration',
  'job-completed', 'device-removal-failed', 'metadata-change', 'block-threshold', 'memory-failure',
  'memory-device-size-change',
];

/** libvirt's version number (major*1e6 + minor*1e3 + micro) as "major.minor.micro". */
export function versionString(v: number): string {
  return `${Math.floor(v / 1_000_000)}.${Math.floor((v % 1_000_000) / 1000)}.${v % 1000}`;
}

/** virTimeStringNowRaw: "2026-11-26 16:17:05.522+0000" (UTC). */
export function timestampNow(d = new Date()): string {
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  return (
    `${d.getUTCFullYear()}-${p(d.getUTCMonth() + 1)}-${p(d.getUTCDate())} ` +
    `${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())}.${p(d.getUTCMilliseconds(), 3)}+0000`
  );
}
