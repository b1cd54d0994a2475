import { KeyedMutex } from '../../src/mta-sts/services/keyed-mutex';

interface Deferred<T> {
  promise: Promise<T>;
  resolve(value: T): void;
  reject(error: unknown): void;
}

function deferred<T = void>(): Deferred<T> {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** Lets every queued promise callback run (no timers involved). */
async function settle(): Promise<void> {
  for (let i = 0; i < 20; i++) await Promise.resolve();
}

describe('KeyedMutex', () => {
  it('runs work for the same key one at a time, without interleaving', async () => {
    const mutex = new KeyedMutex();
    const events: string[] = [];
    const gates = [deferred(), deferred()];
    const jobs = gates.map((gate, i) =>
      mutex.run('example.com', async () => {
        events.push(`start ${i}`);
        await gate.promise;
        events.push(`end ${i}`);
        return i;
      }),
    );

    await settle();
    expect(events).toEqual(['start 0']);

    gates[1].resolve(); // the second may not start just because its own gate is open
    await settle();
    expect(events).toEqual(['start 0']);

    gates[0].resolve();
    await expect(Promise.all(jobs)).resolves.toEqual([0, 1]);
    expect(events).toEqual(['start 0', 'end 0', 'start 1', 'end 1']);
  });

  it('keeps arrival order for the same key', async () => {
    const mutex = new KeyedMutex();
    const order: number[] = [];
    const first = deferred();
    const jobs = [
      mutex.run('k', async () => {
        await first.promise;
        order.push(0);
      }),
      ...[1, 2, 3, 4].map((i) => mutex.run('k', async () => void order.push(i))),
    ];
    await settle();
    expect(order).toEqual([]);
    first.resolve();
    await Promise.all(jobs);
    expect(order).toEqual([0, 1, 2, 3, 4]);
  });

  it('runs the next work after a rejection and hands the rejection to its own caller only', async () => {
    const mutex = new KeyedMutex();
    const failing = mutex.run('k', async () => {
      throw new Error('nginx -t failed');
    });
    const next = mutex.run('k', async () => 'applied');
    await expect(failing).rejects.toThrow('nginx -t failed');
    await expect(next).resolves.toBe('applied');
  });

  it('runs the next work after a synchronous throw', async () => {
    const mutex = new KeyedMutex();
    const failing = mutex.run('k', () => {
      throw new Error('boom');
    });
    await expect(failing).rejects.toThrow('boom');
    await expect(mutex.run('k', async () => 'ok')).resolves.toBe('ok');
  });

  it('runs work for different keys concurrently', async () => {
    const mutex = new KeyedMutex();
    const events: string[] = [];
    const gate = deferred();
    const a = mutex.run('a.example', async () => {
      events.push('start a');
      await gate.promise;
      events.push('end a');
    });
    const b = mutex.run('b.example', async () => {
      events.push('start b');
      events.push('end b');
    });
    await b; // finishes while a is still waiting
    expect(events).toEqual(['start a', 'start b', 'end b']);
    gate.resolve();
    await a;
    expect(events).toEqual(['start a', 'start b', 'end b', 'end a']);
  });

  it('starts work right away again once a key has gone idle', async () => {
    const mutex = new KeyedMutex();
    await mutex.run('k', async () => 1);
    await settle();
    let started = false;
    const job = mutex.run('k', async () => {
      started = true;
    });
    await settle();
    expect(started).toBe(true);
    await job;
  });
});
