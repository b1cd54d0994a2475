import { Injectable } from '@nestjs/common';
import { flashes } from '../../domain/wording';
import { PolicyChange, PolicyService } from '../../services/policy.service';
import type { Flash } from './flash';

/** The card's actions on what the policy says: Promote, Revert, max_age, Refresh MX. */
@Injectable()
export class PolicyActions {
  constructor(private readonly policies: PolicyService) {}

  async handle(
    domain: string,
    action: string,
    body: Record<string, unknown>,
    actor: string,
  ): Promise<Flash | undefined> {
    switch (action) {
      case 'promote': {
        const result = await this.policies.setMode(domain, 'enforce', actor, {
          overrideReports: body.overrideReports === 'yes',
        });
        return { kind: 'success', text: flashes.promoted(change(result)) };
      }
      case 'revert': {
        const result = await this.policies.setMode(domain, 'testing', actor);
        return { kind: 'success', text: flashes.reverted(change(result)) };
      }
      case 'max-age': {
        const result = await this.policies.setMaxAge(domain, body.maxAge, actor);
        return { kind: 'success', text: flashes.maxAge(result.domain.maxAge, change(result)) };
      }
      case 'refresh-mx': {
        const result = await this.policies.refreshMx(domain, actor);
        return result.policyChanged
          ? { kind: 'success', text: flashes.mxFollowed(result.domain.mx, change(result)) }
          : { kind: 'info', text: flashes.mxAlreadyMatch(result.domain.mx) };
      }
      default:
        return undefined;
    }
  }
}

/**
 * After a change to a served policy, the TXT record must follow (RFC 8461 §8.1). Every
 * change mints an id never announced before, so there is always something to publish.
 */
function change(result: Pick<PolicyChange, 'domain' | 'idChanged' | 'policyChanged'>) {
  return { newId: result.idChanged ? result.domain.servedPolicyId : null, policyChanged: result.policyChanged };
}
