import { BeforeApplicationShutdown, Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { join } from 'node:path';
import { CertificateInfo, isReusable } from '../domain/certificate';
import { ProvisioningStep, SERVING_STATES } from '../domain/domain-state';
import { ConflictError, MtaStsError, OperationFailedError } from '../domain/errors';
import { storageFailure } from '../domain/storage-failure';
import { DomainName, parseDomainName } from '../domain/hostname';
import { ResolvedMtaStsOptions } from '../mta-sts.options';
import { MTA_STS_OPTIONS } from '../mta-sts.tokens';
import { MtaStsDomainEntity } from '../persistence/mta-sts-domain.entity';
import { DomainStore } from '../ports/domain-store.port';
import { activate, enableDecision, startEnable, stepFailed, stepReached } from '../domain/transitions';
import { Clock } from '../ports/clock.port';
import { FileStore } from '../ports/file-store.port';
import { WebServer } from '../ports/web-server.port';
import { installedCertificateFields } from './certificate-store';
import { DataLayout } from './data-layout';
import { CertificateIssuer } from './certificate-issuer';
import { PolicyHost } from './policy-host';
import { DomainView, policyOf, withPolicyIdentity } from './domain-view';
import { DomainsService } from './domains.service';
import { ChecksService } from './checks.service';
import { DomainLocks } from './domain-locks';
import { MxLookupService } from './mx-lookup.service';
import { PreflightService } from './preflight.service';
import { RetirementService } from './retirement.service';
import { RetirementSweep } from './retirement-sweep';
import { Actor, AuditService, SYSTEM_ACTOR } from './audit.service';

export interface EnableResult {
  readonly domain: DomainView;
  /** False when provisioning was already running (or the domain is already active). */
  readonly started: boolean;
  /** True when the domain was retiring and Enable cancelled the retirement. */
  readonly cancelledRetirement?: boolean;
}

/** The temporary names `FileStore.writeAtomic` and `symlinkAtomic` use. */
const STALE_TEMPORARY = /^\..+\.[0-9a-f]{12}\.tmp$/;

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
 * Enable and Disable. Enable is one action for the admin and a sequence of steps here,
 * ordered so that nothing irreversible or rate-limited happens before the cheap checks
 * pass, and nothing that was serving stops serving when a step fails:
 * policy file → port 80 vhost → DNS check → HTTP probe → certificate → HTTPS vhost → self-check.
 */
@Injectable()
export class ProvisioningService implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('MtaSts');
  /** Provisioning runs in flight, by domain; at most one each. */
  private readonly running = new Map<string, Promise<void>>();

  constructor(
    @Inject(DomainStore) private readonly store: DomainStore,
    @Inject(MTA_STS_OPTIONS) private readonly options: ResolvedMtaStsOptions,
    @Inject(WebServer) private readonly web: WebServer,
    @Inject(FileStore) private readonly files: FileStore,
    @Inject(Clock) private readonly clock: Clock,
    private readonly layout: DataLayout,
    private readonly host: PolicyHost,
    private readonly issuer: CertificateIssuer,
    private readonly catalogue: DomainsService,
    private readonly mxLookup: MxLookupService,
    private readonly preflight: PreflightService,
    private readonly locks: DomainLocks,
    private readonly checks: ChecksService,
    private readonly retirement: RetirementService,
    private readonly retirements: RetirementSweep,
    private readonly audit: AuditService,
  ) {}

  /**
   * After a stop at any point: serving domains get their policy file back from the
   * database (the database is written first, so it holds the newest intent), retirements
   * that came due are finished, and domains that were provisioning pick up where they were.
   * After a restore from backup (`.restored` in the data directory), every serving domain's
   * site is written to nginx again, so a fresh machine serves them all.
   */
  async onApplicationBootstrap(): Promise<void> {
    await this.removeStaleTemporaries();
    await this.web.resync().catch((error: unknown) => {
      this.logger.error(`Could not make nginx load the current configuration at start-up: ${String(error)}`);
    });
    const restored = (await this.files.read(this.layout.restoredMarker)) !== undefined;
    let failures = 0;
    // A page at a time: a server with thousands of domains never holds them all at once.
    for await (const entity of this.catalogue.stream(SERVING_STATES)) {
      await this.restorePolicyFile(entity).catch((error: unknown) => {
        this.logger.error(`Could not restore the policy file of ${entity.name}: ${String(error)}`);
      });
      if (!restored) continue;
      await this.host.serve(DomainName.fromValidated(entity.name), true).catch((error: unknown) => {
        failures++;
        this.logger.error(`Could not serve ${entity.name} again after the restore: ${String(error)}`);
      });
    }
    // Kept while a site failed, so the next start tries again.
    if (restored && failures === 0) await this.files.remove(this.layout.restoredMarker);
    await this.retirements.finishDue();
    const interrupted = await this.store.findInStates(['provisioning']);
    for (const entity of interrupted) {
      this.logger.log(`Resuming provisioning of ${entity.name} (stopped at ${entity.step ?? 'start'})`);
      this.start(DomainName.fromValidated(entity.name));
    }
  }

  /**
   * An atomic write that was interrupted leaves its temporary file (`.name.<hex>.tmp`)
   * behind, never a half-written file under the real name. No write runs yet at start-up,
   * so every such file is stale.
   */
  private async removeStaleTemporaries(): Promise<void> {
    const dirs = [
      this.layout.policiesDir,
      this.layout.challengeDir,
      this.layout.accountDir,
      this.layout.servedDir,
      this.options.nginx.sitesDir,
      this.layout.certificatesDir,
      ...(await this.files.list(this.layout.certificatesDir)).map((name) => join(this.layout.certificatesDir, name)),
    ];
    // No order or probe is in flight at start-up: every answer left in the webroot is stale,
    // and it would stay publicly served on port 80.
    for (const name of await this.files.list(this.layout.challengeDir).catch(() => [] as string[])) {
      await this.files.remove(join(this.layout.challengeDir, name)).catch(() => undefined);
    }
    for (const dir of dirs) {
      for (const name of await this.files.list(dir).catch(() => [] as string[])) {
        if (!STALE_TEMPORARY.test(name)) continue;
        this.logger.warn(`Removing ${join(dir, name)}, left by an interrupted write`);
        await this.files.remove(join(dir, name)).catch(() => undefined);
      }
    }
  }

  private async restorePolicyFile(entity: MtaStsDomainEntity): Promise<void> {
    const policy = policyOf(entity);
    if (!policy) return;
    if ((await this.host.readPolicy(entity.name)) === policy.text) return;
    this.logger.warn(`Rewriting the policy file of ${entity.name} (id ${policy.id}) after an interrupted change`);
    await this.host.writePolicy(entity.name, policy.text);
    if (entity.servedPolicyId !== policy.id) {
      await this.store.update(entity.id, {
        servedPolicyId: policy.id,
        policyPublishedAt: this.clock.now(),
        policyVisibleAt: null,
      });
    }
  }

  /** Lets running provisioning finish (bounded) before the database closes; the rest resumes at the next start. */
  async beforeApplicationShutdown(): Promise<void> {
    const pending = Promise.allSettled([...this.running.values()]);
    await Promise.race([pending, new Promise((resolve) => setTimeout(resolve, SHUTDOWN_GRACE_MS).unref())]);
  }

  /**
   * Starts provisioning. The MX look-up runs first, in the request, so "this domain has no
   * MX records" is an immediate answer; the rest runs in the background.
   */
  async enable(input: unknown, actor: Actor = SYSTEM_ACTOR): Promise<EnableResult> {
    const name = parseDomainName(input);
    return this.locks.run(name.ascii, async () => {
      const entity = await this.catalogue.find(name);
      const decision = enableDecision(entity.state);
      // Enable on a retiring domain cancels the retirement: the host is still there. Read
      // under the lock, so an Enable queued behind a Disable cancels what it finds.
      if (decision === 'cancel-retirement') {
        return {
          domain: await this.retirement.cancelLocked(entity, actor),
          started: false,
          cancelledRetirement: true,
        };
      }
      if (decision === 'already-serving') return { domain: await this.catalogue.view(entity), started: false };
      const mx = await this.mxLookup.lookup(name);
      const now = this.clock.now();
      const looked = withPolicyIdentity(entity, { mx: mx.patterns, mxProblem: mx.problem, mxCheckedAt: now }, now);
      await this.store.update(entity.id, looked);
      if (mx.problem) throw new ConflictError(`${name.ascii} cannot be enabled: ${mx.problem}`);
      await this.store.apply(entity, startEnable(entity, actor, looked.policyId ?? null));
      await this.checks.refreshBadge(entity.id);
      this.start(name);
      return { domain: await this.catalogue.view(await this.catalogue.find(name)), started: true };
    });
  }

  /** Resolves when the domain's provisioning run (if any) has finished. For tests and the demo. */
  async settled(input: unknown): Promise<void> {
    await this.running.get(parseDomainName(input).ascii);
  }

  private start(name: DomainName): void {
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
    const entity = await this.catalogue.find(name);
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
      await step('dns-check', () => this.preflight.assertResolvesHere(name));
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
    await this.checks.run(await this.catalogue.find(name)).catch((error: unknown) => {
      this.logger.warn(`First checks of ${name.ascii} failed to run: ${String(error)}`);
    });
    const now = this.clock.now();
    const current = await this.catalogue.find(name);
    await this.store.apply(current, activate(current, now));
    await this.checks.refreshBadge(entity.id);
    this.audit.log({
      domain: name.ascii,
      action: 'provisioned',
      outcome: 'done',
      policyIdAfter: policy.id,
      detail: `Active: policy ${policy.id} served at https://${name.policyHost}/.well-known/mta-sts.txt`,
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
  if (error instanceof MtaStsError) return error.message;
  return `Unexpected error: ${error instanceof Error ? error.message : String(error)}`;
}
