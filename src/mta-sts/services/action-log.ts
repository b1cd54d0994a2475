import { Injectable, Logger } from '@nestjs/common';

/** How an action on a domain ended. */
export type ActionOutcome = 'done' | 'refused' | 'failed';

export interface LoggedAction {
  readonly domain: string;
  /** `add`, `enable`, `provisioned`, `mode`, `retire`, `renew`, … (the audit trail's names). */
  readonly action: string;
  readonly actor?: string;
  readonly outcome: ActionOutcome;
  /** What happened, in the words the card uses. */
  readonly detail: string;
  readonly policyIdBefore?: string | null;
  readonly policyIdAfter?: string | null;
  /** The enable step that failed. */
  readonly step?: string;
}

/** Actions worth a warning even when they succeed. */
const WARN_ACTIONS = new Set(['downgrade']);

/**
 * One log entry per action on a domain, with its outcome: what the audit trail records,
 * plus what failed or was refused, plus the background work (provisioning, renewals).
 * The entry is an object with `msg` (the sentence) and the fields, so a JSON logger
 * (pino in the standalone panel) writes them as fields; Nest's console logger prints it as it prints any object.
 */
@Injectable()
export class ActionLog {
  private readonly logger = new Logger('MtaSts');

  record(entry: LoggedAction): void {
    const fields = {
      event: 'domain-action',
      domain: entry.domain,
      action: entry.action,
      outcome: entry.outcome,
      ...(entry.actor === undefined ? {} : { actor: entry.actor }),
      ...(entry.step === undefined ? {} : { step: entry.step }),
      ...(entry.policyIdBefore === undefined ? {} : { policyIdBefore: entry.policyIdBefore }),
      ...(entry.policyIdAfter === undefined ? {} : { policyIdAfter: entry.policyIdAfter }),
    };
    const message = { msg: `${entry.domain}: ${entry.action} ${entry.outcome}. ${entry.detail}`, ...fields };
    if (entry.outcome === 'failed') this.logger.error(message);
    else if (entry.outcome === 'refused' || WARN_ACTIONS.has(entry.action)) this.logger.warn(message);
    else this.logger.log(message);
  }
}
