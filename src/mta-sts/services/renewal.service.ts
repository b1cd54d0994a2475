import { Inject, Injectable } from '@nestjs/common';
import { refusals, reissueLimitNote, trail } from '../domain/wording';
import { ConflictError } from '../domain/errors';
import { DomainName, parseDomainName } from '../domain/hostname';
import {
  ariCertificateId,
  reissueAllowance,
  ReissueAllowance,
  renewalDueFromLifetime,
  renewalDueFromWindow,
} from '../domain/renewal';
import { MTA_STS_RANDOM } from '../mta-sts.tokens';
import { MtaStsDomainEntity } from '../persistence/mta-sts-domain.entity';
import { DomainStore } from '../ports/domain-store.port';
import { Clock } from '../ports/clock.port';
import { StoredCertificate } from './certificate-store';
import { CertificateIssuer } from './certificate-issuer';
import { RenewalOutcomes } from './renewal-outcomes';
import { DomainLocks } from './domain-locks';
import { Actor, AuditService, SYSTEM_ACTOR } from './audit.service';
import { isServing } from '../domain/domain-state';

export type RenewalOutcome = 'not-due' | 'renewed' | 'failed' | 'skipped';

/**
 * Certificate renewals. A renewal never replaces a working certificate with nothing: the
 * new one is written beside the old one's content, nginx must pass `nginx -t` and reload,
 * and on any failure the old certificate is put back and keeps serving while a retry is
 * scheduled with backoff.
 */
@Injectable()
export class RenewalService {
  constructor(
    @Inject(DomainStore) private readonly store: DomainStore,
    @Inject(Clock) private readonly clock: Clock,
    private readonly issuer: CertificateIssuer,
    private readonly locks: DomainLocks,
    private readonly audit: AuditService,
    private readonly outcomes: RenewalOutcomes,
    /** Where in the ARI window to renew; injectable for tests. */
    @Inject(MTA_STS_RANDOM) private readonly random: () => number,
  ) {}

  /** Renews the domain's certificate if it is due (and no backoff holds it back). */
  async renewIfDue(entity: MtaStsDomainEntity): Promise<RenewalOutcome> {
    return this.locks.run(entity.name, async () => {
      const current = await this.store.findById(entity.id);
      if (!current || !isServing(current.state)) return 'skipped';
      const stored = await this.issuer.stored(current.name);
      if (!stored) return 'skipped';
      const now = this.clock.now();
      const { dueAt, replaces } = await this.schedule(current, stored);
      if (now < dueAt) return 'not-due';
      if (current.renewFailures > 0 && current.renewNextAttemptAt && now < current.renewNextAttemptAt) return 'not-due';
      return this.renew(current, replaces);
    });
  }

  /** A manual re-issue, at most `REISSUE_LIMIT` times per domain per week. */
  async reissue(
    input: unknown,
    actor: Actor = SYSTEM_ACTOR,
  ): Promise<{ outcome: RenewalOutcome; allowance: ReissueAllowance }> {
    const name = parseDomainName(input);
    return this.locks.run(name.ascii, async () => {
      const entity = await this.store.get(name.ascii);
      if (!isServing(entity.state)) {
        throw new ConflictError(refusals.reissueWhile(name.ascii, entity.state));
      }
      const now = this.clock.now();
      const allowance = reissueAllowance(
        entity.reissues.map((at) => new Date(at)),
        now,
      );
      if (allowance.remaining === 0) {
        throw new ConflictError(reissueLimitNote(name, allowance.nextAllowedAt!));
      }
      const reissues = [...allowance.recent, now].map((at) => at.toISOString());
      await this.store.update(entity.id, { reissues });
      const stored = await this.issuer.stored(name.ascii);
      const replaces = stored ? (await this.schedule(entity, stored)).replaces : undefined;
      const outcome = await this.renew({ ...entity, reissues }, replaces);
      await this.audit.record({
        domain: name.ascii,
        action: 'reissue',
        actor,
        detail: outcome === 'renewed' ? trail.reissued : trail.reissueFailed,
      });
      return {
        outcome,
        allowance: reissueAllowance(
          reissues.map((at) => new Date(at)),
          now,
        ),
      };
    });
  }

  /**
   * When the certificate is due: inside the CA's ARI window when it offers one (and then
   * the order names the certificate it replaces), otherwise when a third of the lifetime
   * is left. The chosen moment is stored so the card can show it.
   */
  private async schedule(
    entity: MtaStsDomainEntity,
    stored: StoredCertificate,
  ): Promise<{ dueAt: Date; replaces?: string }> {
    let certificateId: string | undefined;
    try {
      certificateId = ariCertificateId(stored.certificatePem);
    } catch {
      certificateId = undefined;
    }
    const window = certificateId ? await this.issuer.renewalInfo(certificateId).catch(() => undefined) : undefined;
    let dueAt: Date;
    let picked: { start: string; end: string } | null = null;
    if (window) {
      picked = { start: window.start.toISOString(), end: window.end.toISOString() };
      const sameWindow = entity.renewWindow?.start === picked.start && entity.renewWindow?.end === picked.end;
      // RFC 9773 §4.2: one random moment per window; pick again only when the window moves.
      dueAt =
        sameWindow && entity.renewAfter ? new Date(entity.renewAfter) : renewalDueFromWindow(window, this.random());
    } else {
      dueAt = renewalDueFromLifetime(stored.info.notBefore, stored.info.notAfter);
    }
    const storedDue = entity.renewAfter ? new Date(entity.renewAfter).getTime() : undefined;
    if (storedDue !== dueAt.getTime() || JSON.stringify(entity.renewWindow ?? null) !== JSON.stringify(picked)) {
      await this.store.update(entity.id, { renewAfter: dueAt, renewWindow: picked });
    }
    return { dueAt, replaces: window ? certificateId : undefined };
  }

  private async renew(entity: MtaStsDomainEntity, replaces: string | undefined): Promise<RenewalOutcome> {
    const name = DomainName.fromValidated(entity.name);
    let info;
    try {
      info = await this.issuer.replace(name, replaces);
    } catch (error) {
      return this.outcomes.failed(entity, error);
    }
    return this.outcomes.renewed(entity, info, this.issuer.directoryUrl);
  }
}
