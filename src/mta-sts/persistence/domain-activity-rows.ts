import { EntityManager, In } from 'typeorm';
import { MtaStsDomainActivityEntity } from './mta-sts-domain-activity.entity';

/**
 * Merges rows into the activity records of their domains, in the caller's transaction:
 * reads the records of those domains at once, lets `merge` compute each new JSON text, and
 * writes them back.
 */
export async function addToActivity<R extends { readonly domain: string }>(
  manager: EntityManager,
  rows: readonly R[],
  column: 'reports' | 'fetches',
  merge: (text: string | undefined, rows: R[]) => string,
): Promise<void> {
  const byDomain = new Map<string, R[]>();
  for (const row of rows) byDomain.set(row.domain, [...(byDomain.get(row.domain) ?? []), row]);
  const domains = [...byDomain.keys()];
  const repository = manager.getRepository(MtaStsDomainActivityEntity);
  for (let start = 0; start < domains.length; start += 500) {
    const chunk = domains.slice(start, start + 500);
    const existing = new Map((await repository.findBy({ domain: In(chunk) })).map((row) => [row.domain, row]));
    const updated = chunk.map((domain) => ({
      domain,
      reports: existing.get(domain)?.reports ?? '{}',
      fetches: existing.get(domain)?.fetches ?? '{}',
      [column]: merge(existing.get(domain)?.[column], byDomain.get(domain)!),
    }));
    await manager
      .createQueryBuilder()
      .insert()
      .into(MtaStsDomainActivityEntity)
      .values(updated)
      .orUpdate([column], ['domain'])
      .execute();
  }
}
