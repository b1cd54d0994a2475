import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { In, Repository } from 'typeorm';
import { hash } from 'node:crypto';
import { readRows, setColumnByKey, writeRows } from './bulk-rows';
import { Badge } from '../domain/badges';
import { CHECK_IDS, CheckResult } from '../domain/check-verdicts';
import { afterCheckRun } from '../domain/check-run';
import type { AuditEntry, Transition } from '../domain/transitions';
import { CheckEvent, CheckResults, CheckRun, StoredRun } from '../ports/check-results.port';
import { MtaStsActionEntity, actionRow } from './mta-sts-action.entity';
import { MtaStsCheckEntity, MtaStsCheckEventEntity } from './mta-sts-check.entity';
import { MtaStsDomainEntity } from './mta-sts-domain.entity';
import { Transactions } from './transactions';

function toResult(row: MtaStsCheckEntity): CheckResult {
  return {
    check: row.check,
    status: row.status,
    summary: row.summary,
    detail: row.detail,
    remedy: row.remedy,
    ...(row.observed ? { observed: row.observed } : {}),
    observedAt: new Date(row.observedAt),
  };
}

/** What a stored result holds, as a digest: the same digest means nothing to write but the time. */
function resultDigest(result: CheckResult): string {
  const content = [result.status, result.summary, result.detail, result.remedy, result.observed ?? null];
  return hash('sha256', JSON.stringify(content), 'base64url');
}

function checkRow(domainId: number, result: CheckResult, since: Date, digest: string): Partial<MtaStsCheckEntity> {
  return {
    domainId,
    check: result.check,
    status: result.status,
    summary: result.summary,
    detail: result.detail,
    remedy: result.remedy,
    observed: result.observed
      ? Object.fromEntries(Object.entries(result.observed).map(([type, values]) => [type, [...values]]))
      : null,
    observedAt: result.observedAt,
    since,
    digest,
  };
}

/** The columns a run writes into `mta_sts_checks`; the first two are its unique key. */
export const CHECK_COLUMNS = [
  'domainId',
  'check',
  'status',
  'summary',
  'detail',
  'remedy',
  'observed',
  'observedAt',
  'since',
  'digest',
] as const satisfies readonly (keyof MtaStsCheckEntity)[];

const EVENT_COLUMNS = [
  'domainId',
  'check',
  'previousStatus',
  'status',
  'summary',
  'at',
] as const satisfies readonly (keyof MtaStsCheckEventEntity)[];

/** `CheckResults` in the `mta_sts_checks` and `mta_sts_check_events` tables. */
@Injectable()
export class TypeOrmCheckResults extends CheckResults {
  constructor(
    @InjectRepository(MtaStsCheckEntity) private readonly checks: Repository<MtaStsCheckEntity>,
    @InjectRepository(MtaStsCheckEventEntity) private readonly events: Repository<MtaStsCheckEventEntity>,
    private readonly transactions: Transactions,
  ) {
    super();
  }

  async latest(domainId: number): Promise<CheckResult[]> {
    const rows = await this.checks.findBy({ domainId });
    return CHECK_IDS.flatMap((id) => rows.filter((row) => row.check === id)).map(toResult);
  }

  async latestFor(domainIds: readonly number[]): Promise<Map<number, CheckResult[]>> {
    const byDomain = new Map<number, CheckResult[]>();
    if (domainIds.length === 0) return byDomain;
    for (const row of await this.checks.findBy({ domainId: In([...domainIds]) })) {
      byDomain.set(row.domainId, [...(byDomain.get(row.domainId) ?? []), toResult(row)]);
    }
    return byDomain;
  }

  async history(domainId: number, limit: number): Promise<CheckEvent[]> {
    const rows = await this.events.find({ where: { domainId }, order: { at: 'DESC', id: 'DESC' }, take: limit });
    return rows.map(({ check, previousStatus, status, summary, at }) => ({
      check,
      previousStatus,
      status,
      summary,
      at,
    }));
  }

