#!/usr/bin/env node
// Generates src/rpc/gen/protocol.ts (descriptor tables + procedure tables, runtime data) and
// src/rpc/gen/types.ts (TypeScript types only) from libvirt's rpcgen protocol files.
//
// Usage: node scripts/gen-protocol.mjs [DIR_WITH_X_FILES]
// Default input: ../shared/reference/rpc/protocol-x (libvirt 9.0.0's .x files, not copied here).
//
// The rpcgen subset parsed: const, typedef, enum, struct, union (switch on int), declarations with
// fixed [N] / variable <N> arrays, optionals (*), string<N>, opaque[N]/<N>, and the /** @annotations */
// comments in front of procedure enum entries.
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const inDir = process.argv[2] ?? join(root, '../shared/reference/rpc/protocol-x');
const FILES = ['virnetprotocol.x', 'virkeepaliveprotocol.x', 'remote_protocol.x', 'qemu_protocol.x'];

// Sizes that the .x files take from libvirt's public C headers (libvirt-common.h, libvirt-host.h).
const HEADER_CONSTS = {
  VIR_UUID_BUFLEN: 16,
  VIR_SECURITY_LABEL_BUFLEN: 4096 + 1,
  VIR_SECURITY_MODEL_BUFLEN: 256 + 1,
  VIR_SECURITY_DOI_BUFLEN: 256 + 1,
  VIR_TYPED_PARAM_INT: 1,
  VIR_TYPED_PARAM_UINT: 2,
  VIR_TYPED_PARAM_LLONG: 3,
  VIR_TYPED_PARAM_ULLONG: 4,
  VIR_TYPED_PARAM_DOUBLE: 5,
  VIR_TYPED_PARAM_BOOLEAN: 6,
  VIR_TYPED_PARAM_STRING: 7,
};

// ---------- lexer ----------
function lex(src) {
  const toks = [];
  let i = 0;
  const n = src.length;
  let lineStart = true;
  while (i < n) {
    const c = src[i];
    if (c === '\n') { lineStart = true; i++; continue; }
    if (c === ' ' || c === '\t' || c === '\r') { i++; continue; }
    if (lineStart && c === '%') { while (i < n && src[i] !== '\n') i++; continue; }
    lineStart = false;
    if (c === '/' && src[i + 1] === '*') {
      const end = src.indexOf('*/', i + 2);
      if (end < 0) throw new Error('unterminated comment');
      const body = src.slice(i, end + 2);
      if (body.startsWith('/**') && body !== '/**/') toks.push({ t: 'doc', v: body });
      i = end + 2;
      continue;
    }
    if (c === '/' && src[i + 1] === '/') { while (i < n && src[i] !== '\n') i++; continue; }
    if (/[A-Za-z_]/.test(c)) {
      let j = i + 1;
      while (j < n && /[A-Za-z0-9_]/.test(src[j])) j++;
      toks.push({ t: 'id', v: src.slice(i, j) });
      i = j;
      continue;
    }
    if (/[0-9-]/.test(c)) {
      let j = i + 1;
      while (j < n && /[0-9a-fA-Fx]/.test(src[j])) j++;
      toks.push({ t: 'num', v: Number(src.slice(i, j)) });
      i = j;
      continue;
    }
    if ('{};,=<>[]*():'.includes(c)) { toks.push({ t: 'p', v: c }); i++; continue; }
    throw new Error(`unexpected character ${JSON.stringify(c)}`);
  }
  return toks;
}

// ---------- parser ----------
const consts = new Map(Object.entries(HEADER_CONSTS));
const types = new Map(); // name -> descriptor
const order = []; // type names in definition order
const enums = new Map(); // enum name -> [[NAME, value, doc]]

