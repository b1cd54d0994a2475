/**
 * One scheduled pass over many domains: never two at once, started after a random delay
 * so many servers do not hit the same CA or DNS at the same second, with a bounded number
 * of domains in flight, and every domain isolated from the others' failures and hangs.
 */
export interface SweepOptions {
  readonly concurrency: number;
  /** A domain still running after this is counted as timed out and the sweep moves on. */
  readonly itemTimeoutMs: number;
  /** Upper bound of the random delay before the sweep starts. */
  readonly jitterMs: number;
}

export interface SweepReport {
  readonly processed: number;
  readonly failed: number;
  readonly timedOut: number;
  readonly failures: ReadonlyArray<{ readonly item: string; readonly error: string }>;
}

class TimedOut extends Error {}

function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new TimedOut(`still running after ${ms} ms`)), ms);
  });
  return Promise.race([work, deadline]).finally(() => clearTimeout(timer));
}

export class Sweep<T> {
  private running = false;

  constructor(
    private readonly options: SweepOptions,
    private readonly label: (item: T) => string,
    private readonly random: () => number = Math.random,
  ) {}

  get isRunning(): boolean {
    return this.running;
  }

  /**
   * Runs `work` over `items` unless a run is already in progress, in which case it
   * returns undefined at once (runs never overlap).
   */
  async run(
    items: () => AsyncIterable<T>,
    work: (item: T) => Promise<void>,
    { jitter: withJitter = true }: { jitter?: boolean } = {},
  ): Promise<SweepReport | undefined> {
    if (this.running) return undefined;
    this.running = true;
    try {
      const jitter = withJitter ? Math.floor(this.random() * this.options.jitterMs) : 0;
      if (jitter > 0) await new Promise((resolve) => setTimeout(resolve, jitter));
      return await this.process(items()[Symbol.asyncIterator](), work);
    } finally {
      this.running = false;
    }
  }

  private async process(iterator: AsyncIterator<T>, work: (item: T) => Promise<void>): Promise<SweepReport> {
    let processed = 0;
    let timedOut = 0;
    const failures: { item: string; error: string }[] = [];
    let exhausted = false;
    let listingError: unknown;
    const end: IteratorResult<T> = { done: true, value: undefined };
    // The iterator is shared: each worker pulls the next item when it is free. A failure
    // to list (the database went away) ends the pulling, lets the items in flight finish,
    // and is raised once they have.
    let pulling: Promise<IteratorResult<T>> = Promise.resolve({ done: false, value: undefined as T });
    const next = async (): Promise<IteratorResult<T>> => {
      pulling = pulling
        .then(() => (exhausted ? end : iterator.next()))
        .catch((error: unknown) => {
          listingError ??= error;
          return end;
        });
      const result = await pulling;
      if (result.done) exhausted = true;
      return result;
    };
    const worker = async () => {
      for (let item = await next(); !item.done; item = await next()) {
        processed++;
        try {
          await withTimeout(
            Promise.resolve().then(() => work(item.value)),
            this.options.itemTimeoutMs,
          );
        } catch (error) {
          if (error instanceof TimedOut) timedOut++;
          failures.push({
            item: this.label(item.value),
            error: error instanceof Error ? error.message : String(error),
          });
        }
      }
    };
    await Promise.all(Array.from({ length: this.options.concurrency }, worker));
    if (listingError !== undefined) throw listingError;
    return { processed, failed: failures.length, timedOut, failures };
  }
}
