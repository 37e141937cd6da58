// Table-driven XDR codec: the generator (scripts/gen-protocol.mjs) emits one descriptor per XDR
// type; this module compiles a descriptor into an encode/decode pair on first use and caches it.
import { XdrError, type XdrReader, type XdrWriter } from './xdr.js';

export type PrimDesc = 'int' | 'uint' | 'hyper' | 'uhyper' | 'char' | 'uchar' | 'short' | 'ushort' | 'float' | 'double' | 'bool';
/** A descriptor: a primitive, a reference to a named type, or a constructed type. */
export type TypeDesc =
  | string
  | ['opt', string]
  | ['string', number]
  | ['opaque', number]
  | ['vopaque', number]
  | ['array', string, number]
  | ['varray', string, number]
  | { enum: Record<string, number> }
  | { struct: [string, TypeDesc][] }
  | { union: [string, string]; cases: [number, string | null, TypeDesc | null][]; default: [string | null, TypeDesc | null] | null };

/** One procedure of a program, as listed in the protocol file. */
export interface ProcInfo {
  num: number;
  /** Name without the program prefix, e.g. "CONNECT_OPEN". */
  name: string;
  args: string | null;
  ret: string | null;
  /** Set for asynchronous messages (events). */
  msg: string | null;
  priority: string;
  generate?: string;
  acl?: string[];
  aclfilter?: string[];
  readstream?: number;
  writestream?: number;
  sparseflag?: string;
}

export interface Codec<T = unknown> {
  enc(w: XdrWriter, v: T): void;
  dec(r: XdrReader): T;
}

type Obj = Record<string, unknown>;

export class TypeRegistry {
  private readonly cache = new Map<string, Codec>();
  constructor(private readonly types: Record<string, TypeDesc>) {}

  has(name: string): boolean {
    return name in this.types;
  }

  get<T = unknown>(name: string): Codec<T> {
    let c = this.cache.get(name);
    if (!c) {
      const d = this.types[name];
      if (d === undefined) throw new XdrError(`unknown XDR type ${name}`);
      // Placeholder first so recursive types resolve lazily.
      let real: Codec | undefined;
      this.cache.set(name, { enc: (w, v) => real!.enc(w, v), dec: (r) => real!.dec(r) });
      real = this.compile(d);
      this.cache.set(name, real);
      c = real;
    }
    return c as Codec<T>;
  }

  compile(d: TypeDesc): Codec {
    if (typeof d === 'string') return prim(d) ?? this.get(d);
    if (Array.isArray(d)) {
      switch (d[0]) {
        case 'opt': {
          const inner = this.compile(d[1]);
          return {
            enc: (w, v) => {
              if (v === null || v === undefined) w.uint(0);
              else {
                w.uint(1);
                inner.enc(w, v);
              }
            },
            dec: (r) => (r.uint() !== 0 ? inner.dec(r) : null),
          };
        }
        case 'string': {
          const max = d[1];
          return {
            enc: (w, v) => {
              const s = v as string;
              if (s.length > max || Buffer.byteLength(s) > max) throw new XdrError(`string longer than ${max} bytes`);
              w.string(s);
            },
            dec: (r) => r.string(max),
          };
        }
        case 'opaque': {
          const n = d[1];
          return {
            enc: (w, v) => {
              const b = v as Uint8Array;
              if (b.length !== n) throw new XdrError(`fixed opaque needs ${n} bytes, got ${b.length}`);
              w.fixedOpaque(b);
            },
            dec: (r) => r.fixedOpaque(n),
          };
        }
        case 'vopaque': {
          const max = d[1];
          return {
            enc: (w, v) => {
              const b = v as Uint8Array;
              if (b.length > max) throw new XdrError(`opaque longer than ${max}`);
              w.varOpaque(b);
            },
            dec: (r) => r.varOpaque(max),
          };
        }
        case 'array':
        case 'varray':
          return this.array(d[1], d[2], d[0] === 'varray');
      }
    }
    if ('enum' in d) return prim('int')!;
    if ('struct' in d) {
      const fields = d.struct.map(([n, fd]) => [n, this.compile(fd)] as const);
      return {
        enc: (w, v) => {
          const o = v as Obj;
          for (const [n, c] of fields) c.enc(w, o[n]);
        },
        dec: (r) => {
          const o: Obj = {};
          for (const [n, c] of fields) o[n] = c.dec(r);
          return o;
        },
      };
    }
    if ('union' in d) {
      const [dn, dt] = d.union;
      const disc = this.compile(dt);
      const arms = new Map<number, [string | null, Codec | null]>();
      for (const [cv, an, ad] of d.cases) arms.set(cv, [an, ad ? this.compile(ad) : null]);
      const dflt = d.default ? ([d.default[0], d.default[1] ? this.compile(d.default[1]) : null] as const) : null;
      const arm = (k: number) => {
        const a = arms.get(k) ?? dflt;
        if (!a) throw new XdrError(`union discriminant ${k} has no arm`);
        return a;
      };
      return {
        enc: (w, v) => {
          const o = v as Obj;
          const k = o[dn] as number;
          disc.enc(w, k);
          const [an, c] = arm(k);
          if (an && c) c.enc(w, o[an]);
        },
        dec: (r) => {
          const k = disc.dec(r) as number;
          const [an, c] = arm(k);
          const o: Obj = { [dn]: k };
          if (an && c) o[an] = c.dec(r);
          return o;
        },
      };
    }
    throw new XdrError(`bad descriptor ${JSON.stringify(d)}`);
  }

