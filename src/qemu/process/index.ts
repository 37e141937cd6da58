// Spawning, watching, stopping and reconnecting QEMU processes.
//
// Typical use by the driver:
//   const proc = await spawnQemu({ emulator, argv, env, fds, logPath, monitorPath, name });
//   // record proc.pid, proc.startTime, proc.logOffset and monitorPath in the status file
//   proc.qmp.execute('cont');  proc.on('guest-crash', …);  proc.exited.then(exit => …);
//   await proc.stop({ graceful: false });           // destroy
// A short-lived process (embedded mode, one CLI call) calls proc.detach() before it exits, leaving
// QEMU running with its monitor free; the next one calls reconnectQemu({ pid, monitorPath,
// startTime, logPath, logOffset }) — null means QEMU is gone, with its exit status unknown (it was
// not this process's child).
// Death is never detected with kill(pid, 0); see qemu-process.ts.
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
