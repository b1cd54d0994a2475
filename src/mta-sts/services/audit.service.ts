import { Inject, Injectable } from '@nestjs/common';
import { ActionRecord, AuditTrail } from '../ports/audit-trail.port';
import { Clock } from '../ports/clock.port';
import { ActionLog, LoggedAction } from './action-log';

/** Who did something: a user name from the host panel, `api`, or `system` for scheduled work. */
export type Actor = string;

/** Scheduled and automatic work (MX follow, downgrade, finished retirement). */
export const SYSTEM_ACTOR: Actor = 'system';

export type { ActionRecord } from '../ports/audit-trail.port';

export interface NewAction {
  readonly domain: string;
  readonly action: string;
  readonly actor: Actor;
  readonly policyIdBefore?: string | null;
  readonly policyIdAfter?: string | null;
  readonly detail: string;
}

/** The audit trail: every action on a domain, with who, when and the policy id before and after. */
@Injectable()
export class AuditService {
  constructor(
    @Inject(AuditTrail) private readonly trail: AuditTrail,
    @Inject(Clock) private readonly clock: Clock,
    private readonly actionLog: ActionLog,
  ) {}

  /** Records an action, and logs it once. Lifecycle changes are recorded by `DomainStore.apply` instead. */
  async record(action: NewAction): Promise<void> {
    await this.trail.append({
      domain: action.domain,
      action: action.action,
      actor: action.actor,
      at: this.clock.now(),
      policyIdBefore: action.policyIdBefore ?? null,
      policyIdAfter: action.policyIdAfter ?? null,
      detail: action.detail,
    });
    this.actionLog.record({ ...action, outcome: 'done' });
  }

  /** Logs an outcome the trail does not keep (a failure, a refusal, background work). */
  log(entry: LoggedAction): void {
    this.actionLog.record(entry);
  }

  /** Records that the CA had forgotten the ACME account and it was registered again (RFC 8555 §7.3.1). */
  async recordAccountRecovery(domain: string, issued: { readonly accountRecovered?: string }): Promise<void> {
    if (!issued.accountRecovered) return;
    await this.record({ domain, action: 'acme-account', actor: SYSTEM_ACTOR, detail: issued.accountRecovered });
  }

  /** The domain's recent actions, newest first. */
  recent(domain: string, limit = 50): Promise<ActionRecord[]> {
    return this.trail.recent(domain, limit);
  }
}
