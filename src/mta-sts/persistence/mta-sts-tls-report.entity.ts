import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

/**
 * A TLS report as received (RFC 8460), kept for the retention time: its JSON, or the
 * reason it was rejected. One reporter's report id is stored once.
 */
@Entity({ name: 'mta_sts_tls_reports' })
@Index(['organization', 'reportId'], { unique: true })
@Index(['receivedAt'])
export class MtaStsTlsReportEntity {
  @PrimaryGeneratedColumn()
  id!: number;

  /** `organization-name`; null when the report could not be read. */
  @Column({ type: 'varchar', length: 255, nullable: true })
  organization!: string | null;

  @Column({ type: 'varchar', length: 255, nullable: true })
  reportId!: string | null;

  @Column({ type: Date })
  receivedAt!: Date;

  /** How it came: `https` or `mailto`. */
  @Column({ type: 'varchar', length: 16 })
  via!: string;

  /** `stored`, or `rejected` with `reason`. */
  @Column({ type: 'varchar', length: 16 })
  status!: string;

  @Column({ type: 'text', nullable: true })
  reason!: string | null;

  /** The policy domains it reported on that this panel serves, comma-separated. */
  @Column({ type: 'text', default: '' })
  domains!: string;

  /** The report's JSON as received (rejected reports: what could be read of it, capped). */
  @Column({ type: 'text' })
  raw!: string;

  /** A mailed report's DKIM verdict, e.g. `pass (d=google.com)`; null for HTTPS. */
  @Column({ type: 'varchar', length: 255, nullable: true })
  dkim!: string | null;
}

/** Sessions per domain, day, reporter, policy type, result and MX host: what the card sums. */
@Entity({ name: 'mta_sts_tls_daily' })
@Index(['domain', 'day', 'organization', 'policyType', 'result', 'mxHost'], { unique: true })
export class MtaStsTlsDailyEntity {
  @PrimaryGeneratedColumn()
  id!: number;

  @Column({ type: 'varchar', length: 253 })
  domain!: string;

  /** `YYYY-MM-DD` (UTC) of the report's start. */
  @Column({ type: 'varchar', length: 10 })
  day!: string;

  @Column({ type: 'varchar', length: 255 })
  organization!: string;

  @Column({ type: 'varchar', length: 16 })
  policyType!: string;

  /** `success`, or the failure's result type. */
  @Column({ type: 'varchar', length: 64 })
  result!: string;

  /** The MX host the sessions went to; empty when the report does not say. */
  @Column({ type: 'varchar', length: 253, default: '' })
  mxHost!: string;

  @Column({ type: 'integer', default: 0 })
  sessions!: number;
}

/** A bounded number of failure examples per domain, day and result type, with their details. */
@Entity({ name: 'mta_sts_tls_failures' })
@Index(['domain', 'day', 'result'])
export class MtaStsTlsFailureEntity {
  @PrimaryGeneratedColumn()
  id!: number;

  @Column({ type: 'varchar', length: 253 })
  domain!: string;

  @Column({ type: 'varchar', length: 10 })
  day!: string;

  @Column({ type: 'varchar', length: 255 })
  organization!: string;

  @Column({ type: 'varchar', length: 64 })
  result!: string;

  @Column({ type: 'varchar', length: 64, nullable: true })
  sendingMtaIp!: string | null;

  @Column({ type: 'varchar', length: 253, nullable: true })
  receivingMxHostname!: string | null;

  @Column({ type: 'varchar', length: 64, nullable: true })
  receivingIp!: string | null;

  @Column({ type: 'integer', default: 0 })
  failedSessions!: number;

  @Column({ type: 'text', nullable: true })
  additionalInformation!: string | null;

  @Column({ type: 'varchar', length: 255, nullable: true })
  failureReasonCode!: string | null;
}
