import { Column, Entity, PrimaryColumn } from 'typeorm';

/**
 * A domain's last month of report sessions and policy fetches per day, as JSON (see
 * `domain/domain-activity.ts`): what the overview across domains reads, one row a domain.
 */
@Entity({ name: 'mta_sts_domain_activity' })
export class MtaStsDomainActivityEntity {
  @PrimaryColumn({ type: 'varchar', length: 253 })
  domain!: string;

  /** `{ "YYYY-MM-DD": { "ok": n, "failed": n, "types": { "<result>": n } } }` */
  @Column({ type: 'text', default: '{}' })
  reports!: string;

  /** `{ "YYYY-MM-DD": fetches }` */
  @Column({ type: 'text', default: '{}' })
  fetches!: string;
}
