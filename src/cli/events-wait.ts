// vshEventStart / vshEventWait: wait for events until the callback says "done", a timeout, Ctrl-C,
// or the connection closes.
import type { EventSubscription } from '../driver/api.js';

export type WaitOutcome = 'done' | 'timeout' | 'interrupted' | 'closed';

/**
 * Feeds events to `onEvent` (which returns true to keep waiting) until one of the stop conditions.
 * `timeoutMs` 0 waits forever.
 */
export async function waitEvents<T>(
  sub: EventSubscription<T>,
  timeoutMs: number,
  onEvent: (e: T) => boolean,
): Promise<WaitOutcome> {
  const it = sub[Symbol.asyncIterator]();
  let stop!: (o: WaitOutcome) => void;
  const stopped = new Promise<WaitOutcome>((r) => (stop = r));
  const onSig = () => stop('interrupted');
  process.once('SIGINT', onSig);
  const timer = timeoutMs > 0 ? setTimeout(() => stop('timeout'), timeoutMs) : null;
  try {
    for (;;) {
      const r = await Promise.race([it.next(), stopped]);
      if (typeof r === 'string') return r;
      if (r.done) return 'closed';
      if (!onEvent(r.value)) return 'done';
    }
  } finally {
    if (timer) clearTimeout(timer);
    process.removeListener('SIGINT', onSig);
    sub.close();
  }
}
