import { PendingCommits } from '../../src/mta-sts/jobs/scheduled-jobs';

/** A sweep's commits: only the pending ones are held, failures are counted, the end waits for all. */
describe('PendingCommits', () => {
  const deferred = () => {
    let resolve!: () => void;
    let reject!: (error: unknown) => void;
    const promise = new Promise<void>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    return { promise, resolve, reject };
  };

  it('lets a settled commit go at once, so a long sweep holds only what is still being written', async () => {
    const commits = new PendingCommits();
    const first = deferred();
    const second = deferred();
    commits.add(first.promise);
    commits.add(second.promise);
    expect(commits.size).toBe(2);
    first.resolve();
    await first.promise;
    await Promise.resolve();
    expect(commits.size).toBe(1);
    second.resolve();
    await commits.settled();
    expect(commits.size).toBe(0);
    expect(commits.failed).toBe(0);
  });

  it('counts failed commits and keeps the first error', async () => {
    const commits = new PendingCommits();
    commits.add(Promise.reject(new Error('database is locked')));
    commits.add(Promise.resolve());
    commits.add(Promise.reject(new Error('disk full')));
    await commits.settled();
    expect(commits.failed).toBe(2);
    expect(String(commits.firstError)).toBe('Error: database is locked');
  });

  it('waits for commits added while it waits', async () => {
    const commits = new PendingCommits();
    const first = deferred();
    const late = deferred();
    commits.add(first.promise);
    let done = false;
    const settled = commits.settled().then(() => (done = true));
    commits.add(late.promise);
    first.resolve();
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect(done).toBe(false);
    late.resolve();
    await settled;
    expect(done).toBe(true);
  });
});
