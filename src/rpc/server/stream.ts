// The server end of a libvirt stream (console): bytes from the driver's Duplex go out as
// STREAM/CONTINUE packets; the client's packets are written to it. Finish (STREAM/OK) and abort
// (STREAM/ERROR) from the client are both confirmed with an empty STREAM/OK.
import type { Duplex } from 'node:stream';
import { virErrorToWire } from '../errors.js';
import { type Header, MessageStatus, MessageType, STREAM_CHUNK, encodeMessage, encodeRaw } from '../message.js';
import type { ServerClient } from './client.js';

export class ServerStream {
  private readonly h: Header;
  private done = false;

  constructor(
    private readonly client: ServerClient,
    call: Header,
    private readonly io: Duplex,
  ) {
    this.h = { ...call, type: MessageType.STREAM };
    client.streams.set(call.serial, this);
    // Errors before start() are reported once the stream runs.
    io.on('error', (e) => this.fail(e));
  }

  /** Starts forwarding the driver's output; call after the REPLY that opened the stream. */
  start(): void {
    this.io.on('data', (b: Buffer) => {
      for (let off = 0; off < b.length; off += STREAM_CHUNK) {
        this.client.send(encodeRaw({ ...this.h, status: MessageStatus.CONTINUE }, b.subarray(off, off + STREAM_CHUNK)));
      }
    });
    this.io.on('end', () => {
      // End of data: an empty CONTINUE packet.
      if (!this.done) this.client.send(encodeRaw({ ...this.h, status: MessageStatus.CONTINUE }, Buffer.alloc(0)));
    });
  }

  onPacket(h: Header, payload: Buffer): void {
    if (this.done) return;
    if (h.status === MessageStatus.CONTINUE) {
      if (payload.length > 0) this.io.write(payload);
      return;
    }
    // OK = finish, ERROR = abort: both end the stream and are confirmed with STREAM/OK.
    this.finish();
    if (h.status === MessageStatus.OK) this.io.end();
    this.io.destroy();
    this.client.send(encodeMessage({ ...this.h, status: MessageStatus.OK }, null));
  }

  /** The client went away. */
  abort(): void {
    if (this.done) return;
    this.finish();
    this.io.destroy();
  }

  private fail(e: unknown): void {
    if (this.done) return;
    this.finish();
    this.client.send(encodeMessage({ ...this.h, status: MessageStatus.ERROR }, 'remote_error', virErrorToWire(e)));
    this.io.destroy();
  }

  private finish(): void {
    this.done = true;
    this.client.streams.delete(this.h.serial);
  }
}
