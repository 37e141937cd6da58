// A push queue consumed as an async iterator; used for event subscriptions on both sides.
export class AsyncQueue<T> implements AsyncIterable<T> {
  private items: T[] = [];
  private waiters: { resolve: (r: IteratorResult<T>) => void; reject: (e: unknown) => void }[] = [];
  private closed = false;
  private error: unknown = null;
  private readonly onClose?: () => void;

  constructor(onClose?: () => void, private readonly limit = 10000) {
    this.onClose = onClose;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  push(v: T): void {
    if (this.closed) return;
    const w = this.waiters.shift();
    if (w) w.resolve({ value: v, done: false });
    else {
      this.items.push(v);
      // A consumer that stopped reading must not grow memory without bound: drop the oldest.
      if (this.items.length > this.limit) this.items.shift();
    }
  }

  /** Ends the iteration (after queued items); with an error, pending and later next() calls reject. */
  close(err?: unknown): void {
    if (this.closed) return;
    this.closed = true;
    if (err !== undefined) this.error = err;
    for (const w of this.waiters.splice(0)) {
      if (this.error !== null) w.reject(this.error);
      else w.resolve({ value: undefined, done: true });
    }
    this.onClose?.();
  }

  next(): Promise<IteratorResult<T>> {
    if (this.items.length) return Promise.resolve({ value: this.items.shift() as T, done: false });
    if (this.closed) {
      if (this.error !== null) return Promise.reject(this.error);
      return Promise.resolve({ value: undefined, done: true });
    }
    return new Promise((resolve, reject) => this.waiters.push({ resolve, reject }));
  }

  [Symbol.asyncIterator](): AsyncIterator<T> {
    return {
      next: () => this.next(),
      return: () => {
        this.close();
        return Promise.resolve({ value: undefined, done: true });
      },
    };
  }
}
