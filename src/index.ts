/**
 * What a host panel imports: the module, its options, its entities and migrations, and
 * the services it may call from its own controllers and buttons.
 *
 * A host's own "Enable" button, for instance, calls `ProvisioningService.enable(domain)`
 * and shows `EnableResult`; every service method takes the domain as the user typed it
 * (checked and normalised inside) and an optional `Actor` for the audit trail, and
 * throws one of the `MtaStsError` classes below with a sentence fit to show as it is.
 */
export { MtaStsModule } from './mta-sts/mta-sts.module';
export type {
  ClusterOptions,
  MtaStsModuleOptions,
  NginxLayout,
  ResolvedMtaStsOptions,
} from './mta-sts/mta-sts.options';
export {
  LETSENCRYPT_PRODUCTION,
  LETSENCRYPT_STAGING,
  NGINX_HASH_BUCKET_SIZE,
  resolveMtaStsOptions,
} from './mta-sts/mta-sts.options';
export type { NotificationOptions } from './mta-sts/adapters/notify/notify-settings';
export type { MtaStsPage, PageBackLink, PageLayout, PageRole } from './mta-sts/web/pages/page-options';
export { PAGE_CSP } from './mta-sts/web/pages/page-headers';
/** The pages' renderer and form helpers, for a host's own pages in the same look (a sign-in form). */
export { PageRenderer } from './mta-sts/web/page-renderer';
export { CSRF_FIELD, csrfToken, csrfValid } from './mta-sts/web/pages/csrf';
export { readCookies } from './mta-sts/web/pages/cookies';
export { RESTORED_MARKER } from './mta-sts/services/data-layout';
export type { MtaStsRoutes, ResolvedMtaStsRoutes } from './mta-sts/web/route-prefixes';
export { DEFAULT_ROUTES } from './mta-sts/web/route-prefixes';
export { MTA_STS_OPTIONS, MTA_STS_ROUTES } from './mta-sts/mta-sts.tokens';
export { MTA_STS_ENTITIES, MTA_STS_MIGRATIONS, MtaStsDomainEntity, quietSqlite3 } from './mta-sts/persistence';
export { DomainsService } from './mta-sts/services/domains.service';
export { ProvisioningService } from './mta-sts/services/provisioning.service';
export type { DomainView } from './mta-sts/services/domain-view';
export type { EnableResult } from './mta-sts/services/provisioning.service';
export type { RemoveResult, RetireResult } from './mta-sts/services/retirement.service';
export type { PolicyChange } from './mta-sts/services/policy.service';
export { PolicyService } from './mta-sts/services/policy.service';
export { RetirementService } from './mta-sts/services/retirement.service';
export { RenewalService } from './mta-sts/services/renewal.service';
export { DnsPublishing } from './mta-sts/services/dns-publishing';
export type { PublicationPreview, PublicationResult } from './mta-sts/services/dns-publishing';
export type { PublicationStep } from './mta-sts/domain/dns-publication';
export type {
  DnsPublishingOptions,
  DnsZoneOptions,
  PowerDnsZoneOptions,
  Rfc2136ZoneOptions,
} from './mta-sts/options/dns-publishing-options';
export type { HttpsReportOptions, ImapReportOptions, ReportsOptions } from './mta-sts/options/reports-options';
export { ReportsView } from './mta-sts/services/reports-view';
export type { DomainReports, OverviewDomain, ReportsOverview } from './mta-sts/services/reports-view';
export { ReportIntake } from './mta-sts/services/report-intake';
export { FetchActivity } from './mta-sts/services/fetch-activity';
export { MailboxIntake } from './mta-sts/services/mailbox-intake';
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
  DnsUpdateError,
  StorageFailedError,
} from './mta-sts/domain/errors';