  private array(elem: string, n: number, variable: boolean): Codec {
    // rpcgen encodes char arrays element by element: 4 bytes per char.
    if (elem === 'char' || elem === 'uchar') {
      const signed = elem === 'char';
      return {
        enc: (w, v) => {
          const b = v as Uint8Array;
          if (variable) {
            if (b.length > n) throw new XdrError(`char array longer than ${n}`);
            w.uint(b.length);
          } else if (b.length !== n) throw new XdrError(`char array needs ${n} elements, got ${b.length}`);
          for (const x of b) if (signed) w.int(x >= 128 ? x - 256 : x);
          else w.uint(x);
        },
        dec: (r) => {
          const len = variable ? r.uint() : n;
          if (len > n) throw new XdrError(`char array length ${len} exceeds maximum ${n}`);
          if (len * 4 > r.remaining) throw new XdrError('XDR underflow in char array');
          const b = Buffer.alloc(len);
          for (let i = 0; i < len; i++) b[i] = r.int() & 0xff;
          return b;
        },
      };
    }
    const c = this.compile(elem);
    return {
      enc: (w, v) => {
        const a = v as unknown[];
        if (variable) {
          if (a.length > n) throw new XdrError(`array longer than ${n}`);
          w.uint(a.length);
        } else if (a.length !== n) throw new XdrError(`array needs ${n} elements, got ${a.length}`);
        for (const x of a) c.enc(w, x);
      },
      dec: (r) => {
        const len = variable ? r.uint() : n;
        if (len > n) throw new XdrError(`array length ${len} exceeds maximum ${n}`);
        // Every element takes at least 4 bytes: refuse lengths the buffer cannot hold.
        if (len * 4 > r.remaining) throw new XdrError('XDR underflow in array');
        const a = new Array<unknown>(len);
        for (let i = 0; i < len; i++) a[i] = c.dec(r);
        return a;
      },
    };
  }
}

function prim(d: string): Codec | null {
  switch (d) {
    case 'int':
    case 'char':
    case 'short':
      return { enc: (w, v) => w.int(v as number), dec: (r) => r.int() };
    case 'uint':
    case 'uchar':
    case 'ushort':
      return { enc: (w, v) => w.uint(v as number), dec: (r) => r.uint() };
    case 'hyper':
      return { enc: (w, v) => w.hyper(BigInt(v as bigint)), dec: (r) => r.hyper() };
    case 'uhyper':
      return { enc: (w, v) => w.uhyper(BigInt(v as bigint)), dec: (r) => r.uhyper() };
    case 'float':
      return { enc: (w, v) => w.float(v as number), dec: (r) => r.float() };
    case 'double':
      return { enc: (w, v) => w.double(v as number), dec: (r) => r.double() };
    case 'bool':
      return { enc: (w, v) => w.bool(Boolean(v)), dec: (r) => r.bool() };
    default:
      return null;
  }
}
