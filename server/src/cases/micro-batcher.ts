/**
 * Group commit for single requests: items submitted while a flush is running (or within the
 * same tick) are handed to the next flush together, so N concurrent single POSTs cost one
 * statement instead of N. A flush settles each item on its own: one bad item fails alone.
 */
export interface BatchOutcome<R> {
  ok: boolean;
  value?: R;
  error?: unknown;
}

export class MicroBatcher<T, R> {
  private queue: { item: T; resolve: (r: R) => void; reject: (e: unknown) => void }[] = [];
  private inFlight = 0;
  private scheduled = false;

  /**
   * @param flush stores a batch and says, per item in order, how it went.
   * @param maxBatch the most items one flush takes.
   * @param maxInFlight how many flushes may run at once (the next batch is placed while the previous commits).
   */
  constructor(
    private readonly flush: (items: T[]) => Promise<BatchOutcome<R>[]>,
    private readonly maxBatch = 500,
    private readonly maxInFlight = 2,
  ) {}

  submit(item: T): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      this.schedule();
    });
  }

  /** Items waiting for a flush (for tests and diagnostics). */
  get pending(): number {
    return this.queue.length;
  }

  private schedule(): void {
    if (this.scheduled || this.inFlight >= this.maxInFlight || !this.queue.length) return;
    this.scheduled = true;
    // One macrotask of delay lets the requests already parsed in this turn join the batch.
    setImmediate(() => {
      this.scheduled = false;
      this.run();
    });
  }

  private run(): void {
    if (this.inFlight >= this.maxInFlight || !this.queue.length) return;
    const batch = this.queue.splice(0, this.maxBatch);
    this.inFlight++;
    this.flush(batch.map((b) => b.item))
      .then(
        (outcomes) => {
          batch.forEach((b, i) => {
            const o = outcomes[i];
            if (o?.ok) b.resolve(o.value as R);
            else b.reject(o?.error ?? new Error('the batch gave no outcome for this item'));
          });
        },
        (err) => {
          for (const b of batch) b.reject(err);
        },
      )
      .finally(() => {
        this.inFlight--;
        this.schedule();
      });
    this.schedule();
  }
}
