// Event delivery as async iterators (EventSubscription): each subscriber has its own queue; a slow
// consumer never blocks the driver (its oldest events are dropped past a bound).
import type { EventSubscription } from '../../driver/api.js';

const QUEUE_LIMIT = 10_000;

class Subscription<T> implements EventSubscription<T> {
  private items: T[] = [];
  private waiters: Array<(r: IteratorResult<T>) => void> = [];
  private closed = false;

  constructor(
    readonly filter: (ev: T) => boolean,
    private readonly onClose: (s: Subscription<T>) => void,
  ) {}

  push(ev: T): void {
    if (this.closed || !this.filter(ev)) return;
    const w = this.waiters.shift();
    if (w) w({ value: ev, done: false });
    else {
      this.items.push(ev);
      if (this.items.length > QUEUE_LIMIT) this.items.shift();
    }
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const w of this.waiters.splice(0)) w({ value: undefined, done: true });
    this.onClose(this);
  }

  next(): Promise<IteratorResult<T>> {
    if (this.items.length) return Promise.resolve({ value: this.items.shift() as T, done: false });
    if (this.closed) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve) => this.waiters.push(resolve));
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

export class EventBus<T> {
  private subs = new Set<Subscription<T>>();

  subscribe(filter: (ev: T) => boolean = () => true): EventSubscription<T> {
    const s = new Subscription<T>(filter, (x) => this.subs.delete(x));
    this.subs.add(s);
    return s;
  }

  emit(ev: T): void {
    for (const s of this.subs) s.push(ev);
  }

  closeAll(): void {
    for (const s of [...this.subs]) s.close();
  }

  get size(): number {
    return this.subs.size;
  }
}
