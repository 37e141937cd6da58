// libvirt's error model: every failure is a VirError carrying libvirt's numeric code, the
// subsystem ("domain") it came from and the message as virsh prints it. Numbers match
// include/libvirt/virterror.h so the RPC layer passes them through unchanged.

export const ErrorLevel = { NONE: 0, WARNING: 1, ERROR: 2 } as const;

export const ErrorDomain = {
  NONE: 0, XML: 5, DOM: 6, RPC: 7, CONF: 9, QEMU: 10, NET: 11, REMOTE: 13, STORAGE: 18, NETWORK: 19,
  DOMAIN: 20, NODEDEV: 22, SECURITY: 24, SECRET: 30, CPU: 31, STREAMS: 38, EVENT: 40, LOCKING: 42,
  CAPABILITIES: 44, URI: 45, AUTH: 46, DEVICE: 49, SSH: 50, IDENTITY: 53, CGROUP: 54, ACCESS: 55,
  SYSTEMD: 56, CRYPTO: 58, THREAD: 61, ADMIN: 62, LOGGING: 63, LIBSSH: 66, TPM: 70, BPF: 71,
} as const;
export type ErrorDomainCode = (typeof ErrorDomain)[keyof typeof ErrorDomain];

export const ErrorCode = {
  OK: 0, INTERNAL_ERROR: 1, NO_MEMORY: 2, NO_SUPPORT: 3, UNKNOWN_HOST: 4, NO_CONNECT: 5, INVALID_CONN: 6,
  INVALID_DOMAIN: 7, INVALID_ARG: 8, OPERATION_FAILED: 9, OS_TYPE: 16, NO_KERNEL: 17, NO_SOURCE: 19,
  NO_TARGET: 20, NO_NAME: 21, NO_OS: 22, NO_DEVICE: 23, CALL_FAILED: 26, XML_ERROR: 27, DOM_EXIST: 28,
  OPERATION_DENIED: 29, OPEN_FAILED: 30, READ_FAILED: 31, PARSE_FAILED: 32, CONF_SYNTAX: 33,
  WRITE_FAILED: 34, XML_DETAIL: 35, INVALID_NETWORK: 36, SYSTEM_ERROR: 38, RPC: 39, NO_DOMAIN: 42,
  NO_NETWORK: 43, INVALID_MAC: 44, AUTH_FAILED: 45, NO_STORAGE_POOL: 49, NO_STORAGE_VOL: 50,
  NO_NODE_DEVICE: 53, NO_SECURITY_MODEL: 54, OPERATION_INVALID: 55, NO_SECRET: 66, CONFIG_UNSUPPORTED: 67,
  OPERATION_TIMEOUT: 68, INVALID_STREAM: 73, ARGUMENT_UNSUPPORTED: 74, OPERATION_ABORTED: 78,
  AUTH_CANCELLED: 79, NO_DOMAIN_METADATA: 80, OVERFLOW: 82, OPERATION_UNSUPPORTED: 84, SSH: 85,
  AGENT_UNRESPONSIVE: 86, RESOURCE_BUSY: 87, ACCESS_DENIED: 88, DBUS_SERVICE: 89, STORAGE_VOL_EXIST: 90,
  CPU_INCOMPATIBLE: 91, XML_INVALID_SCHEMA: 92, AUTH_UNAVAILABLE: 94, NO_SERVER: 95, NO_CLIENT: 96,
  LIBSSH: 98, DEVICE_MISSING: 99, MULTIPLE_DOMAINS: 105,
} as const;
export type ErrorCodeValue = (typeof ErrorCode)[keyof typeof ErrorCode];