  store(batch: readonly CheckRun[]): Promise<StoredRun[]> {
    return this.transactions.run(async (manager) => {
      const domains = manager.getRepository(MtaStsDomainEntity);
      const ids = [...new Set(batch.map((item) => item.domainId))];
      const previous = new Map<
        string,
        Pick<MtaStsCheckEntity, 'domainId' | 'check' | 'status' | 'since' | 'digest' | 'observedAt'>
      >(
        (
          await readRows(
            manager,
            MtaStsCheckEntity,
            ['domainId', 'check', 'status', 'since', 'digest', 'observedAt'],
            'domainId',
            ids,
          )
        ).map((row) => [`${row.domainId}/${row.check}`, row]),
      );
      // Results that changed are written whole; the others only get their new observation
      // time, one statement for the domains that ran the same checks.
      const written = new Map<string, Partial<MtaStsCheckEntity>>();
      const stamps = new Map<string, Map<number, Date>>();
      const events: Partial<MtaStsCheckEventEntity>[] = [];
      for (const { domainId, results } of batch) {
        const unchanged: string[] = [];
        for (const result of results) {
          const key = `${domainId}/${result.check}`;
          const before = previous.get(key);
          // A newer observation is never replaced by an older one: a result that arrives late
          // (from a leader that was paused while another node checked again) is dropped.
          if (before?.observedAt && new Date(result.observedAt) < new Date(before.observedAt)) continue;
          const digest = resultDigest(result);
          const changed = before?.status !== result.status;
          const since = changed ? result.observedAt : before!.since;
          const observedAt = result.observedAt;
          previous.set(key, { domainId, check: result.check, status: result.status, since, digest, observedAt });
          const pending = written.get(key);
          if (before?.digest !== digest) written.set(key, checkRow(domainId, result, since, digest));
          else if (pending)
            pending.observedAt = result.observedAt; // written earlier in this batch
          else unchanged.push(result.check);
          if (changed) {
            events.push({
              domainId,
              check: result.check,
              previousStatus: before?.status ?? null,
              status: result.status,
              summary: result.summary,
              at: result.observedAt,
            });
          }
        }
        if (unchanged.length > 0) {
          const checks = unchanged.join(',');
          stamps.set(checks, (stamps.get(checks) ?? new Map<number, Date>()).set(domainId, results[0].observedAt));
        }
      }
      // Stamps first: a result written whole later in the same batch then keeps its own time.
      for (const [checks, observedAt] of stamps) {
        await setColumnByKey(manager, MtaStsCheckEntity, 'observedAt', 'domainId', observedAt, {
          property: 'check',
          values: checks.split(','),
        });
      }
      await writeRows(manager, MtaStsCheckEntity, CHECK_COLUMNS, [...written.values()], ['domainId', 'check']);
      await writeRows(manager, MtaStsCheckEventEntity, EVENT_COLUMNS, events);
      // Badges and run times: one UPDATE per badge rather than one per domain. The run time
      // is the batch's latest observation (its domains were observed within moments).
      const latestByDomain = new Map(batch.map((item) => [item.domainId, item.results]));
      const checkedIds = new Map(batch.map((item) => [item.domainId, item.checkedId]));
      const ranAt = new Date(Math.max(...batch.map((item) => (item.results[0]?.observedAt ?? new Date()).getTime())));
      const states = await readRows(
        manager,
        MtaStsDomainEntity,
        ['id', 'name', 'state', 'badge', 'mode', 'enabledAt', 'servedPolicyId', 'policyPublishedAt', 'policyVisibleAt'],
        'id',
        ids,
      );
      const eventsByDomain = new Map<
        number,
        { check: string; status: MtaStsCheckEntity['status']; summary: string }[]
      >();
      for (const event of events) {
        const list = eventsByDomain.get(event.domainId!) ?? [];
        list.push({ check: event.check!, status: event.status!, summary: event.summary! });
        eventsByDomain.set(event.domainId!, list);
      }
      const byBadge = new Map<Badge, number[]>();
      const visible: { readonly id: number; readonly name: string; readonly audit: AuditEntry }[] = [];
      const changes = new Map<Transition, number[]>();
      const stored: StoredRun[] = [];
      for (const domain of states) {
        const results = latestByDomain.get(domain.id) ?? [];
        const outcome = afterCheckRun(
          domain,
          results,
          checkedIds.get(domain.id) ?? null,
          eventsByDomain.get(domain.id) ?? [],
          ranAt,
        );
        if (outcome.idVisibleAudit) visible.push({ id: domain.id, name: domain.name, audit: outcome.idVisibleAudit });
        if (outcome.stateChange)
          changes.set(outcome.stateChange, [...(changes.get(outcome.stateChange) ?? []), domain.id]);
        byBadge.set(outcome.badge, [...(byBadge.get(outcome.badge) ?? []), domain.id]);
        stored.push({ domain: { id: domain.id, name: domain.name }, before: domain.badge, outcome, results });
      }
      for (const [badge, domainIds] of byBadge) {
        await domains.update({ id: In(domainIds) }, { checksRanAt: ranAt, badge });
      }
      // Newly announced ids (also during Enable, when the TXT record came first): one UPDATE
      // for the time, one for the domains whose change is now complete (only while they are
      // still `changing`), one trail insert.
      if (visible.length > 0) {
        await domains.update({ id: In(visible.map((domain) => domain.id)) }, { policyVisibleAt: ranAt });
      }
      // One UPDATE per kind of change, each guarded by the state it was decided in.
      for (const [change, domainIds] of changes) {
        await domains.update({ id: In(domainIds), state: In([...change.from]) }, change.patch);
      }
      if (visible.length > 0) {
        await manager
          .getRepository(MtaStsActionEntity)
          .insert(visible.map((domain) => actionRow(domain.name, domain.audit, ranAt)));
      }
      return stored;
    });
  }
}
