import { Inject, Injectable } from '@nestjs/common';
import { DomainName } from '../domain/hostname';
import { MxProblem, mxPatternsFromExchanges } from '../domain/policy';
import { OperationFailedError } from '../domain/errors';
import { DnsResolver } from '../ports/dns-resolver.port';

export interface MxLookup {
  readonly patterns: string[];
  /** Why these MX records cannot back a policy (none, null MX, a bad host name). */
  readonly problem: string | null;
}

/** The live MX records of a domain, as `mx:` patterns, through the module's resolver. */
@Injectable()
export class MxLookupService {
  constructor(@Inject(DnsResolver) private readonly dns: DnsResolver) {}

  async lookup(domain: DomainName): Promise<MxLookup> {
    let exchanges: string[];
    try {
      exchanges = (await this.dns.resolveMx(domain.ascii)).map((record) => record.exchange);
    } catch (error) {
      throw new OperationFailedError(
        `The MX records of ${domain.ascii} could not be looked up (${(error as Error).message}). Check the DNS servers this panel uses and try again.`,
      );
    }
    try {
      return { patterns: mxPatternsFromExchanges(domain.ascii, exchanges), problem: null };
    } catch (error) {
      if (error instanceof MxProblem) return { patterns: [], problem: error.message };
      throw error;
    }
  }
}
