import type { EventRow } from '../events/repository.ts';
import type { RealtimeServer } from './gateway.ts';
import type { EventPublisher, Logger } from './publisher.ts';

export interface KpiPushOptions {
  /** At most one `kpi.updated` per this many milliseconds while cases change. */
  intervalMs: number;
  /** Computes the figures carried by `kpi.updated`. */
  compute: () => Promise<Record<string, unknown>>;
  log: Logger;
}

/**
 * Pushes `kpi.updated` while cases change: it subscribes to the case events the publisher
 * emits (whoever wrote them) and, at most once per interval, recomputes and sends the figures
 * to this process's sockets, with the newest seq they include. Each server process does the
 * same for its own sockets, so a client gets one push per interval however many processes run.
 */
export class KpiPush {
  private dirty = false;
  private timer?: NodeJS.Timeout;
  private unsubscribe?: () => void;

  constructor(
    private readonly publisher: EventPublisher,
    private readonly io: RealtimeServer,
    private readonly opts: KpiPushOptions,
  ) {}

  start(): void {
    this.unsubscribe = this.publisher.subscribe((row: EventRow) => {
      if (row.type.startsWith('case')) this.dirty = true;
    });
    this.timer = setInterval(() => void this.flush(), this.opts.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.unsubscribe?.();
  }

  private async flush(): Promise<void> {
    if (!this.dirty) return;
    // Nobody on this process to tell: keep the change pending for the next socket instead of
    // querying the KPIs every interval while cases stream in (an intake-only node never computes them).
    if (this.io.of('/').sockets.size === 0) return;
    this.dirty = false;
    const seq = this.publisher.currentSeq;
    try {
      const figures = await this.opts.compute();
      (this.io.local as unknown as { emit(e: string, m: unknown): void }).emit('kpi.updated', { seq, at: new Date().toISOString(), ...figures });
    } catch (err) {
      this.dirty = true;
      this.opts.log.warn({ err: (err as Error).message }, 'computing the KPIs for the push failed');
    }
  }
}
