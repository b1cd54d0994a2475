import { Inject, Injectable, Logger } from '@nestjs/common';
import type { CertificateInfo } from '../domain/certificate';
import { CertificateAuthorityError, errorSentence } from '../domain/errors';
import { DomainName } from '../domain/hostname';
import { renewalFailedNotice, trail } from '../domain/wording';
import { nextRetryAt } from '../domain/renewal';
import { MtaStsDomainEntity } from '../persistence/mta-sts-domain.entity';
import { Clock } from '../ports/clock.port';
import { DomainStore } from '../ports/domain-store.port';
import { AuditService } from './audit.service';
import { installedCertificateFields } from './certificate-store';
import { ChecksService } from './checks.service';
import { NotificationsService } from './notifications.service';

/** What follows a renewal: the new certificate recorded and checked, or the failure with its backoff and notice. */
@Injectable()
export class RenewalOutcomes {
  private readonly logger = new Logger('MtaSts');

  constructor(
    @Inject(DomainStore) private readonly store: DomainStore,
    @Inject(Clock) private readonly clock: Clock,
    private readonly checks: ChecksService,
    private readonly audit: AuditService,
    private readonly notifications: NotificationsService,
  ) {}

  /** The new certificate serves: recorded, logged, and the checks confirm what senders now see. */
  async renewed(
    entity: MtaStsDomainEntity,
    info: CertificateInfo,
    directoryUrl: string,
  ): Promise<'renewed' | 'failed'> {
    const name = DomainName.fromValidated(entity.name);
    try {
      await this.store.update(entity.id, installedCertificateFields(info, directoryUrl));
    } catch (error) {
      return this.failed(entity, error);
    }
    this.audit.log({
      domain: name.ascii,
      action: 'renew',
      outcome: 'done',
      detail: trail.renewed(name.policyHost, info.notAfter),
    });
    // The checks' own failure does not make the renewal a failure.
    try {
      await this.checks.run((await this.store.findById(entity.id)) ?? entity);
    } catch (error) {
      this.logger.warn(`Checks after renewing ${name.policyHost} failed to run: ${String(error)}`);
    }
    return 'renewed';
  }

  /** The renewal failed: the current certificate keeps serving; the next attempt waits (backoff), the admin hears of the first failure. */
  async failed(entity: MtaStsDomainEntity, error: unknown): Promise<'failed'> {
    const name = DomainName.fromValidated(entity.name);
    const now = this.clock.now();
    const failures = entity.renewFailures + 1;
    const retryAfter = error instanceof CertificateAuthorityError ? error.retryAfter : undefined;
    const message = errorSentence(error);
    const next = nextRetryAt(failures, now, retryAfter);
    await this.store.update(entity.id, {
      renewFailures: failures,
      renewNextAttemptAt: next,
      renewLastError: message,
      renewRetryAfter: retryAfter ?? null,
    });
    this.audit.log({
      domain: name.ascii,
      action: 'renew',
      outcome: 'failed',
      detail: trail.renewalFailed(name.policyHost, failures, next, message),
    });
    // Once per run of failures; the card shows every later attempt.
    if (failures === 1) {
      this.notifications.send(renewalFailedNotice(name, message, entity.certNotAfter, next, failures));
    }
    return 'failed';
  }
}
