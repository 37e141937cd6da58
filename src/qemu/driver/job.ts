// Per-domain job lock: calls on one domain run one after another (libvirt's domain job), calls on
// different domains run concurrently. A FIFO promise chain; no timers.

export class JobLock {
  private tail: Promise<unknown> = Promise.resolve();
  private depth = 0;

  /** Number of jobs queued or running. */
  get busy(): number {
    return this.depth;
  }

  /** Runs `fn` once every earlier job on this lock has settled. */
  run<T>(fn: () => Promise<T>): Promise<T> {
    this.depth++;
    const result = this.tail.then(fn, fn);
    this.tail = result.then(
      () => {
        this.depth--;
      },
      () => {
        this.depth--;
      },
    );
    return result;
  }
}