// virErrorMsg(): the fixed prefix libvirt puts in front of the detail, per code.
// [without detail, with detail ('%s' is replaced)].
const MESSAGES: Partial<Record<number, [string, string]>> = {
  1: ['internal error', 'internal error: %s'],
  2: ['out of memory', 'out of memory'],
  3: ['this function is not supported by the connection driver', 'this function is not supported by the connection driver: %s'],
  4: ['unknown host', 'unknown host %s'],
  5: ['no connection driver available', 'no connection driver available for %s'],
  6: ['invalid connection pointer in', 'invalid connection pointer in %s'],
  7: ['invalid domain pointer in', 'invalid domain pointer in %s'],
  8: ['invalid argument', 'invalid argument: %s'],
  9: ['operation failed', 'operation failed: %s'],
  16: ['unknown OS type', 'unknown OS type %s'],
  17: ['missing kernel information', 'missing kernel information for %s'],
  19: ['missing source information', 'missing source information for %s'],
  20: ['missing target information', 'missing target information for %s'],
  21: ['missing name information', 'missing name information in %s'],
  22: ['missing operating system information', 'missing operating system information for %s'],
  23: ['missing devices information', 'missing devices information for %s'],
  26: ['library call failed', 'library call failed: %s'],
  27: ['XML description is invalid or not well formed', 'XML error: %s'],
  28: ['this domain exists already', 'domain %s exists already'],
  29: ['operation forbidden for read only access', 'operation forbidden: %s'],
  30: ['failed to open configuration file', 'failed to open configuration file %s'],
  31: ['failed to read configuration file', 'failed to read configuration file %s'],
  32: ['failed to parse configuration file', 'failed to parse configuration file %s'],
  33: ['configuration file syntax error', 'configuration file syntax error: %s'],
  34: ['failed to write configuration file', 'failed to write configuration file: %s'],
  35: ['parser error', '%s'],
  38: ['%s', '%s'],
  39: ['RPC error', '%s'],
  42: ['Domain not found', 'Domain not found: %s'],
  43: ['Network not found', 'Network not found: %s'],
  44: ['invalid MAC address', 'invalid MAC address: %s'],
  45: ['authentication failed', 'authentication failed: %s'],
  49: ['Storage pool not found', 'Storage pool not found: %s'],
  50: ['Storage volume not found', 'Storage volume not found: %s'],
  53: ['Node device not found', 'Node device not found: %s'],
  54: ['Security model not found', 'Security model not found: %s'],
  55: ['Requested operation is not valid', 'Requested operation is not valid: %s'],
  66: ['Secret not found', 'Secret not found: %s'],
  67: ['unsupported configuration', 'unsupported configuration: %s'],
  68: ['Timed out during operation', 'Timed out during operation: %s'],
  73: ['invalid stream pointer', 'invalid stream pointer in %s'],
  74: ['argument unsupported', 'argument unsupported: %s'],
  78: ['operation aborted', 'operation aborted: %s'],
  79: ['authentication cancelled', 'authentication cancelled: %s'],
  80: ['metadata not found', 'metadata not found: %s'],
  82: ['numerical overflow', 'numerical overflow: %s'],
  84: ['Operation not supported', 'Operation not supported: %s'],
  85: ['SSH transport error', 'SSH transport error: %s'],
  86: ['Guest agent is not responding', 'Guest agent is not responding: %s'],
  87: ['resource busy', 'resource busy: %s'],
  88: ['access denied', 'access denied: %s'],
  91: ['the CPU is incompatible with host CPU', 'the CPU is incompatible with host CPU: %s'],
  92: ['XML document failed to validate against schema', 'XML document failed to validate against schema: %s'],
  94: ['authentication unavailable', 'authentication unavailable: %s'],
  99: ['device not found', 'device not found: %s'],
  105: ['multiple matching domains found', 'multiple matching domains found: %s'],
};

/** Formats libvirt's user-visible message for a code and an optional detail. */
export function formatErrorMessage(code: number, detail?: string): string {
  const m = MESSAGES[code];
  if (!m) return detail ?? `unknown error (code ${code})`;
  if (detail === undefined || detail === '') return m[0].replace('%s', '');
  return m[1].replace('%s', detail);
}

