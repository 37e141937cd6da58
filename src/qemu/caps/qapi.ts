// QEMU's QAPI introspection (query-qmp-schema): an index by name and libvirt's schema path queries
// (virQEMUQAPISchemaPathExists), e.g. "blockdev-add/arg-type/+file/aio/^io_uring".
//
// Query syntax, component by component after the leading command or event name:
//   arg-type | ret-type   follow a command's (or event's) argument / return type
//   name                  a member of an object type
//   +value                the variant of an object union whose discriminator has this value
//   ^value                an enum value of the current (enum) type — ends the query
//   $name                 a feature of the current entry (command or type) — ends the query
// Arrays are looked through to their element type, and alternates are tried branch by branch.

/** One entry of query-qmp-schema's reply. */
export interface QapiEntry {
  name: string;
  'meta-type': string;
  'arg-type'?: string;
  'ret-type'?: string;
  members?: Array<{ name?: string; type?: string; default?: unknown; features?: string[] }>;
  tag?: string;
  variants?: Array<{ case: string; type: string }>;
  values?: string[];
  'element-type'?: string;
  features?: string[];
  'json-type'?: string;
  [k: string]: unknown;
}

export type QapiSchema = Map<string, QapiEntry>;

/** Indexes the reply of query-qmp-schema by name. */
export function qapiSchemaFromReply(reply: unknown): QapiSchema {
  const m: QapiSchema = new Map();
  if (!Array.isArray(reply)) return m;
  for (const e of reply as QapiEntry[]) {
    if (e && typeof e.name === 'string') m.set(e.name, e);
  }
  return m;
}

function enumValues(e: QapiEntry): string[] {
  if (Array.isArray(e.values)) return e.values;
  // Newer QEMU also gives enum members as objects.
  return (e.members ?? []).map((m) => m.name ?? '').filter((n) => n !== '');
}

/** Follows arrays to their element type. */
function unwrap(schema: QapiSchema, e: QapiEntry | undefined): QapiEntry | undefined {
  let cur = e;
  let guard = 0;
  while (cur && cur['meta-type'] === 'array' && guard++ < 16) cur = schema.get(cur['element-type'] ?? '');
  return cur;
}

function walk(schema: QapiSchema, entry: QapiEntry | undefined, parts: string[], i: number): QapiEntry | undefined {
  const e = unwrap(schema, entry);
  if (!e) return undefined;
  if (i >= parts.length) return e;
  if (e['meta-type'] === 'alternate') {
    for (const m of e.members ?? []) {
      const r = walk(schema, schema.get(m.type ?? ''), parts, i);
      if (r) return r;
    }
    return undefined;
  }
  const raw = parts[i];
  // A leading space escapes names that begin with a non-letter.
  const part = raw.startsWith(' ') ? raw.slice(1) : raw;
  const c = raw[0];
  if (c === '$') {
    return (e.features ?? []).includes(part.slice(1)) && i === parts.length - 1 ? e : undefined;
  }
  if (c === '^') {
    if (e['meta-type'] !== 'enum') return undefined;
    return enumValues(e).includes(part.slice(1)) && i === parts.length - 1 ? e : undefined;
  }
  if (c === '+') {
    if (e['meta-type'] !== 'object') return undefined;
    const v = (e.variants ?? []).find((x) => x.case === part.slice(1));
    return v ? walk(schema, schema.get(v.type), parts, i + 1) : undefined;
  }
  if (e['meta-type'] === 'command' || e['meta-type'] === 'event') {
    if (part !== 'arg-type' && part !== 'ret-type') return undefined;
    const t = e[part];
    return typeof t === 'string' ? walk(schema, schema.get(t), parts, i + 1) : undefined;
  }
  if (e['meta-type'] === 'object') {
    const m = (e.members ?? []).find((x) => x.name === part);
    return m ? walk(schema, schema.get(m.type ?? ''), parts, i + 1) : undefined;
  }
  return undefined;
}

/** Finds the entry a path query points at (undefined when the path does not exist). */
export function qapiSchemaPathGet(query: string, schema: QapiSchema): QapiEntry | undefined {
  const parts = query.split('/');
  const head = parts[0];
  const entry = schema.get(head.startsWith(' ') ? head.slice(1) : head);
  if (!entry) return undefined;
  if (parts.length === 1) return entry;
  // Features of the command/event itself: "device_add/$json-cli-hotplug".
  return walk(schema, entry, parts, 1);
}

export function qapiSchemaPathExists(query: string, schema: QapiSchema): boolean {
  return qapiSchemaPathGet(query, schema) !== undefined;
}
