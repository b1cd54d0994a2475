import { ChecksAndRenewals1763900000000 } from './migrations/1763900000000-checks-and-renewals';
import { CreateMtaStsDomains1763800000000 } from './migrations/1763800000000-create-mta-sts-domains';
import { DomainBadge1764000000000 } from './migrations/1764000000000-domain-badge';
import { Lifecycle1764100000000 } from './migrations/1764100000000-lifecycle';
import { PolicyInstances1764200000000 } from './migrations/1764200000000-policy-instances';
import { MaxAgeBeforeRetire1764300000000 } from './migrations/1764300000000-max-age-before-retire';
import { DnsPublishing1764500000000 } from './migrations/1764500000000-dns-publishing';
import { TlsReports1764600000000 } from './migrations/1764600000000-tls-reports';
import { MtaStsDomainActivityEntity } from './mta-sts-domain-activity.entity';
import { PolicyFetches1764700000000 } from './migrations/1764700000000-policy-fetches';
import { CheckDigests1764800000000 } from './migrations/1764800000000-check-digests';
import { Cluster1764900000000 } from './migrations/1764900000000-cluster';
import { ListSearchIndexes1765000000000 } from './migrations/1765000000000-list-search-indexes';
import { MtaStsFetcherEntity, MtaStsLogCursorEntity, MtaStsPolicyFetchEntity } from './mta-sts-policy-fetch.entity';
import { MtaStsTlsDailyEntity, MtaStsTlsFailureEntity, MtaStsTlsReportEntity } from './mta-sts-tls-report.entity';
import { MtaStsActionEntity } from './mta-sts-action.entity';
import { MtaStsCheckEntity, MtaStsCheckEventEntity } from './mta-sts-check.entity';
import { MtaStsDomainEntity } from './mta-sts-domain.entity';
import { quietSqlite3 } from './sqlite-driver';

export {
  quietSqlite3,
  MtaStsActionEntity,
  MtaStsCheckEntity,
  MtaStsCheckEventEntity,
  MtaStsDomainEntity,
  MtaStsTlsDailyEntity,
  MtaStsTlsFailureEntity,
  MtaStsTlsReportEntity,
  MtaStsPolicyFetchEntity,
  MtaStsFetcherEntity,
  MtaStsLogCursorEntity,
  MtaStsDomainActivityEntity,
};

/** Entities a host registers with its TypeORM data source. */
export const MTA_STS_ENTITIES = [
  MtaStsDomainEntity,
  MtaStsCheckEntity,
  MtaStsCheckEventEntity,
  MtaStsActionEntity,
  MtaStsTlsReportEntity,
  MtaStsTlsDailyEntity,
  MtaStsTlsFailureEntity,
  MtaStsPolicyFetchEntity,
  MtaStsFetcherEntity,
  MtaStsLogCursorEntity,
  MtaStsDomainActivityEntity,
];

/** Migrations a host registers with its TypeORM data source, oldest first. */
export const MTA_STS_MIGRATIONS = [
  CreateMtaStsDomains1763800000000,
  ChecksAndRenewals1763900000000,
  DomainBadge1764000000000,
  Lifecycle1764100000000,
  PolicyInstances1764200000000,
  MaxAgeBeforeRetire1764300000000,
  DnsPublishing1764500000000,
  TlsReports1764600000000,
  PolicyFetches1764700000000,
  CheckDigests1764800000000,
  Cluster1764900000000,
  ListSearchIndexes1765000000000,
];
