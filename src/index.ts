/**
 * What a host panel imports: the module, its options, its entities and migrations, and
 * the services it may call from its own controllers.
 */
export { MtaStsModule } from './mta-sts/mta-sts.module';
export type { MtaStsModuleOptions, NginxLayout, PageRole, ResolvedMtaStsOptions } from './mta-sts/mta-sts.options';
export { LETSENCRYPT_PRODUCTION, LETSENCRYPT_STAGING, resolveMtaStsOptions } from './mta-sts/mta-sts.options';
export { MTA_STS_OPTIONS } from './mta-sts/mta-sts.tokens';
export { MTA_STS_ENTITIES, MTA_STS_MIGRATIONS, MtaStsDomainEntity } from './mta-sts/persistence';
export { DomainsService } from './mta-sts/services/domains.service';
export { ProvisioningService } from './mta-sts/services/provisioning.service';
export type { DomainView } from './mta-sts/services/domain-view';
export type { EnableResult } from './mta-sts/services/provisioning.service';
export type { RemoveResult, RetireResult } from './mta-sts/services/retirement.service';
export type { PolicyChange } from './mta-sts/services/policy.service';
export { PolicyService } from './mta-sts/services/policy.service';
export { RetirementService } from './mta-sts/services/retirement.service';
export type { Actor } from './mta-sts/services/audit.service';
export {
  ConflictError,
  DomainNotFoundError,
  InvalidInputError,
  InvalidOptionError,
  MtaStsError,
  OperationFailedError,
  PromotionRefusedError,
  CertificateAuthorityError,
  StorageFailedError,
} from './mta-sts/domain/errors';
