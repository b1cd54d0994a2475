import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

/**
 * One thing done to a domain, by whom and when: the audit trail. Rows name the domain
 * rather than reference it, so the trail outlives a deleted domain.
 */
@Entity({ name: 'mta_sts_actions' })
@Index(['domain', 'at'])
export class MtaStsActionEntity {
  @PrimaryGeneratedColumn()
  id!: number;

  /** The domain in A-label form. */
  @Column({ type: 'varchar', length: 253 })
  domain!: string;

  /** What was done, e.g. `enable`, `mode`, `retire`, `mx-follow`, `downgrade`. */
  @Column({ type: 'varchar', length: 32 })
  action!: string;

  /** Who did it: a user name, `api`, or `system` for scheduled work. */
  @Column({ type: 'varchar', length: 128 })
  actor!: string;

  @Column({ type: Date })
  at!: Date;

  @Column({ type: 'varchar', length: 32, nullable: true })
  policyIdBefore!: string | null;

  @Column({ type: 'varchar', length: 32, nullable: true })
  policyIdAfter!: string | null;

  /** One sentence: what changed. */
  @Column({ type: 'text' })
  detail!: string;
}

/** One trail entry as a row: the actor cut to its column's width, absent policy ids as null. */
export function actionRow(
  domain: string,
  entry: {
    readonly action: string;
    readonly actor: string;
    readonly detail: string;
    readonly policyIdBefore?: string | null;
    readonly policyIdAfter?: string | null;
  },
  at: Date,
): Omit<MtaStsActionEntity, 'id'> {
  return {
    domain,
    action: entry.action,
    actor: entry.actor.slice(0, 128),
    at,
    policyIdBefore: entry.policyIdBefore ?? null,
    policyIdAfter: entry.policyIdAfter ?? null,
    detail: entry.detail,
  };
}
