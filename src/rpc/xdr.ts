// XDR (RFC 4506) primitives: a growable big-endian writer and a bounds-checked reader.
// Everything is 4-byte aligned; variable-length data is padded with zero bytes.

export class XdrError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'XdrError';
  }
}

const PAD = Buffer.alloc(4);

export class XdrWriter {
  buf: Buffer;
  pos: number;

  constructor(initial = 256, offset = 0) {
    this.buf = Buffer.allocUnsafe(Math.max(initial, offset + 4));
    this.pos = offset;
  }

  private ensure(n: number): void {
    const need = this.pos + n;
    if (need <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < need) size *= 2;
    const nb = Buffer.allocUnsafe(size);
    this.buf.copy(nb, 0, 0, this.pos);
    this.buf = nb;
  }

  int(v: number): void {
    this.ensure(4);
    this.buf.writeInt32BE(v | 0, this.pos);
    this.pos += 4;
  }

  uint(v: number): void {
    this.ensure(4);
    this.buf.writeUInt32BE(v >>> 0, this.pos);
    this.pos += 4;
  }

  hyper(v: bigint): void {
    this.ensure(8);
    this.buf.writeBigInt64BE(BigInt.asIntN(64, v), this.pos);
    this.pos += 8;
  }

  uhyper(v: bigint): void {
    this.ensure(8);
    this.buf.writeBigUInt64BE(BigInt.asUintN(64, v), this.pos);
    this.pos += 8;
  }

  float(v: number): void {
    this.ensure(4);
    this.buf.writeFloatBE(v, this.pos);
    this.pos += 4;
  }

  double(v: number): void {
    this.ensure(8);
    this.buf.writeDoubleBE(v, this.pos);
    this.pos += 8;
  }

  bool(v: boolean): void {
    this.uint(v ? 1 : 0);
  }

  /** Bytes with no length word, padded to 4. */
  fixedOpaque(b: Uint8Array): void {
    const pad = (4 - (b.length & 3)) & 3;
    this.ensure(b.length + pad);
    this.buf.set(b, this.pos);
    this.pos += b.length;
    if (pad) {
      PAD.copy(this.buf, this.pos, 0, pad);
      this.pos += pad;
    }
  }

  varOpaque(b: Uint8Array): void {
    this.uint(b.length);
    this.fixedOpaque(b);
  }

  string(s: string): void {
    const len = Buffer.byteLength(s, 'utf8');
    const pad = (4 - (len & 3)) & 3;
    this.ensure(4 + len + pad);
    this.buf.writeUInt32BE(len, this.pos);
    this.pos += 4;
    this.buf.write(s, this.pos, len, 'utf8');
    this.pos += len;
    if (pad) {
      PAD.copy(this.buf, this.pos, 0, pad);
      this.pos += pad;
    }
  }

  /** Raw bytes, no padding (stream payloads). */
  raw(b: Uint8Array): void {
    this.ensure(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
  }

  /** The written bytes (a view, not a copy). */
  finish(): Buffer {
    return this.buf.subarray(0, this.pos);
  }
}

export class XdrReader {
  readonly buf: Buffer;
  pos: number;
  readonly end: number;

  constructor(buf: Buffer, offset = 0, end = buf.length) {
    this.buf = buf;
    this.pos = offset;
    this.end = end;
  }

  get remaining(): number {
    return this.end - this.pos;
  }

  private need(n: number): void {
    if (this.pos + n > this.end) throw new XdrError(`XDR underflow: need ${n} bytes at offset ${this.pos}, have ${this.end - this.pos}`);
  }

  int(): number {
    this.need(4);
    const v = this.buf.readInt32BE(this.pos);
    this.pos += 4;
    return v;
  }

  uint(): number {
    this.need(4);
    const v = this.buf.readUInt32BE(this.pos);
    this.pos += 4;
    return v;
  }

  hyper(): bigint {
    this.need(8);
    const v = this.buf.readBigInt64BE(this.pos);
    this.pos += 8;
    return v;
  }

  uhyper(): bigint {
    this.need(8);
    const v = this.buf.readBigUInt64BE(this.pos);
    this.pos += 8;
    return v;
  }

  float(): number {
    this.need(4);
    const v = this.buf.readFloatBE(this.pos);
    this.pos += 4;
    return v;
  }

  double(): number {
    this.need(8);
    const v = this.buf.readDoubleBE(this.pos);
    this.pos += 8;
    return v;
  }

  bool(): boolean {
    return this.uint() !== 0;
  }

  fixedOpaque(n: number): Buffer {
    const padded = n + ((4 - (n & 3)) & 3);
    this.need(padded);
    const b = Buffer.from(this.buf.subarray(this.pos, this.pos + n));
    this.pos += padded;
    return b;
  }

  varOpaque(max: number): Buffer {
    const n = this.uint();
    if (n > max) throw new XdrError(`XDR opaque length ${n} exceeds maximum ${max}`);
    return this.fixedOpaque(n);
  }

  string(max: number): string {
    const n = this.uint();
    if (n > max) throw new XdrError(`XDR string length ${n} exceeds maximum ${max}`);
    const padded = n + ((4 - (n & 3)) & 3);
    this.need(padded);
    const s = this.buf.toString('utf8', this.pos, this.pos + n);
    this.pos += padded;
    return s;
  }

  /** All remaining bytes (stream payloads). */
  rest(): Buffer {
    const b = Buffer.from(this.buf.subarray(this.pos, this.end));
    this.pos = this.end;
    return b;
  }
}
