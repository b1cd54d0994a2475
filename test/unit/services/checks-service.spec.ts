import { afterCheckRun } from '../../../src/mta-sts/domain/check-run';
import type { CheckResult, CheckVerdict } from '../../../src/mta-sts/domain/check-verdicts';
import type { ResolvedMtaStsOptions } from '../../../src/mta-sts/mta-sts.options';
import type { MtaStsDomainEntity } from '../../../src/mta-sts/persistence/mta-sts-domain.entity';
import { CheckResults, CheckRun, StoredRun } from '../../../src/mta-sts/ports/check-results.port';
import type { ActionLog } from '../../../src/mta-sts/services/action-log';
import type { CheckEvidence } from '../../../src/mta-sts/services/check-evidence';
import { ChecksService } from '../../../src/mta-sts/services/checks.service';
import type { NotificationsService } from '../../../src/mta-sts/services/notifications.service';
import { FakeDomainStore } from './fake-domain-store';
import { NOW, servingDomain } from './serving-domain';
import { standIn } from './stand-in';

const CHECKS = ['dns', 'https', 'certificate', 'policy-record', 'tls-rpt', 'mx-coverage'] as const;

/**
 * ChecksService observes and reports: its results go to the store in batches, and what
 * they change (badge, the id seen in DNS) is decided by `afterCheckRun`, which this fake
 * results store applies as the TypeORM one does.
 */
describe('ChecksService', () => {
  let store: FakeDomainStore;
  let batches: number[];
  let storeFails: boolean;
  let failing: Map<string, string>;
  let notices: Array<{ kind: string; domain: string; subject: string }>;
  let logged: Array<{ action: string; detail?: string; outcome: string }>;
  let gate: Promise<void> | undefined;

  class FakeResults extends CheckResults {
    latest = async () => [];
    latestFor = async () => new Map();
    history = async () => [];
    async store(runs: readonly CheckRun[]): Promise<StoredRun[]> {
      batches.push(runs.length);
      if (gate) await gate;
      if (storeFails) throw new Error('SQLITE_FULL: database or disk is full');
      const stored: StoredRun[] = [];
      for (const run of runs) {
        const domain = store.rows.get(run.domainId)!;
        const outcome = afterCheckRun(domain, run.results as CheckResult[], run.checkedId, [], NOW);
        stored.push({ domain, before: domain.badge, outcome, results: run.results });
        Object.assign(domain, { badge: outcome.badge, ...(outcome.idVisible && { policyVisibleAt: NOW }) });
        if (outcome.stateChange) Object.assign(domain, outcome.stateChange.patch);
      }
      return stored;
    }
  }

  function service(): ChecksService {
    const evidence = standIn<CheckEvidence>('CheckEvidence', {
      evaluate: async (entity: MtaStsDomainEntity) => ({
        verdicts: CHECKS.map(
          (check) =>
            ({
              check,
              status: failing.get(`${entity.name}/${check}`) ? 'fail' : 'pass',
              summary: failing.get(`${entity.name}/${check}`) ?? 'fine',
              remedy: null,
              detail: '',
            }) as unknown as CheckVerdict,
        ),
      }),
    });
    const notifications = standIn<NotificationsService>('NotificationsService', {
      send: (notice: (typeof notices)[number]) => {
        notices.push(notice);
      },
    });
    const log = standIn<ActionLog>('ActionLog', {
      record: (entry: (typeof logged)[number]) => {
        logged.push(entry);
      },
    });
    const options = { checks: { smtpProbe: { enabled: false } } } as unknown as ResolvedMtaStsOptions;
    return new ChecksService(new FakeResults(), store, options, { now: () => NOW }, notifications, evidence, log);
  }

  beforeEach(() => {
    store = new FakeDomainStore();
    batches = [];
    storeFails = false;
    failing = new Map();
    notices = [];
    logged = [];
    gate = undefined;
  });

  it('ends a change once DNS shows the served id, logging the entry the lifecycle decided', async () => {
    const entity = servingDomain(store, { state: 'changing', policyVisibleAt: null, badge: 'verifying' });
    const results = await service().run(entity);
    expect(results.map((result) => result.check)).toEqual([...CHECKS]);
    expect(store.rows.get(entity.id)).toMatchObject({ state: 'active', badge: 'active', policyVisibleAt: NOW });
    expect(logged).toEqual([
      expect.objectContaining({
        action: 'id-visible',
        outcome: 'done',
        detail: `The _mta-sts TXT record now announces id ${entity.servedPolicyId}.`,
      }),
    ]);
    expect(notices.map((notice) => notice.subject)).toEqual(['example.com: MTA-STS is now active (was verifying)']);
  });

  it('tells the admin when the badge moves, with what fails', async () => {
    const entity = servingDomain(store, { badge: 'active' });
    failing.set('example.com/certificate', 'The certificate of mta-sts.example.com expired.');
    await service().run(entity);
    expect(notices).toEqual([
      expect.objectContaining({
        kind: 'badge-changed',
        domain: 'example.com',
        subject: 'example.com: MTA-STS is now failing (was active)',
      }),
    ]);
  });

  it('stores the results of a sweep together once they have waited a moment, and fails every waiter of a failed batch', async () => {
    vi.useFakeTimers();
    try {
      const checks = service();
      const domains = ['a.example', 'b.example', 'c.example'].map((name) =>
        servingDomain(store, { name, badge: 'active' }),
      );
      const observed = [];
      for (const domain of domains) observed.push(await checks.observe(domain));
      expect(batches).toEqual([]);
      storeFails = true;
      const settled = Promise.allSettled(observed.map((one) => one.stored));
      await vi.advanceTimersByTimeAsync(200);
      const outcomes = await settled;
      expect(batches).toEqual([3]);
      expect(outcomes.map((outcome) => outcome.status)).toEqual(['rejected', 'rejected', 'rejected']);
    } finally {
      vi.useRealTimers();
    }
  });

  it('writes what a finished sweep left waiting at once, without its linger', async () => {
    vi.useFakeTimers();
    try {
      const checks = service();
      const domains = ['a.example', 'b.example'].map((name) => servingDomain(store, { name, badge: 'active' }));
      const observed = [];
      for (const domain of domains) observed.push(await checks.observe(domain));
      await checks.writeWaiting();
      expect(batches).toEqual([2]);
      await Promise.all(observed.map((one) => one.stored));
      expect(vi.getTimerCount()).toBe(0);
    } finally {
      vi.useRealTimers();
    }
  });

  it('writes results someone waits for at once, with those of a sweep that were waiting, and the rest after the running batch', async () => {
    const checks = service();
    const [swept, clicked, later] = ['a.example', 'b.example', 'c.example'].map((name) =>
      servingDomain(store, { name, badge: 'active' }),
    );
    const waiting = await checks.observe(swept);
    let open!: () => void;
    gate = new Promise<void>((resolve) => (open = resolve));
    const click = checks.run(clicked);
    await new Promise((resolve) => setImmediate(resolve));
    expect(batches).toEqual([2]); // the click did not wait for the linger
    const next = checks.run(later);
    await new Promise((resolve) => setImmediate(resolve));
    expect(batches).toEqual([2]); // nor two transactions at once
    gate = undefined;
    open();
    await Promise.all([waiting.stored, click, next]);
    expect(batches).toEqual([2, 1]);
  });
});
