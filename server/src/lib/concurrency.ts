import { HttpError } from './errors.ts';

/** Thrown when a semaphore's slots and queue are full: answered 503 with `Retry-After`. */
export class BusyError extends HttpError {
  constructor(
    what: string,
    readonly retryAfterS: number,
  ) {
    super(503, 'busy', `too many ${what} requests are running; retry in ${retryAfterS} s`, { retry_after_s: retryAfterS });
  }
}

/**
 * A counting semaphore with a bounded queue: at most `limit` holders at once, at most `queue`
 * waiting; a caller beyond both is refused at once instead of piling up. Heavy endpoints run
 * under one, so that a flood of them cannot take every database connection and light
 * requests (health, a case read) keep being answered.
 */
export class Semaphore {
  private running = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(
    readonly name: string,
    readonly limit: number,
    readonly queue: number,
    readonly retryAfterS = 2,
  ) {}

  get active(): number {
    return this.running;
  }

  get queued(): number {
    return this.waiting.length;
  }

  /** Waits for a slot and returns its release function (idempotent); throws `BusyError` when full. */
  async acquire(): Promise<() => void> {
    if (this.running < this.limit) {
      this.running++;
    } else {
      if (this.waiting.length >= this.queue) throw new BusyError(this.name, this.retryAfterS);
      // The slot is handed over by release(), so `running` stays counted.
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    }
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.waiting.shift();
      if (next) next();
      else this.running--;
    };
  }

  /** Runs `fn` holding a slot. */
  async run<T>(fn: () => Promise<T>): Promise<T> {
    const release = await this.acquire();
    try {
      return await fn();
    } finally {
      release();
    }
  }
}
