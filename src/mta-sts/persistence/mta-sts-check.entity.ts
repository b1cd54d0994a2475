import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn } from 'typeorm';
import { MtaStsDomainEntity } from './mta-sts-domain.entity';
import type { CheckId, CheckStatus } from '../domain/checks';

/** The latest result of one readiness check for one domain. */
@Entity({ name: 'mta_sts_checks' })
@Index(['domainId', 'check'], { unique: true })
export class MtaStsCheckEntity {
  @PrimaryGeneratedColumn()
  id!: number;

  @Column({ type: 'integer' })
  domainId!: number;

  @ManyToOne(() => MtaStsDomainEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'domainId' })
  domain?: MtaStsDomainEntity;

  @Column({ type: 'varchar', length: 32 })
  check!: CheckId;

  @Column({ type: 'varchar', length: 8 })
  status!: CheckStatus;

  @Column({ type: 'text' })
  summary!: string;

  @Column({ type: 'text' })
  detail!: string;

  @Column({ type: 'text' })
  remedy!: string;

  /** What DNS answered, by record type (for the record table). */
  @Column({ type: 'simple-json', nullable: true })
  observed!: Record<string, string[]> | null;

  @Column({ type: Date })
  observedAt!: Date;

  /** When the check reached its current status. */
  @Column({ type: Date })
  since!: Date;

  /**
   * A digest of the result's content (status, texts, observed records): a check that
   * finds the same again has only its `observedAt` written. Null until first written so.
   */
  @Column({ type: 'varchar', length: 64, nullable: true })
  digest!: string | null;
}

/** One change of a check's status: the history an admin reads to see when things broke. */
@Entity({ name: 'mta_sts_check_events' })
@Index(['domainId', 'at'])
export class MtaStsCheckEventEntity {
  @PrimaryGeneratedColumn()
  id!: number;

  @Column({ type: 'integer' })
  domainId!: number;

  @ManyToOne(() => MtaStsDomainEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'domainId' })
  domain?: MtaStsDomainEntity;

  @Column({ type: 'varchar', length: 32 })
  check!: CheckId;

  @Column({ type: 'varchar', length: 8, nullable: true })
  previousStatus!: CheckStatus | null;

  @Column({ type: 'varchar', length: 8 })
  status!: CheckStatus;

  @Column({ type: 'text' })
  summary!: string;

  @Column({ type: Date })
  at!: Date;
}
