// A libvirt stream seen from the client (virStream): a Duplex whose writes become STREAM/CONTINUE
// packets and whose reads come from the server's STREAM/CONTINUE packets. end() sends the finish
// handshake (STREAM/OK, answered by STREAM/OK); destroy() before that aborts (STREAM/ERROR).
import { Duplex } from 'node:stream';
import { virErrorFromWire } from '../errors.js';
import type { remote_error } from '../gen/types.js';
import { type Header, MessageStatus, MessageType, STREAM_CHUNK, decodePayload, encodeMessage, encodeRaw } from '../message.js';
import type { RpcClient } from './connection.js';

export class ClientStream extends Duplex {
  private client: RpcClient | null = null;
  private header: Header | null = null;
  private finishing: ((err?: Error | null) => void) | null = null;
  private done = false;

  constructor() {
    super({ allowHalfOpen: true });
  }

  /** Binds the stream to the call that opens it (same serial and procedure). */
  attach(client: RpcClient, call: Header): void {
    this.client = client;
    this.header = { ...call, type: MessageType.STREAM };
  }

  private packet(status: number): Header {
    return { ...(this.header as Header), status };
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    if (!this.client || !this.header) {
      cb(new Error('stream is not open'));
      return;
    }
    if (chunk.length === 0) {
      cb();
      return;
    }
    let off = 0;
    while (off + STREAM_CHUNK < chunk.length) {
      this.client.send(encodeRaw(this.packet(MessageStatus.CONTINUE), chunk.subarray(off, off + STREAM_CHUNK)));
      off += STREAM_CHUNK;
    }
    this.client.send(encodeRaw(this.packet(MessageStatus.CONTINUE), chunk.subarray(off)), cb);
  }

  override _final(cb: (err?: Error | null) => void): void {
    if (!this.client || this.done) {
      cb();
      return;
    }
    this.finishing = cb;
    this.client.send(encodeMessage(this.packet(MessageStatus.OK), null));
  }

  override _read(): void {}

  override _destroy(err: Error | null, cb: (err?: Error | null) => void): void {
    if (this.client && this.header && !this.done) {
      this.done = true;
      this.client.send(encodeMessage(this.packet(MessageStatus.ERROR), null));
      this.client.dropStream(this.header.serial);
    }
    cb(err);
  }

  /** A STREAM packet from the server for this stream. */
  onPacket(h: Header, payload: Buffer): void {
    if (h.status === MessageStatus.CONTINUE) {
      if (payload.length === 0) this.push(null);
      else this.push(payload);
      return;
    }
    if (h.status === MessageStatus.OK) {
      this.done = true;
      this.client?.dropStream(h.serial);
      this.push(null);
      const f = this.finishing;
      this.finishing = null;
      f?.();
      return;
    }
    // ERROR: the server failed the stream.
    this.done = true;
    this.client?.dropStream(h.serial);
    let err: Error;
    try {
      err = virErrorFromWire(decodePayload<remote_error>('remote_error', payload));
    } catch {
      err = new Error('stream aborted by the server');
    }
    const f = this.finishing;
    this.finishing = null;
    if (f) f(err);
    else this.destroy(err);
  }
}
