// The recorded QMP sessions of libvirt's capabilities tests (*.replies): pretty-printed JSON objects
// separated by blank lines, alternating command and reply. A new QEMU process starts at each
// qmp_capabilities.

export interface RecordedExchange {
  execute: string;
  arguments?: Record<string, unknown>;
  /** The reply object: {"return": …} or {"error": {class, desc}}. */
  reply: { return?: unknown; error?: { class: string; desc: string } };
}

/** Splits a .replies file into its JSON objects. */
export function parseRepliesObjects(text: string): Array<Record<string, unknown>> {
  const out: Array<Record<string, unknown>> = [];
  for (const chunk of text.split(/\n\s*\n/)) {
    const t = chunk.trim();
    if (t) out.push(JSON.parse(t) as Record<string, unknown>);
  }
  return out;
}

/** Parses a .replies file into sessions (one per QEMU process) of command/reply pairs. */
export function parseReplies(text: string): RecordedExchange[][] {
  const objs = parseRepliesObjects(text);
  const sessions: RecordedExchange[][] = [];
  let cur: RecordedExchange[] | undefined;
  for (let i = 0; i < objs.length; i++) {
    const o = objs[i];
    if (typeof o.execute !== 'string') continue;
    const next = objs[i + 1];
    const reply = next && typeof next.execute !== 'string' ? (next as RecordedExchange['reply']) : {};
    if (o.execute === 'qmp_capabilities' || !cur) {
      cur = [];
      sessions.push(cur);
    }
    const ex: RecordedExchange = { execute: o.execute, reply };
    if (o.arguments && typeof o.arguments === 'object') ex.arguments = o.arguments as Record<string, unknown>;
    cur.push(ex);
  }
  return sessions;
}

/** The reply of the first query-qmp-schema in a .replies file (what libvirt's argv tests validate against). */
export function schemaFromReplies(text: string): unknown {
  for (const s of parseReplies(text)) for (const e of s) if (e.execute === 'query-qmp-schema') return e.reply.return;
  return undefined;
}
