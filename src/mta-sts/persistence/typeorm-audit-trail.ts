import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { ActionRecord, AuditTrail, TrailEntry } from '../ports/audit-trail.port';
import { MtaStsActionEntity, actionRow } from './mta-sts-action.entity';

/** `AuditTrail` in the `mta_sts_actions` table. */
@Injectable()
export class TypeOrmAuditTrail extends AuditTrail {
  constructor(@InjectRepository(MtaStsActionEntity) private readonly actions: Repository<MtaStsActionEntity>) {
    super();
  }

  async append(entry: TrailEntry): Promise<void> {
    await this.actions.insert(actionRow(entry.domain, entry, entry.at));
  }

  async recent(domain: string, limit: number): Promise<ActionRecord[]> {
    const rows = await this.actions.find({ where: { domain }, order: { at: 'DESC', id: 'DESC' }, take: limit });
    return rows.map((row) => ({
      action: row.action,
      actor: row.actor,
      at: new Date(row.at).toISOString(),
      policyIdBefore: row.policyIdBefore,
      policyIdAfter: row.policyIdAfter,
      detail: row.detail,
    }));
  }
}
