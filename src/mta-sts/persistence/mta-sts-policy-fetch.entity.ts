import { Column, Entity, Index, PrimaryColumn, PrimaryGeneratedColumn } from 'typeorm';

/** Policy fetches per domain, day and client address, from nginx's fetch log. */
@Entity({ name: 'mta_sts_policy_fetches' })
@Index(['domain', 'day', 'address'], { unique: true })
@Index(['day'])
export class MtaStsPolicyFetchEntity {
  @PrimaryGeneratedColumn()
  id!: number;

  @Column({ type: 'varchar', length: 253 })
  domain!: string;

  /** `YYYY-MM-DD` (UTC). */
  @Column({ type: 'varchar', length: 10 })
  day!: string;

  @Column({ type: 'varchar', length: 45 })
  address!: string;

  @Column({ type: 'integer', default: 0 })
  fetches!: number;

  /** Answers other than 200. */
  @Column({ type: 'integer', default: 0 })
  failures!: number;
}

/** What the reverse DNS of a fetcher's address said, checked forward; looked up again after a week. */
@Entity({ name: 'mta_sts_fetchers' })
export class MtaStsFetcherEntity {
  @PrimaryColumn({ type: 'varchar', length: 45 })
  address!: string;

  /** The PTR name whose forward lookup gave the address back; null when there is none. */
  @Column({ type: 'varchar', length: 253, nullable: true })
  ptr!: string | null;

  /** A big sender's name ("Google", "Microsoft") or the PTR name; null when unconfirmed. */
  @Column({ type: 'varchar', length: 253, nullable: true })
  sender!: string | null;

  @Column({ type: Date })
  checkedAt!: Date;
}

/** How far a log file has been read: its inode and the offset after the last counted line. */
@Entity({ name: 'mta_sts_log_cursors' })
export class MtaStsLogCursorEntity {
  @PrimaryColumn({ type: 'varchar', length: 1024 })
  path!: string;

  @Column({ type: 'varchar', length: 40 })
  inode!: string;

  @Column({ type: 'integer', default: 0 })
  offset!: number;

  /** A digest of the file's first bytes: a file truncated and written again starts differently. */
  @Column({ type: 'varchar', length: 64, default: '' })
  head!: string;
}
