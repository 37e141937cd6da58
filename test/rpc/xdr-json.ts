// Test helper: converts between the codec's values and the JSON form used by vectors.json
// (hyper as number, opaque as hex, char arrays as number lists, enums by name).
import { TYPES } from '../../src/rpc/gen/protocol.js';
import type { TypeDesc } from '../../src/rpc/xdr-codec.js';

type J = unknown;

export function toJson(d: TypeDesc, v: unknown): J {
  if (typeof d === 'string') {
    if (d === 'hyper' || d === 'uhyper') return Number(v as bigint);
    const t = TYPES[d];
    if (t === undefined) return v;
    if (typeof t === 'object' && !Array.isArray(t) && 'enum' in t) {
      const name = Object.entries(t.enum).find(([, x]) => x === v)?.[0];
      return name ?? v;
    }
    return toJson(t, v);
  }
  if (Array.isArray(d)) {
    switch (d[0]) {
      case 'opt':
        return v === null ? null : toJson(d[1], v);
      case 'string':
        return v;
      case 'opaque':
      case 'vopaque':
        return Buffer.from(v as Uint8Array).toString('hex');
      case 'array':
      case 'varray':
        if (d[1] === 'char' || d[1] === 'uchar') return [...(v as Uint8Array)];
        return (v as unknown[]).map((x) => toJson(d[1], x));
    }
  }
  if ('struct' in d) {
    const o = v as Record<string, unknown>;
    return Object.fromEntries(d.struct.map(([n, fd]) => [n, toJson(fd, o[n])]));
  }
  if ('union' in d) {
    const o = v as Record<string, unknown>;
    const k = o[d.union[0]] as number;
    const arm = d.cases.find((c) => c[0] === k);
    const out: Record<string, J> = { [d.union[0]]: k };
    if (arm?.[1] && arm[2]) out[arm[1]] = toJson(arm[2], o[arm[1]]);
    return out;
  }
  return v;
}

export function fromJson(d: TypeDesc, j: J): unknown {
  if (typeof d === 'string') {
    if (d === 'hyper' || d === 'uhyper') return BigInt(j as number);
    const t = TYPES[d];
    if (t === undefined) return j;
    if (typeof t === 'object' && !Array.isArray(t) && 'enum' in t) {
      return typeof j === 'string' ? t.enum[j] : j;
    }
    return fromJson(t, j);
  }
  if (Array.isArray(d)) {
    switch (d[0]) {
      case 'opt':
        return j === null ? null : fromJson(d[1], j);
      case 'string':
        return j;
      case 'opaque':
      case 'vopaque':
        return Buffer.from(j as string, 'hex');
      case 'array':
      case 'varray':
        if (d[1] === 'char' || d[1] === 'uchar') return Buffer.from(j as number[]);
        return (j as J[]).map((x) => fromJson(d[1], x));
    }
  }
  if ('struct' in d) {
    const o = j as Record<string, J>;
    return Object.fromEntries(d.struct.map(([n, fd]) => [n, fromJson(fd, o[n])]));
  }
  if ('union' in d) {
    const o = j as Record<string, J>;
    const k = o[d.union[0]] as number;
    const arm = d.cases.find((c) => c[0] === k);
    const out: Record<string, unknown> = { [d.union[0]]: k };
    if (arm?.[1] && arm[2]) out[arm[1]] = fromJson(arm[2], o[arm[1]]);
    return out;
  }
  return j;
}
