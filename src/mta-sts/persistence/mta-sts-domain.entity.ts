import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';
import type { Badge } from '../domain/checks';
import type { DomainState } from '../domain/domain-state';
import type { PolicyMode } from '../domain/policy';

/** One managed domain: its policy settings, its lifecycle state and its certificate. */
@Entity({ name: 'mta_sts_domains' })
// The list filters by badge and searches both name forms from these indexes alone.
@Index(['badge', 'name', 'unicodeName'])
@Index(['name', 'unicodeName'])
export class MtaStsDomainEntity {
  @PrimaryGeneratedColumn()
  id!: number;

  /** The domain in A-label form, lower-case, without trailing dot. */
  @Column({ type: 'varchar', length: 253, unique: true })
  name!: string;

  /** The name as people read it (U-labels), for searching the list. */
  @Column({ type: 'varchar', length: 1024, default: '' })
  unicodeName!: string;

  @Column({ type: 'varchar', length: 16 })
  state!: DomainState;

  /** What the list shows and filters by; kept up to date from the state and the checks. */
  @Column({ type: 'varchar', length: 16, default: 'inactive' })
  badge!: Badge;

  /** The provisioning step that is running (state `provisioning`). */
  @Column({ type: 'varchar', length: 32, nullable: true })
  step!: string | null;

  /** The step that failed and why (state `error`). */
  @Column({ type: 'varchar', length: 32, nullable: true })
  errorStep!: string | null;

  @Column({ type: 'text', nullable: true })
  errorMessage!: string | null;

  @Column({ type: 'varchar', length: 8 })
  mode!: PolicyMode;

  @Column({ type: 'integer' })
  maxAge!: number;

  /** `mx` patterns from the last MX look-up (sorted A-labels). */
  @Column({ type: 'simple-json' })
  mx!: string[];

  /** Why the last MX look-up cannot back a policy (no MX, null MX), if it cannot. */
  @Column({ type: 'text', nullable: true })
  mxProblem!: string | null;

  @Column({ type: Date, nullable: true })
  mxCheckedAt!: Date | null;

  /**
   * The id of the current policy instance (`policyText`): what the records ask to publish
   * and what Enable or a change serves. Minted by `nextPolicyIdentity`, never reused.
   */
  @Column({ type: 'varchar', length: 32, nullable: true })
  policyId!: string | null;

  /** The exact text `policyId` names, rendered from `mode`, `mx` and `maxAge`. */
  @Column({ type: 'text', nullable: true })
  policyText!: string | null;

  /** How many policy ids this domain has minted (RFC 8461 §3.1: one id per instance). */
  @Column({ type: 'integer', default: 0 })
  policySerial!: number;

  /** The id of the policy file on disk, i.e. what the policy host serves. */
  @Column({ type: 'varchar', length: 32, nullable: true })
  servedPolicyId!: string | null;

  @Column({ type: 'text', nullable: true })
  certIssuer!: string | null;

  @Column({ type: Date, nullable: true })
  certNotBefore!: Date | null;

  @Column({ type: Date, nullable: true })
  certNotAfter!: Date | null;

  /** The ACME directory the certificate came from (never swap production for staging). */
  @Column({ type: 'text', nullable: true })
  certDirectoryUrl!: string | null;

  @Column({ type: Date, nullable: true })
  enabledAt!: Date | null;

  /** When the readiness checks last ran. */
  @Column({ type: Date, nullable: true })
  checksRanAt!: Date | null;

  /** When the certificate is due for renewal (lifetime rule or the CA's ARI window). */
  @Column({ type: Date, nullable: true })
  renewAfter!: Date | null;

  /** The ARI window `renewAfter` was picked from (ISO times), if the CA offers ARI. */
  @Column({ type: 'simple-json', nullable: true })
  renewWindow!: { start: string; end: string } | null;

  /** Consecutive failed renewals; drives the backoff. */
  @Column({ type: 'integer', default: 0 })
  renewFailures!: number;

  @Column({ type: Date, nullable: true })
  renewNextAttemptAt!: Date | null;

  @Column({ type: 'text', nullable: true })
  renewLastError!: string | null;

  /** The CA's Retry-After, shown to the admin and honoured. */
  @Column({ type: Date, nullable: true })
  renewRetryAfter!: Date | null;

  /** ISO times of manual re-issues (rate-limited). */
  @Column({ type: 'simple-json', default: '[]' })
  reissues!: string[];

  /** When the policy with `servedPolicyId` was published (its file written). */
  @Column({ type: Date, nullable: true })
  policyPublishedAt!: Date | null;

  /** When a check first saw `servedPolicyId` in the `_mta-sts` TXT record. */
  @Column({ type: Date, nullable: true })
  policyVisibleAt!: Date | null;

  /** The largest `max_age` ever served for this domain: how long senders may cache a policy. */
  @Column({ type: 'integer', default: 0 })
  largestMaxAgeServed!: number;

  /** Old MX hosts an enforce policy keeps until they may leave it (RFC 8461 §8.1 via facts §5). */
  @Column({ type: 'simple-json', nullable: true })
  mxDrop!: { hosts: string[]; after: string } | null;

  /** When retirement started serving `mode: none` (state `retiring`). */
  @Column({ type: Date, nullable: true })
  retireStartedAt!: Date | null;

  /** The max_age the domain had before retiring; Cancel retirement puts it back. */
  @Column({ type: 'integer', nullable: true })
  maxAgeBeforeRetire!: number | null;

  /** When the policy host may be removed (state `retiring`). */
  @Column({ type: Date, nullable: true })
  retireUntil!: Date | null;

  /** When the policy host was removed (state `removed`). */
  @Column({ type: Date, nullable: true })
  removedAt!: Date | null;

  /** When the panel last wrote the domain's records into its zone. */
  @Column({ type: Date, nullable: true })
  dnsPublishedAt!: Date | null;

  /** Failed attempts to write the records since the last success. */
  @Column({ type: 'integer', default: 0 })
  dnsFailures!: number;

  /** What the DNS server answered at the last failed attempt, and what to do. */
  @Column({ type: 'text', nullable: true })
  dnsLastError!: string | null;

  /** When the next attempt is due after a failure. */
  @Column({ type: Date, nullable: true })
  dnsNextAttemptAt!: Date | null;

  @CreateDateColumn()
  createdAt!: Date;

  @UpdateDateColumn()
  updatedAt!: Date;
}
