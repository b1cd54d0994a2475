import { Inject, Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { ConflictError } from '../domain/errors';
import { DomainName, parseDomainName } from '../domain/hostname';
import { assertMaxAge, assertMode, PolicyMode } from '../domain/policy';
import { MtaStsDomainEntity } from '../persistence/mta-sts-domain.entity';
import { Clock } from '../ports/clock.port';
import { FileStore } from '../ports/file-store.port';
import { ChecksService } from './checks.service';
import { DataLayout } from './data-layout';
import { DomainView, policyOf } from './domain-view';
import { DomainLocks } from './domain-locks';
import { DomainsService } from './domains.service';
import { MxLookupService } from './mx-lookup.service';

export interface PolicyChange {
  readonly domain: DomainView;
  /** True when the policy text changed (whether or not it is served yet). */
  readonly policyChanged: boolean;
  /** True when the served policy (and so its id) changed: the `_mta-sts` TXT record must follow. */
  readonly idChanged: boolean;
}

/**
 * Changes to what the policy says: mode, max_age and the mx lines. On an active domain
 * the new policy file is published first and the admin updates the `_mta-sts` TXT id
 * afterwards (RFC 8461 §8.1): senders refetch only when they see the new id, and then
 * the new policy is already there.
 */
@Injectable()
export class PolicyService {
  constructor(
    @InjectRepository(MtaStsDomainEntity) private readonly domains: Repository<MtaStsDomainEntity>,
    @Inject(FileStore) private readonly files: FileStore,
    @Inject(Clock) private readonly clock: Clock,
    private readonly layout: DataLayout,
    private readonly locks: DomainLocks,
    private readonly catalogue: DomainsService,
    private readonly mxLookup: MxLookupService,
    private readonly checks: ChecksService,
  ) {}

  setMode(input: unknown, mode: unknown): Promise<PolicyChange> {
    const wanted: PolicyMode = assertMode(mode);
    return this.change(input, () => ({ mode: wanted }));
  }

  setMaxAge(input: unknown, maxAge: unknown): Promise<PolicyChange> {
    const wanted = assertMaxAge(typeof maxAge === 'string' && /^\d+$/.test(maxAge) ? Number(maxAge) : maxAge);
    return this.change(input, () => ({ maxAge: wanted }));
  }

  /** Rebuilds the `mx` lines from the live MX records. A domain whose MX records cannot back a policy is left as it is. */
  refreshMx(input: unknown): Promise<PolicyChange> {
    return this.change(input, async (entity) => {
      const mx = await this.mxLookup.lookup(DomainName.fromValidated(entity.name));
      if (mx.problem) throw new ConflictError(`The policy was not changed: ${mx.problem}`);
      return { mx: mx.patterns, mxProblem: null, mxCheckedAt: this.clock.now() };
    });
  }

  private change(
    input: unknown,
    compute: (entity: MtaStsDomainEntity) => Partial<MtaStsDomainEntity> | Promise<Partial<MtaStsDomainEntity>>,
  ): Promise<PolicyChange> {
    const name = parseDomainName(input);
    return this.locks.run(name.ascii, async () => {
      const entity = await this.catalogue.find(name);
      if (entity.state === 'provisioning') {
        throw new ConflictError(`${name.ascii} is being provisioned; change its policy once that has finished.`);
      }
      const updated = { ...entity, ...(await compute(entity)) };
      const policy = policyOf(updated);
      const policyChanged = policy?.id !== policyOf(entity)?.id;
      let idChanged = false;
      if (entity.state === 'active' && policy && policy.id !== entity.servedPolicyId) {
        // Publish first; the TXT record follows (§8.1).
        await this.files.writeAtomic(this.layout.policyFile(name.ascii), policy.text, 0o644);
        updated.servedPolicyId = policy.id;
        idChanged = true;
      }
      await this.domains.save(updated);
      // The policy-record check now reports the new id as not yet visible in DNS.
      if (idChanged) await this.checks.run(await this.catalogue.find(name));
      return { domain: await this.catalogue.view(await this.catalogue.find(name)), policyChanged, idChanged };
    });
  }
}
