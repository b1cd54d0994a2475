import { BeforeApplicationShutdown, Inject, Injectable, Logger } from '@nestjs/common';
import { CertificateInfo, isReusable } from '../domain/certificate';
import { ProvisioningStep, isProvisioning } from '../domain/domain-state';
import { ConflictError, OperationFailedError, errorSentence } from '../domain/errors';
import { DomainName } from '../domain/hostname';
import { policyOf } from '../domain/policy-id';
import { storageFailure } from '../domain/storage-failure';
import { stepReached } from '../domain/transitions';
import { MtaStsDomainEntity } from '../persistence/mta-sts-domain.entity';
import { Clock } from '../ports/clock.port';
import { DomainStore } from '../ports/domain-store.port';
import { CertificateIssuer } from './certificate-issuer';
import { installedCertificateFields } from './certificate-store';
import { ClusterLocks } from './cluster/cluster-locks';
import { EnableOutcomes } from './enable-outcomes';
import { PolicyHost } from './policy-host';
import { PreflightService } from './preflight.service';

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
    private readonly outcomes: EnableOutcomes,
    private readonly clusterLocks: ClusterLocks,
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

  /**
   * Starts the steps in the background; nothing when they already run for the domain, on
   * this node or (in a cluster) on another one.
   */
  start(name: DomainName): void {
    if (this.running.has(name.ascii)) return;
    const run = this.provision(name)
      .catch((error) => this.logger.error(`Provisioning ${name.ascii} failed unexpectedly: ${String(error)}`))
      .finally(() => this.running.delete(name.ascii));
    this.running.set(name.ascii, run);
  }

  /**
   * Picks up provisioning that no node runs any more: its node was stopped or killed in
   * the middle. The leader calls it; a domain another node still provisions is skipped.
   */
  async resumeOrphans(): Promise<void> {
    for (const entity of await this.store.findInStates(['provisioning'])) {
      this.start(DomainName.fromValidated(entity.name));
    }
  }

  private async provision(name: DomainName): Promise<void> {
    // In a cluster, the node whose Enable was interrupted (killed) released this lock with
    // its database session, and the leader picks the domain up; a node already running it
    // keeps it, so no second ACME order starts.
    const outcome = await this.clusterLocks.ifFree(`enable:${name.ascii}`, () => this.provisionHere(name));
    if (!outcome.held) this.logger.debug?.(`${name.ascii} is being provisioned by another node`);
  }

  private async provisionHere(name: DomainName): Promise<void> {
    // Read under the lock: another node may have finished (or failed) it meanwhile.
    const current = await this.store.findByName(name.ascii);
    if (!current || !isProvisioning(current.state)) return;
    try {
      await this.runSteps(name, current);
    } catch (error) {
      const failure = error instanceof StepFailure ? error : new StepFailure('policy-file', error);
      await this.outcomes.failed(name, failure.step, describe(failure.cause));
    }
  }

  private async runSteps(name: DomainName, entity: MtaStsDomainEntity): Promise<void> {
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
    await this.outcomes.activated(name, policy);
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
