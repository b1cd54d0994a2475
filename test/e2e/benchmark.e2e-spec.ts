import { resultTable, runBenchmark } from '../../scripts/bench/benchmark';
import { publishingTable, runPublishingBenchmark } from '../../scripts/bench/publishing';
import { runServingBenchmark, servingTable } from '../../scripts/bench/serving';
import { clusterTable, runClusterBenchmark } from '../../scripts/bench/cluster';

/**
 * Keeps `npm run bench` runnable: the whole benchmark on three domains, with the panel
 * from dist/ (built by the global set-up). The figures are the benchmark's business and
 * are not asserted here.
 */
describe('The scale benchmark', () => {
  it.each(['shared', 'per-domain'] as const)(
    'measures a sweep, its baseline, enabling one more domain, nginx and the pages (%s layout)',
    async (layout) => {
      const result = await runBenchmark({ size: 3, layout, concurrency: 2, renders: 3 });
      expect(result.size).toBe(3);
      expect(result.layout).toBe(layout);
      expect(result.sweepFailed).toBe(0);
      for (const figure of [
        result.sweepSeconds,
        result.baselineSeconds,
        result.enableSeconds,
        result.nginxMasterMb,
        result.nginxReloadSeconds,
        result.listP95,
        result.cardP95,
        result.panelPeakMb,
      ]) {
        expect(Number.isFinite(figure) && figure > 0).toBe(true);
      }
      expect(result.startSeconds).toBeGreaterThan(0);
      expect(result.rounds).toBe(9); // nine rounds up to 1,000 domains
      // The laboratory's nginx runs the panel's own files: only a per-domain site is new to it.
      expect(result.enablesReloadedNginx).toBe(layout === 'per-domain');
      // CPU seconds are counted in clock ticks: three domains may take less than one.
      expect(result.sweepCpuSeconds).toBeGreaterThanOrEqual(0);
      expect(result.baselineCpuSeconds).toBeGreaterThanOrEqual(0);
      const table = resultTable([result]).split('\n');
      expect(table).toHaveLength(3);
      expect(table[0]).toMatch(/^\| domains \| database \| nginx layout \| /);
      expect(table[2]).toMatch(new RegExp(`^\\| 3 \\| SQLite \\| ${layout} \\| `));
    },
    180_000,
  );

  it('runs the same figures with the panel on PostgreSQL', async () => {
    const result = await runBenchmark({ size: 3, layout: 'shared', concurrency: 2, renders: 3, database: 'postgres' });
    expect(result.database).toBe('postgres');
    expect(result.sweepFailed).toBe(0);
    expect(result.listP95).toBeGreaterThan(0);
    expect(resultTable([result]).split('\n')[2]).toMatch(/^\| 3 \| PostgreSQL \| shared \| /);
  }, 180_000);

  it('measures several nodes: a change served by another node, and a node comparing its files', async () => {
    const result = await runClusterBenchmark({ domains: 5, changes: 2 }, () => undefined);
    expect(result.propagationMs).toHaveLength(2);
    expect(result.firstPassMs).toBeGreaterThan(0);
    expect(result.steadyPassMs).toBeGreaterThanOrEqual(0);
    expect(clusterTable([result]).split('\n')[2]).toMatch(/^\| 5 \| \d+ \/ \d+ \| /);
  }, 180_000);

  it('measures policy serving in both layouts: handshakes with a GET, from client processes, and the worker CPU', async () => {
    const results = await runServingBenchmark(
      { domains: 3, clients: [1, 2], connections: 2, seconds: 1 },
      () => undefined,
    );
    expect(results.map((result) => `${result.layout} ${result.clients}`)).toEqual([
      'shared 1',
      'shared 2',
      'per-domain 1',
      'per-domain 2',
    ]);
    for (const result of results) {
      expect(result.failures).toBe(0);
      expect(result.perSecond).toBeGreaterThan(0);
      expect(result.cpuMsPerThousand).toBeGreaterThan(0);
    }
    expect(servingTable(results).split('\n')).toHaveLength(6);
  }, 120_000);

  it('measures publishing the records of a few domains, its knsupdate baseline, and the time to every server', async () => {
    const result = await runPublishingBenchmark(5, () => undefined);
    expect(result.domains).toBe(5);
    for (const figure of [
      result.panelSeconds,
      result.baselineSeconds,
      result.convergenceP50Ms,
      result.convergenceMaxMs,
    ]) {
      expect(Number.isFinite(figure) && figure > 0).toBe(true);
    }
    expect(publishingTable(result).split('\n')[2]).toMatch(/^\| 5 \| /);
  }, 120_000);
});