function parse(toks) {
  let p = 0;
  let lastDoc = null;
  const peek = () => {
    while (p < toks.length && toks[p].t === 'doc') lastDoc = toks[p++].v;
    return toks[p];
  };
  const next = () => { const t = peek(); p++; return t; };
  const expect = (v) => { const t = next(); if (!t || t.v !== v) throw new Error(`expected ${v}, got ${t?.v}`); };
  const ident = () => { const t = next(); if (t.t !== 'id') throw new Error(`expected identifier, got ${t.v}`); return t.v; };
  const value = () => {
    const t = next();
    if (t.t === 'num') return t.v;
    if (consts.has(t.v)) return consts.get(t.v);
    throw new Error(`unknown constant ${t.v}`);
  };
  const baseType = () => {
    const t = ident();
    if (t === 'unsigned') {
      const n = peek();
      if (n.t === 'id' && ['int', 'hyper', 'char', 'short', 'long'].includes(n.v)) {
        p++;
        return { int: 'uint', hyper: 'uhyper', char: 'uchar', short: 'ushort', long: 'uint' }[n.v];
      }
      return 'uint';
    }
    if (t === 'long') return 'int';
    if (t === 'struct' || t === 'enum' || t === 'union') return ident();
    return t; // int hyper char short float double bool string opaque void or a name
  };
  // declaration: returns [name, desc] or null for void
  const decl = () => {
    const bt = baseType();
    if (bt === 'void') return null;
    let t = peek();
    if (t.v === '*') {
      p++;
      const name = ident();
      return [name, ['opt', bt]];
    }
    const name = ident();
    t = peek();
    if (t.v === '[') {
      p++;
      const n = value();
      expect(']');
      if (bt === 'opaque') return [name, ['opaque', n]];
      return [name, ['array', bt, n]];
    }
    if (t.v === '<') {
      p++;
      let max = 0xffffffff;
      if (peek().v !== '>') max = value();
      expect('>');
      if (bt === 'opaque') return [name, ['vopaque', max]];
      if (bt === 'string') return [name, ['string', max]];
      return [name, ['varray', bt, max]];
    }
    return [name, bt];
  };
  const define = (name, desc) => {
    if (types.has(name)) throw new Error(`duplicate type ${name}`);
    types.set(name, desc);
    order.push(name);
  };
  while (peek()) {
    const kw = ident();
    if (kw === 'const') {
      const name = ident();
      expect('=');
      consts.set(name, value());
      expect(';');
    } else if (kw === 'typedef') {
      const d = decl();
      define(d[0], d[1]);
      expect(';');
    } else if (kw === 'enum') {
      const name = ident();
      expect('{');
      const vals = [];
      let v = 0;
      for (;;) {
        lastDoc = null;
        const t = peek();
        if (t.v === '}') { p++; break; }
        const ename = ident();
        const doc = lastDoc;
        if (peek().v === '=') { p++; v = value(); }
        vals.push([ename, v, doc]);
        consts.set(ename, v);
        v++;
        if (peek().v === ',') p++;
      }
      expect(';');
      enums.set(name, vals);
      define(name, { enum: Object.fromEntries(vals.map(([k, x]) => [k, x])) });
    } else if (kw === 'struct') {
      const name = ident();
      expect('{');
      const fields = [];
      while (peek().v !== '}') {
        const d = decl();
        if (d) fields.push(d);
        expect(';');
      }
      p++;
      expect(';');
      define(name, { struct: fields });
    } else if (kw === 'union') {
      const name = ident();
      expect('switch');
      expect('(');
      const dt = baseType();
      const dn = ident();
      expect(')');
      expect('{');
      const cases = [];
      let dflt;
      while (peek().v !== '}') {
        const k = ident();
        if (k === 'case') {
          const cv = value();
          expect(':');
          const d = decl();
          cases.push([cv, d ? d[0] : null, d ? d[1] : null]);
          expect(';');
        } else if (k === 'default') {
          expect(':');
          const d = decl();
          dflt = d ? [d[0], d[1]] : [null, null];
          expect(';');
        } else throw new Error(`unexpected ${k} in union`);
      }
      p++;
      expect(';');
      define(name, { union: [dn, dt], cases, default: dflt ?? null });
    } else {
      throw new Error(`unexpected top-level token ${kw}`);
    }
  }
}

for (const f of FILES) parse(lex(readFileSync(join(inDir, f), 'utf8')));

