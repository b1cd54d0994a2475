import { createHash } from 'node:crypto';
import { LessThanOrEqual, MoreThan, Repository } from 'typeorm';
import { PanelSessionEntity } from './panel-session.entity';

const hash = (sid: string) => createHash('sha256').update(sid).digest('hex');

/** The sessions the panel opened and that are still open: a signed cookie alone is not enough. */
export class SessionRegistry {
  constructor(
    private readonly sessions: Repository<PanelSessionEntity>,
    private readonly now: () => number = Date.now,
  ) {}

  async open(sid: string, user: string, expires: number): Promise<void> {
    await this.sessions.delete({ expiresAt: LessThanOrEqual(new Date(this.now())) });
    await this.sessions.insert({ id: hash(sid), user, expiresAt: new Date(expires) });
  }

  async isOpen(sid: string, user: string): Promise<boolean> {
    return this.sessions.existsBy({ id: hash(sid), user, expiresAt: MoreThan(new Date(this.now())) });
  }

  async close(sid: string): Promise<void> {
    await this.sessions.delete({ id: hash(sid) });
  }
}