export interface VirErrorInit {
  code: number;
  domain?: number;
  /** Full message as virsh prints it (after libvirt's prefix). */
  message: string;
  level?: number;
  str1?: string | null;
  str2?: string | null;
  str3?: string | null;
  int1?: number;
  int2?: number;
}

/** A libvirt error: code + domain + message, the unit of failure everywhere in tsvirt. */
export class VirError extends Error {
  readonly code: number;
  readonly domain: number;
  readonly level: number;
  readonly str1: string | null;
  readonly str2: string | null;
  readonly str3: string | null;
  readonly int1: number;
  readonly int2: number;

  constructor(init: VirErrorInit) {
    super(init.message);
    this.name = 'VirError';
    this.code = init.code;
    this.domain = init.domain ?? ErrorDomain.NONE;
    this.level = init.level ?? ErrorLevel.ERROR;
    this.str1 = init.str1 ?? null;
    this.str2 = init.str2 ?? null;
    this.str3 = init.str3 ?? null;
    this.int1 = init.int1 ?? -1;
    this.int2 = init.int2 ?? -1;
  }
}

/** virReportError(): builds the message from the code's prefix and the detail. */
export function virError(code: number, domain: number, detail?: string): VirError {
  return new VirError({ code, domain, message: formatErrorMessage(code, detail), str1: detail ?? null });
}

// Short constructors for the errors the driver raises most.
export const internalError = (detail: string, domain: number = ErrorDomain.QEMU) =>
  virError(ErrorCode.INTERNAL_ERROR, domain, detail);
export const configUnsupported = (detail: string, domain: number = ErrorDomain.QEMU) =>
  virError(ErrorCode.CONFIG_UNSUPPORTED, domain, detail);
export const xmlError = (detail: string, domain: number = ErrorDomain.DOMAIN) =>
  virError(ErrorCode.XML_ERROR, domain, detail);
export const operationInvalid = (detail: string, domain: number = ErrorDomain.QEMU) =>
  virError(ErrorCode.OPERATION_INVALID, domain, detail);
export const operationFailed = (detail: string, domain: number = ErrorDomain.QEMU) =>
  virError(ErrorCode.OPERATION_FAILED, domain, detail);
export const invalidArg = (detail: string, domain: number = ErrorDomain.NONE) =>
  virError(ErrorCode.INVALID_ARG, domain, detail);
export const noSupport = (detail: string, domain: number = ErrorDomain.NONE) =>
  virError(ErrorCode.NO_SUPPORT, domain, detail);
export const noDomain = (detail: string, domain: number = ErrorDomain.QEMU) =>
  virError(ErrorCode.NO_DOMAIN, domain, detail);
export const systemError = (detail: string, domain: number = ErrorDomain.NONE) =>
  virError(ErrorCode.SYSTEM_ERROR, domain, detail);

/** Wraps a Node.js system error (errno) the way virReportSystemError does: "text: strerror". */
export function fromSystemError(what: string, err: unknown, domain: number = ErrorDomain.NONE): VirError {
  const e = err as NodeJS.ErrnoException;
  const reason = e?.code ? describeErrno(e.code) : String((e as Error)?.message ?? err);
  return virError(ErrorCode.SYSTEM_ERROR, domain, `${what}: ${reason}`);
}

const ERRNO_TEXT: Record<string, string> = {
  ENOENT: 'No such file or directory', EACCES: 'Permission denied', EEXIST: 'File exists',
  ENOTDIR: 'Not a directory', EISDIR: 'Is a directory', EPERM: 'Operation not permitted',
  ECONNREFUSED: 'Connection refused', ENAMETOOLONG: 'File name too long', EINVAL: 'Invalid argument',
  ENOSPC: 'No space left on device', EBUSY: 'Device or resource busy', ECONNRESET: 'Connection reset by peer',
  EPIPE: 'Broken pipe', ETIMEDOUT: 'Connection timed out', ESRCH: 'No such process',
};
export function describeErrno(code: string): string {
  return ERRNO_TEXT[code] ?? code;
}

export function isVirError(e: unknown): e is VirError {
  return e instanceof VirError;
}
