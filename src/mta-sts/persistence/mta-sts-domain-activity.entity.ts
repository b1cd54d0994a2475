import { Column, Entity, PrimaryColumn } from 'typeorm';

/**
 * A domain's last month of report sessions and policy fetches per day, as JSON (see
 * `domain/domain-activity.ts`), and what the overview across domains shows of them, summed
 * as of `summaryDay`: one small row a domain, brought up to date at every write and after
 * midnight.
 */
@Entity({ name: 'mta_sts_domain_activity' })
export class MtaStsDomainActivityEntity {
  @PrimaryColumn({ type: 'varchar', length: 253 })
  domain!: string;

  /** `{ "YYYY-MM-DD": { "ok": n, "failed": n, "types": { "<result>": n } } }` */
  @Column({ type: 'text', default: '{}' })
  reportLog!: string;

  /** `{ "YYYY-MM-DD": fetches }` */
  @Column({ type: 'text', default: '{}' })
  fetchLog!: string;

  /** The day the sums below end on. */
  @Column({ type: 'varchar', length: 10, default: '' })
  summaryDay!: string;

  /** Sessions of the 14 days up to `summaryDay`. */
  @Column({ type: 'integer', default: 0 })
  successful!: number;

  @Column({ type: 'integer', default: 0 })
  failed!: number;

  @Column({ type: 'integer', default: 0 })
  reportDays!: number;

  /** `{ "<result>": sessions }` of those 14 days. */
  @Column({ type: 'text', default: '{}' })
  failureTypes!: string;

  /** Policy fetches of the 7 days up to `summaryDay`. */
  @Column({ type: 'integer', default: 0 })
  weekFetches!: number;
}
