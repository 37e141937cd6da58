// Spawning, watching, stopping and reconnecting QEMU processes.
export { spawnQemu, reconnectQemu, setprivArgs, qemuExecArgv } from './spawn.js';
export type { SpawnQemuOptions, ReconnectQemuOptions, RunAs } from './spawn.js';
export { QemuProcess } from './qemu-process.js';
export type { QemuExit, StopOptions, QemuProcessEvents } from './qemu-process.js';
export { GuestCrashDetector, CRASHED_STATUSES, findKvmError } from './crash.js';
export type { GuestCrashInfo, CrashDetectorOptions, CrashMonitor } from './crash.js';
export {
  procStartTime,
  readProcStat,
  readProcStatAsync,
  parseProcStat,
  procLiveness,
  isDeadState,
  decodeWaitStatus,
  signalName,
} from './proc.js';
export type { ProcStat, Liveness } from './proc.js';
export { appendShutdownLine, formatLogHeader, formatCommandForLog, logTimestamp, readLogTail, shellQuote } from './log.js';
