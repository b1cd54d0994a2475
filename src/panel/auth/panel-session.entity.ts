import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/** A signed-in session of the standalone panel, until it expires or its user signs out. */
@Entity({ name: 'panel_sessions' })
export class PanelSessionEntity {
  /** SHA-256 (hex) of the session id: the database alone gives no usable session. */
  @PrimaryColumn({ type: 'varchar', length: 64 })
  id!: string;

  @Column({ type: 'varchar', length: 64 })
  user!: string;

  @Index()
  @Column({ type: Date })
  expiresAt!: Date;
}