// ---------- procedure tables ----------
function annotations(doc) {
  const a = { generate: null, priority: 'low', acl: [], aclfilter: [], readstream: null, writestream: null, sparseflag: null };
  if (!doc) return a;
  for (const m of doc.matchAll(/@(\w+):\s*(\S+)/g)) {
    const [, k, v] = m;
    if (k === 'acl' || k === 'aclfilter') a[k].push(v);
    else if (k === 'readstream' || k === 'writestream') a[k] = Number(v);
    else if (k in a) a[k] = v;
  }
  return a;
}
function procTable(enumName, prefix, structPrefix) {
  return enums.get(enumName).map(([ename, num, doc]) => {
    const name = ename.slice(prefix.length);
    const base = `${structPrefix}${name.toLowerCase()}`;
    const pick = (suffix) => (types.has(base + suffix) ? base + suffix : null);
    const a = annotations(doc);
    return { num, name, args: pick('_args'), ret: pick('_ret'), msg: pick('_msg'), ...a };
  });
}
const remoteProcs = procTable('remote_procedure', 'REMOTE_PROC_', 'remote_');
const qemuProcs = procTable('qemu_procedure', 'QEMU_PROC_', 'qemu_');
const keepaliveProcs = procTable('keepalive_procedure', 'KEEPALIVE_PROC_', 'keepalive_');

// ---------- check every reference resolves ----------
const PRIMS = new Set(['int', 'uint', 'hyper', 'uhyper', 'char', 'uchar', 'short', 'ushort', 'float', 'double', 'bool']);
function check(d, where) {
  if (typeof d === 'string') {
    if (!PRIMS.has(d) && !types.has(d)) throw new Error(`${where}: unknown type ${d}`);
    return;
  }
  if (Array.isArray(d)) {
    if (d[0] === 'opt' || d[0] === 'array' || d[0] === 'varray') check(d[1], where);
    return;
  }
  if (d.struct) for (const [n, f] of d.struct) check(f, `${where}.${n}`);
  if (d.union) {
    check(d.union[1], where);
    for (const [, , f] of d.cases) if (f) check(f, where);
  }
}
for (const [n, d] of types) check(d, n);

// ---------- emit runtime data ----------
const out = [];
out.push('// GENERATED by scripts/gen-protocol.mjs from libvirt 9.0.0 protocol files. Do not edit.');
out.push('// XDR descriptors for every type, and the procedure tables of the remote, qemu and keepalive programs.');
out.push("import type { TypeDesc, ProcInfo } from '../xdr-codec.js';");
out.push('');
const wantConsts = [...consts.entries()].filter(([k]) =>
  /^(REMOTE_|QEMU_|KEEPALIVE_|VIR_NET_|VIR_UUID|VIR_SECURITY|VIR_TYPED_PARAM)/.test(k) && !/_PROC_/.test(k));
out.push('/** Constants from the .x files (procedure numbers are in the tables below). */');
out.push('export const C = {');
for (const [k, v] of wantConsts) out.push(`  ${k}: ${v},`);
out.push('} as const;');
out.push('');
out.push('/** Type descriptors, keyed by XDR type name. Interpreted by xdr-codec.ts. */');
out.push('export const TYPES: Record<string, TypeDesc> = {');
for (const n of order) if (!n.endsWith('_procedure')) out.push(`  ${n}: ${JSON.stringify(types.get(n))},`);
out.push('};');
out.push('');
function emitProcs(name, procs) {
  out.push(`export const ${name}: ProcInfo[] = [`);
  for (const p of procs) {
    const o = { num: p.num, name: p.name, args: p.args, ret: p.ret, msg: p.msg, priority: p.priority };
    if (p.generate) o.generate = p.generate;
    if (p.acl.length) o.acl = p.acl;
    if (p.aclfilter.length) o.aclfilter = p.aclfilter;
    if (p.readstream !== null) o.readstream = p.readstream;
    if (p.writestream !== null) o.writestream = p.writestream;
    if (p.sparseflag) o.sparseflag = p.sparseflag;
    out.push(`  ${JSON.stringify(o)},`);
  }
  out.push('];');
  out.push('');
}
emitProcs('REMOTE_PROCS', remoteProcs);
emitProcs('QEMU_PROCS', qemuProcs);
emitProcs('KEEPALIVE_PROCS', keepaliveProcs);

