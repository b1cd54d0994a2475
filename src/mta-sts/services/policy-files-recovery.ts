import { Inject, Injectable, Logger } from '@nestjs/common';
import { SERVING_STATES } from '../domain/domain-state';
import { DomainName } from '../domain/hostname';
import { policyOf } from '../domain/policy-id';
import { ResolvedMtaStsOptions } from '../mta-sts.options';
import { MTA_STS_OPTIONS } from '../mta-sts.tokens';
import { MtaStsDomainEntity } from '../persistence/mta-sts-domain.entity';
import { Clock } from '../ports/clock.port';
import { DomainStore } from '../ports/domain-store.port';
import { DataDirectory } from './data-directory';
import { PolicyHost } from './policy-host';

/**
 * At start-up on a single server: serving domains get their policy file back from the
 * database (the database is written first, so it holds the newest intent), and after a
 * restore from backup every serving domain's site is written to nginx again. On a node of
 * several, `NodeFiles` does this (and more) in the background instead.
 */
@Injectable()
export class PolicyFilesRecovery {
  private readonly logger = new Logger('MtaSts');

  constructor(
    @Inject(MTA_STS_OPTIONS) private readonly options: ResolvedMtaStsOptions,
    @Inject(DomainStore) private readonly store: DomainStore,
    @Inject(Clock) private readonly clock: Clock,
    private readonly host: PolicyHost,
    private readonly dataDirectory: DataDirectory,
  ) {}

  async run(): Promise<void> {
    if (this.options.cluster) return;
    const restored = await this.dataDirectory.restoredFromBackup();
    let failures = 0;
    // A page at a time: a server with thousands of domains never holds them all at once.
    for await (const entity of this.store.stream(SERVING_STATES)) {
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
    if (restored && failures === 0) await this.dataDirectory.clearRestoredMarker();
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
}
