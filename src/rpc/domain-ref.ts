// remote_nonnull_domain <-> DomainRef (uuid as 16 bytes on the wire, canonical text in the API).
import type { DomainRef } from '../driver/api.js';
import type { remote_nonnull_domain } from './gen/types.js';

export function uuidToBytes(uuid: string): Buffer {
  const hex = uuid.replace(/-/g, '');
  if (!/^[0-9a-fA-F]{32}$/.test(hex)) throw new TypeError(`invalid UUID ${uuid}`);
  return Buffer.from(hex, 'hex');
}

export function uuidFromBytes(b: Uint8Array): string {
  const h = Buffer.from(b).toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

export function domToWire(d: DomainRef): remote_nonnull_domain {
  return { name: d.name, uuid: uuidToBytes(d.uuid), id: d.id };
}

export function domFromWire(d: remote_nonnull_domain): DomainRef {
  return { name: d.name, uuid: uuidFromBytes(d.uuid), id: d.id };
}

/** A fixed or NUL-terminated char array as text. */
export function charsToString(b: Uint8Array): string {
  const end = b.indexOf(0);
  return Buffer.from(end >= 0 ? b.subarray(0, end) : b).toString('utf8');
}

/** Text as a char array: fixed size n (NUL padded, truncated to n-1) or, without n, NUL-terminated. */
export function stringToChars(s: string, n?: number): Buffer {
  const b = Buffer.from(s, 'utf8');
  if (n === undefined) return Buffer.concat([b, Buffer.alloc(1)]);
  const out = Buffer.alloc(n);
  b.copy(out, 0, 0, Math.min(b.length, n - 1));
  return out;
}
