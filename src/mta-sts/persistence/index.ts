import { CreateMtaStsDomains1763800000000 } from './migrations/1763800000000-create-mta-sts-domains';
import { MtaStsDomainEntity } from './mta-sts-domain.entity';

export { MtaStsDomainEntity };

/** Entities a host registers with its TypeORM data source. */
export const MTA_STS_ENTITIES = [MtaStsDomainEntity];

/** Migrations a host registers with its TypeORM data source, oldest first. */
export const MTA_STS_MIGRATIONS = [CreateMtaStsDomains1763800000000];