// ---------- emit TS types ----------
const tsOut = [];
tsOut.push('// GENERATED by scripts/gen-protocol.mjs from libvirt 9.0.0 protocol files. Do not edit.');
tsOut.push('// TypeScript shapes of every XDR type: hyper -> bigint, opaque and char arrays -> Uint8Array,');
tsOut.push('// optional (*) -> T | null, enums -> number.');
tsOut.push('/* eslint-disable */');
tsOut.push('');
function tsType(d) {
  if (typeof d === 'string') {
    switch (d) {
      case 'int': case 'uint': case 'char': case 'uchar': case 'short': case 'ushort': case 'float': case 'double':
        return 'number';
      case 'hyper': case 'uhyper': return 'bigint';
      case 'bool': return 'boolean';
      default: return d;
    }
  }
  switch (d[0]) {
    case 'opt': return `${tsType(d[1])} | null`;
    case 'string': return 'string';
    case 'opaque': case 'vopaque': return 'Uint8Array';
    case 'array': case 'varray':
      if (d[1] === 'char' || d[1] === 'uchar') return 'Uint8Array';
      return `${wrap(tsType(d[1]))}[]`;
  }
  throw new Error(`tsType ${JSON.stringify(d)}`);
}
function wrap(t) { return t.includes('|') ? `(${t})` : t; }
for (const n of order) {
  const d = types.get(n);
  if (d.enum) tsOut.push(`export type ${n} = number;`);
  else if (d.struct) {
    if (d.struct.length === 0) tsOut.push(`export type ${n} = Record<string, never>;`);
    else {
      tsOut.push(`export interface ${n} {`);
      for (const [f, fd] of d.struct) tsOut.push(`  ${f}: ${tsType(fd)};`);
      tsOut.push('}');
    }
  } else if (d.union) {
    const [dn] = d.union;
    const arms = d.cases.map(([cv, an, ad]) => (an ? `{ ${dn}: ${cv}; ${an}: ${tsType(ad)} }` : `{ ${dn}: ${cv} }`));
    if (d.default) arms.push(d.default[0] ? `{ ${dn}: number; ${d.default[0]}: ${tsType(d.default[1])} }` : `{ ${dn}: number }`);
    tsOut.push(`export type ${n} =\n  | ${arms.join('\n  | ')};`);
  } else tsOut.push(`export type ${n} = ${tsType(d)};`);
}
tsOut.push('');
function emitMap(name, procs, field) {
  tsOut.push(`/** ${name}: procedure name -> [args, ret] (undefined where the protocol has no struct). */`);
  tsOut.push(`export interface ${name} {`);
  for (const p of procs) {
    if (field === 'msg') { if (p.msg) tsOut.push(`  ${p.name}: ${p.msg};`); continue; }
    tsOut.push(`  ${p.name}: [${p.args ?? 'undefined'}, ${p.ret ?? 'undefined'}];`);
  }
  tsOut.push('}');
}
emitMap('RemoteCalls', remoteProcs.filter((p) => !p.msg), 'call');
emitMap('RemoteMessages', remoteProcs, 'msg');
emitMap('QemuCalls', qemuProcs.filter((p) => !p.msg), 'call');
emitMap('QemuMessages', qemuProcs, 'msg');
tsOut.push('');

mkdirSync(join(root, 'src/rpc/gen'), { recursive: true });
writeFileSync(join(root, 'src/rpc/gen/protocol.ts'), out.join('\n'));
writeFileSync(join(root, 'src/rpc/gen/types.ts'), tsOut.join('\n'));
console.error(`types ${types.size}, remote procs ${remoteProcs.length}, qemu procs ${qemuProcs.length}, consts ${wantConsts.length}`);
