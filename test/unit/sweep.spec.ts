import { Sweep, SweepOptions } from '../../src/mta-sts/services/sweep';

/** An async iterable over fixed items, as `DomainsService.stream` yields domains. */
async function* from<T>(items: readonly T[]): AsyncGenerator<T> {
  yield* items;
}

/** Resolves after `ms` of (fake) time. */
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

const options = (overrides: Partial<SweepOptions> = {}): SweepOptions => ({
  concurrency: 2,
  itemTimeoutMs: 60_000,
  jitterMs: 0,
  ...overrides,
});

/** Tracks whether a promise has settled, without awaiting it. */
function track<T>(promise: Promise<T>): { settled: boolean; value?: T } {
  const state: { settled: boolean; value?: T } = { settled: false };
  void promise.then((value) => {
    state.settled = true;
    state.value = value;
  });
  return state;
}

describe('Sweep', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });

  afterEach(() => {
    vi.useRealTimers();
  });

  describe('jitter', () => {
    it('starts no item before random() * jitterMs has passed, and every item right after', async () => {
      const sweep = new Sweep<string>(
        options({ concurrency: 3, jitterMs: 10_000 }),
        (item) => item,
        () => 0.5,
      );
      const t0 = Date.now();
      const started: Array<[string, number]> = [];
      let pulledAt: number | undefined;
      const run = sweep.run(
        () => {
          pulledAt = Date.now() - t0;
          return from(['a', 'b', 'c']);
        },
        async (item) => {
          started.push([item, Date.now() - t0]);
        },
      );

      await vi.advanceTimersByTimeAsync(4_999);
      expect(started).toEqual([]);
      expect(pulledAt).toBeUndefined();
      expect(sweep.isRunning).toBe(true);

      await vi.advanceTimersByTimeAsync(1);
      expect(pulledAt).toBe(5_000);
      expect(started).toEqual([
        ['a', 5_000],
        ['b', 5_000],
        ['c', 5_000],
      ]);
      await expect(run).resolves.toEqual({ processed: 3, failed: 0, timedOut: 0, failures: [] });
      expect(sweep.isRunning).toBe(false);
    });

    it('starts at once, without asking for a random delay, when the run is asked for without jitter', async () => {
      const random = vi.fn(() => 0.5);
      const sweep = new Sweep<string>(options({ jitterMs: 10_000 }), (item) => item, random);
      const started: string[] = [];
      const run = sweep.run(
        () => from(['a', 'b']),
        async (item) => {
          started.push(item);
        },
        { jitter: false },
      );
      await vi.advanceTimersByTimeAsync(0);
      expect(started).toEqual(['a', 'b']);
      expect(random).not.toHaveBeenCalled();
      await expect(run).resolves.toMatchObject({ processed: 2, failed: 0 });
    });

    it('starts at once when random() is 0', async () => {
      const sweep = new Sweep<string>(
        options({ jitterMs: 10_000 }),
        (item) => item,
        () => 0,
      );
      const started: string[] = [];
      const run = sweep.run(
        () => from(['a']),
        async (item) => {
          started.push(item);
        },
      );
      await vi.advanceTimersByTimeAsync(0);
      expect(started).toEqual(['a']);
      await expect(run).resolves.toMatchObject({ processed: 1, failed: 0 });
    });
  });

  describe('no overlap', () => {
    it('answers undefined at once to a run started while one is in progress, and runs again afterwards', async () => {
      const sweep = new Sweep<string>(
        options(),
        (item) => item,
        () => 0,
      );
      const done: string[] = [];
      const first = track(
        sweep.run(
          () => from(['a', 'b']),
          async (item) => {
            await sleep(1_000);
            done.push(item);
          },
        ),
      );
      await vi.advanceTimersByTimeAsync(10);
      expect(sweep.isRunning).toBe(true);

      let secondItemsAsked = false;
      const secondWork = vi.fn(async () => undefined);
      const second = track(
        sweep.run(() => {
          secondItemsAsked = true;
          return from(['x', 'y']);
        }, secondWork),
      );
      // No time passes: only pending promise callbacks run.
      await vi.advanceTimersByTimeAsync(0);
      expect(second.settled).toBe(true);
      expect(second.value).toBeUndefined();
      expect(secondItemsAsked).toBe(false);
      expect(secondWork).not.toHaveBeenCalled();
      expect(first.settled).toBe(false);

      await vi.advanceTimersByTimeAsync(1_000);
      expect(first.settled).toBe(true);
      expect(first.value).toEqual({ processed: 2, failed: 0, timedOut: 0, failures: [] });
      expect(done.sort()).toEqual(['a', 'b']);
      expect(sweep.isRunning).toBe(false);

      const third = sweep.run(() => from(['x', 'y']), secondWork);
      await vi.advanceTimersByTimeAsync(0);
      await expect(third).resolves.toEqual({ processed: 2, failed: 0, timedOut: 0, failures: [] });
      expect(secondWork.mock.calls).toEqual([['x'], ['y']]);
    });

    it('allows a new run after a run whose items all failed', async () => {
      const sweep = new Sweep<string>(
        options(),
        (item) => item,
        () => 0,
      );
      const failing = sweep.run(
        () => from(['a']),
        async () => {
          throw new Error('boom');
        },
      );
      await vi.advanceTimersByTimeAsync(0);
      await expect(failing).resolves.toMatchObject({ processed: 1, failed: 1 });
      expect(sweep.isRunning).toBe(false);
      const next = sweep.run(
        () => from(['b']),
        async () => undefined,
      );
      await vi.advanceTimersByTimeAsync(0);
      await expect(next).resolves.toMatchObject({ processed: 1, failed: 0 });
    });
  });

  describe('concurrency bound', () => {
    it('keeps at most `concurrency` items in flight and processes every item', async () => {
      const sweep = new Sweep<number>(
        options({ concurrency: 3 }),
        (item) => `item ${item}`,
        () => 0,
      );
      const items = Array.from({ length: 10 }, (_, index) => index + 1);
      let inFlight = 0;
      let maxInFlight = 0;
      const inFlightSeen: number[] = [];
      const done: number[] = [];
      const run = track(
        sweep.run(
          () => from(items),
          async (item) => {
            inFlight++;
            maxInFlight = Math.max(maxInFlight, inFlight);
            inFlightSeen.push(inFlight);
            // Different durations, so items finish out of order and workers interleave.
            await sleep(100 * ((item % 4) + 1));
            done.push(item);
            inFlight--;
          },
        ),
      );

      await vi.advanceTimersByTimeAsync(0);
      expect(inFlight).toBe(3);
      for (let step = 0; step < 20 && !run.settled; step++) {
        await vi.advanceTimersByTimeAsync(50);
        expect(inFlight).toBeLessThanOrEqual(3);
      }

      expect(run.settled).toBe(true);
      expect(run.value).toEqual({ processed: 10, failed: 0, timedOut: 0, failures: [] });
      expect(maxInFlight).toBe(3);
      expect(inFlightSeen.every((count) => count >= 1 && count <= 3)).toBe(true);
      expect(done.sort((a, b) => a - b)).toEqual(items);
      expect(inFlight).toBe(0);
    });

    it('processes items one at a time with concurrency 1', async () => {
      const sweep = new Sweep<number>(options({ concurrency: 1 }), String, () => 0);
      let inFlight = 0;
      let maxInFlight = 0;
      const run = sweep.run(
        () => from([1, 2, 3, 4]),
        async () => {
          maxInFlight = Math.max(maxInFlight, ++inFlight);
          await sleep(10);
          inFlight--;
        },
      );
      await vi.advanceTimersByTimeAsync(40);
      await expect(run).resolves.toMatchObject({ processed: 4, failed: 0 });
      expect(maxInFlight).toBe(1);
    });
  });

  describe('isolation', () => {
    interface Domain {
      readonly id: number;
      readonly name: string;
      readonly behaviour: 'ok' | 'throw' | 'hang';
    }
    const domains: Domain[] = [
      { id: 1, name: 'a.example', behaviour: 'ok' },
      { id: 2, name: 'broken.example', behaviour: 'throw' },
      { id: 3, name: 'stuck.example', behaviour: 'hang' },
      { id: 4, name: 'b.example', behaviour: 'ok' },
      { id: 5, name: 'c.example', behaviour: 'ok' },
    ];

    it('lets the others finish when one item throws and one hangs forever, and names both in the report', async () => {
      const sweep = new Sweep<Domain>(
        options({ concurrency: 2, itemTimeoutMs: 1_000 }),
        (domain) => `domain ${domain.name}`,
        () => 0,
      );
      const done: string[] = [];
      const run = track(
        sweep.run(
          () => from(domains),
          async (domain) => {
            if (domain.behaviour === 'throw') throw new Error(`cannot renew ${domain.name}`);
            if (domain.behaviour === 'hang') return new Promise<void>(() => undefined);
            await sleep(10);
            done.push(domain.name);
          },
        ),
      );

      // The healthy domains are done long before the hung one times out.
      await vi.advanceTimersByTimeAsync(100);
      expect(done).toEqual(['a.example', 'b.example', 'c.example']);
      expect(run.settled).toBe(false);
      expect(sweep.isRunning).toBe(true);

      await vi.advanceTimersByTimeAsync(850);
      expect(run.settled).toBe(false);

      await vi.advanceTimersByTimeAsync(100);
      expect(run.settled).toBe(true);
      expect(run.value).toEqual({
        processed: 5,
        failed: 2,
        timedOut: 1,
        failures: [
          { item: 'domain broken.example', error: 'cannot renew broken.example' },
          { item: 'domain stuck.example', error: 'still running after 1000 ms' },
        ],
      });
      expect(sweep.isRunning).toBe(false);
    });

    it('isolates an item whose work throws synchronously and one that throws a non-Error', async () => {
      const sweep = new Sweep<string>(
        options({ concurrency: 1 }),
        (item) => item.toUpperCase(),
        () => 0,
      );
      const done: string[] = [];
      const run = sweep.run(
        () => from(['sync', 'string', 'ok']),
        (item) => {
          if (item === 'sync') throw new Error('thrown before any promise');
          if (item === 'string') return Promise.reject('plain string');
          done.push(item);
          return Promise.resolve();
        },
      );
      await vi.advanceTimersByTimeAsync(0);
      await expect(run).resolves.toEqual({
        processed: 3,
        failed: 2,
        timedOut: 0,
        failures: [
          { item: 'SYNC', error: 'thrown before any promise' },
          { item: 'STRING', error: 'plain string' },
        ],
      });
      expect(done).toEqual(['ok']);
    });

    it('does not let a hung item hold up a worker beyond itemTimeoutMs (concurrency 1)', async () => {
      const sweep = new Sweep<string>(
        options({ concurrency: 1, itemTimeoutMs: 500 }),
        (item) => item,
        () => 0,
      );
      const startedAt: Array<[string, number]> = [];
      const t0 = Date.now();
      const run = sweep.run(
        () => from(['stuck', 'next']),
        async (item) => {
          startedAt.push([item, Date.now() - t0]);
          if (item === 'stuck') await new Promise<void>(() => undefined);
        },
      );
      await vi.advanceTimersByTimeAsync(500);
      await expect(run).resolves.toMatchObject({ processed: 2, failed: 1, timedOut: 1 });
      expect(startedAt).toEqual([
        ['stuck', 0],
        ['next', 500],
      ]);
    });
  });

  describe('lazy items', () => {
    it('pulls the next item only when a worker is free (concurrency 1)', async () => {
      const events: string[] = [];
      async function* items(): AsyncGenerator<number> {
        for (const item of [1, 2, 3]) {
          events.push(`pull ${item}`);
          yield item;
        }
        events.push('end');
      }
      const sweep = new Sweep<number>(options({ concurrency: 1 }), String, () => 0);
      const run = track(
        sweep.run(items, async (item) => {
          events.push(`start ${item}`);
          await sleep(100);
          events.push(`finish ${item}`);
        }),
      );

      await vi.advanceTimersByTimeAsync(50);
      // Item 1 is in progress and the generator has not been asked for item 2.
      expect(events).toEqual(['pull 1', 'start 1']);

      await vi.advanceTimersByTimeAsync(50);
      expect(events).toEqual(['pull 1', 'start 1', 'finish 1', 'pull 2', 'start 2']);

      await vi.advanceTimersByTimeAsync(200);
      expect(run.settled).toBe(true);
      expect(events).toEqual([
        'pull 1',
        'start 1',
        'finish 1',
        'pull 2',
        'start 2',
        'finish 2',
        'pull 3',
        'start 3',
        'finish 3',
        'end',
      ]);
      expect(run.value).toMatchObject({ processed: 3, failed: 0 });
    });

    it('pulls only as many items as there are workers before work starts (concurrency 2)', async () => {
      let pulled = 0;
      async function* items(): AsyncGenerator<number> {
        for (let item = 1; item <= 6; item++) {
          pulled++;
          yield item;
        }
      }
      const sweep = new Sweep<number>(options({ concurrency: 2 }), String, () => 0);
      const run = sweep.run(items, () => sleep(100));
      await vi.advanceTimersByTimeAsync(50);
      expect(pulled).toBe(2);
      await vi.advanceTimersByTimeAsync(50);
      expect(pulled).toBe(4);
      await vi.advanceTimersByTimeAsync(200);
      await expect(run).resolves.toMatchObject({ processed: 6, failed: 0 });
      expect(pulled).toBe(6);
    });
  });
});
