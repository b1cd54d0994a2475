import { BeforeApplicationShutdown, Inject, Injectable, Logger } from '@nestjs/common';
import { CertificateInfo, isReusable } from '../domain/certificate';
import { ProvisioningStep } from '../domain/domain-state';
import { ConflictError, OperationFailedError, errorSentence } from '../domain/errors';
import { DomainName } from '../domain/hostname';
import { policyOf } from '../domain/policy-id';
import { storageFailure } from '../domain/storage-failure';
import { activate, stepFailed, stepReached } from '../domain/transitions';
import { MtaStsDomainEntity } from '../persistence/mta-sts-domain.entity';
import { Clock } from '../ports/clock.port';
import { DomainStore } from '../ports/domain-store.port';
import { AuditService } from './audit.service';
import { CertificateIssuer } from './certificate-issuer';
import { installedCertificateFields } from './certificate-store';
import { ChecksService } from './checks.service';
import { PolicyHost } from './policy-host';
import { PreflightService } from './preflight.service';
import { trail } from '../domain/wording';

/** How long shutdown waits for provisioning in flight. */
const SHUTDOWN_GRACE_MS = 10_000;

/** A failure at a known step, recorded on the domain. */
class StepFailure extends Error {
  constructor(
    readonly step: ProvisioningStep,
    readonly cause: unknown,
  ) {
    super(cause instanceof Error ? cause.message : String(cause));
  }
}

/**
 * Enable's steps, in the background, ordered so that nothing irreversible or rate-limited
 * happens before the cheap checks pass, and nothing that was serving stops serving when a
 * step fails: policy file → port 80 vhost → DNS check → HTTP probe → certificate → HTTPS
 * vhost → self-check. Each step is recorded before it runs, so a restart resumes there.
 */
@Injectable()
export class EnableRun implements BeforeApplicationShutdown {
  private readonly logger = new Logger('MtaSts');
  /** Provisioning runs in flight, by domain; at most one each. */
  private readonly running = new Map<string, Promise<void>>();

  constructor(
    @Inject(DomainStore) private readonly store: DomainStore,
    @Inject(Clock) private readonly clock: Clock,
    private readonly host: PolicyHost,
    private readonly issuer: CertificateIssuer,
    private readonly preflight: PreflightService,
    private readonly checks: ChecksService,
    private readonly audit: AuditService,
  ) {}

  /** Lets running provisioning finish (bounded) before the database closes; the rest resumes at the next start. */
  async beforeApplicationShutdown(): Promise<void> {
    const pending = Promise.allSettled([...this.running.values()]);
    await Promise.race([pending, new Promise((resolve) => setTimeout(resolve, SHUTDOWN_GRACE_MS).unref())]);
  }

  /** Resolves when the domain's provisioning run (if any) has finished. For tests and the demo. */
  async settled(name: DomainName): Promise<void> {
    await this.running.get(name.ascii);
  }

  /** Starts the steps in the background; nothing when they already run for the domain. */
  start(name: DomainName): void {
    if (this.running.has(name.ascii)) return;
    const run = this.provision(name)
      .catch((error) => this.logger.error(`Provisioning ${name.ascii} failed unexpectedly: ${String(error)}`))
      .finally(() => this.running.delete(name.ascii));
    this.running.set(name.ascii, run);
  }

  private async provision(name: DomainName): Promise<void> {
    try {
      await this.runSteps(name);
    } catch (error) {
      const failure = error instanceof StepFailure ? error : new StepFailure('policy-file', error);
      const message = describe(failure.cause);
      this.audit.log({
        domain: name.ascii,
        action: 'provisioned',
        outcome: 'failed',
        step: failure.step,
        detail: message,
      });
      const failed = await this.store.findByName(name.ascii);
      if (!failed) return;
      await this.store.apply(failed, stepFailed(failure.step, message));
      await this.checks.refreshBadge(failed.id);
    }
  }

  private async runSteps(name: DomainName): Promise<void> {
    const entity = await this.store.get(name.ascii);
    const step = async <T>(id: ProvisioningStep, work: () => Promise<T>): Promise<T> => {
      await this.store.apply(entity, stepReached(id));
      try {
        return await work();
      } catch (error) {
        throw new StepFailure(id, error);
      }
    };

    const policy = await step('policy-file', async () => {
      const rendered = policyOf(entity);
      if (!rendered) throw new ConflictError(entity.mxProblem ?? `${name.ascii} has no MX records.`);
      await this.host.writePolicy(name.ascii, rendered.text);
      if (entity.servedPolicyId !== rendered.id) {
        await this.store.update(entity.id, { servedPolicyId: rendered.id, policyVisibleAt: null });
      }
      return rendered;
    });

    // A certificate kept from an earlier Enable goes straight back into service.
    let certificate = await this.reusableCertificate(name, entity);
    await step('http-vhost', async () => {
      await this.host.serve(name, certificate !== undefined);
    });

    if (!certificate) {
      await step('dns-check', async () => {
        // Where the panel writes the zone, the policy host's address goes in first.
        await this.host.publishRecords(name, true);
        await this.preflight.assertResolvesHere(name);
      });
      await step('http-probe', () => this.preflight.assertServesChallenges(name));
      certificate = await step('certificate', async () => {
        return this.issuer.issue(name);
      });
      await this.store.update(entity.id, installedCertificateFields(certificate, this.issuer.directoryUrl));
      await step('https-vhost', () => this.host.serve(name, true));
    }

    const served = certificate;
    await step('self-check', () => this.preflight.assertServesPolicy(name, policy.text, served.fingerprint256));
    // The card should show results as soon as the domain is active, not at the next scheduled run.
    await this.checks.run(await this.store.get(name.ascii)).catch((error: unknown) => {
      this.logger.warn(`First checks of ${name.ascii} failed to run: ${String(error)}`);
    });
    const now = this.clock.now();
    const current = await this.store.get(name.ascii);
    await this.store.apply(current, activate(current, now));
    // Served over HTTPS now: the id may be published (RFC 8461 §8.1).
    await this.host.publishRecords(name, false);
    await this.checks.refreshBadge(entity.id);
    this.audit.log({
      domain: name.ascii,
      action: 'provisioned',
      outcome: 'done',
      policyIdAfter: policy.id,
      detail: trail.active(policy.id, name.policyHost),
    });
  }

  private async reusableCertificate(
    name: DomainName,
    entity: MtaStsDomainEntity,
  ): Promise<CertificateInfo | undefined> {
    // Never swap a certificate from one CA directory (production) for another's (staging).
    if (entity.certDirectoryUrl !== this.issuer.directoryUrl) return undefined;
    const stored = await this.issuer.stored(name.ascii);
    return stored && isReusable(stored.info, name.policyHost, this.clock.now()) ? stored.info : undefined;
  }
}

function describe(error: unknown): string {
  const storage = storageFailure(error);
  if (storage) return storage.message;
  if (error instanceof OperationFailedError && error.detail && !error.message.includes(error.detail)) {
    return `${error.message} Details: ${error.detail}`;
  }
  return errorSentence(error);
}
