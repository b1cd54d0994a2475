import { Injectable, Logger } from '@nestjs/common';
import { flashes } from '../../domain/wording';
import { MtaStsError } from '../../domain/errors';
import { AuditService } from '../../services/audit.service';
import { failedAction } from '../actor';
import { StorageFailures } from '../storage-locations';
import type { Flash } from './flash';
import { LifecycleActions } from './lifecycle-actions';
import { PolicyActions } from './policy-actions';

/**
 * The pages' actions: each calls its service and says what happened in one flash, the
 * failures included (a refusal in its own words, storage trouble in words that say what
 * to do), and logs the outcome once.
 */
@Injectable()
export class PageActions {
  private readonly logger = new Logger('MtaSts');

  constructor(
    private readonly lifecycle: LifecycleActions,
    private readonly policy: PolicyActions,
    private readonly storage: StorageFailures,
    private readonly audit: AuditService,
  ) {}

  /** Add: the flash, and the domain's name when its card exists. */
  async add(domain: unknown, actor: string): Promise<{ flash: Flash; domain?: string }> {
    try {
      return await this.lifecycle.add(domain, actor);
    } catch (error) {
      return { flash: this.failure(error, { domain, action: 'add', actor }) };
    }
  }

  /** A card's action; undefined for an action there is no such thing as. */
  async perform(
    domain: string,
    action: string,
    body: Record<string, unknown>,
    actor: string,
  ): Promise<{ flash: Flash; ok: boolean } | undefined> {
    try {
      const flash =
        (await this.policy.handle(domain, action, body, actor)) ?? (await this.lifecycle.handle(domain, action, actor));
      return flash && { flash, ok: true };
    } catch (error) {
      return { flash: this.failure(error, { domain, action, actor }), ok: false };
    }
  }

  /** What Publish DNS records would write, or why it cannot, for its confirmation page. */
  async publicationPreview(domain: string) {
    return this.lifecycle.publicationPreview(domain);
  }

  /** Tells the admin what went wrong, and logs the action's outcome once. */
  private failure(error: unknown, attempt: { domain: unknown; action: string; actor: string }): Flash {
    const known = error instanceof MtaStsError ? error : this.storage.recognize(error);
    this.audit.log(failedAction(attempt, known, error));
    if (known) return { kind: 'error', text: known.message };
    this.logger.error(`Page action failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    return { kind: 'error', text: flashes.unexpected };
  }
}
