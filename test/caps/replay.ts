// Test helper: answers QMP commands from a recorded libvirt session (*.replies), matched by command and
// arguments (the probe pipelines commands, so order does not matter).
import type { QmpExec } from '../../src/qemu/caps/probe.js';
import type { RecordedExchange } from '../../src/qemu/caps/replies.js';

function canon(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canon).join(',')}]`;
  if (v && typeof v === 'object') {
    return `{${Object.keys(v).sort().map((k) => `${JSON.stringify(k)}:${canon((v as Record<string, unknown>)[k])}`).join(',')}}`;
  }
  return JSON.stringify(v);
}

export class ReplayError extends Error {
  errorClass: string;
  constructor(cls: string, desc: string) {
    super(desc);
    this.errorClass = cls;
  }
}

export class ReplayMonitor implements QmpExec {
  private readonly byKey = new Map<string, RecordedExchange[]>();
  readonly sent: string[] = [];
  readonly missing: string[] = [];
  constructor(session: RecordedExchange[]) {
    for (const e of session) {
      const k = e.execute + canon(e.arguments ?? {});
      const l = this.byKey.get(k) ?? [];
      l.push(e);
      this.byKey.set(k, l);
    }
  }
  async execute<T>(command: string, args?: Record<string, unknown>): Promise<T> {
    const k = command + canon(args ?? {});
    this.sent.push(k);
    const l = this.byKey.get(k);
    const e = l && l.length > 1 ? l.shift() : l?.[0];
    if (!e) {
      this.missing.push(k);
      throw new ReplayError('CommandNotFound', `not recorded: ${k}`);
    }
    if (e.reply.error) throw new ReplayError(e.reply.error.class, e.reply.error.desc);
    return e.reply.return as T;
  }
}
