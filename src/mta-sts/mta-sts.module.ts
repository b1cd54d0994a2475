import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AcmeClientCertificateAuthority } from './adapters/acme/acme-client.certificate-authority';
import { ChildProcessRunner } from './adapters/child-process.runner';
import { FsFileStore } from './adapters/fs.file-store';
import { NginxWebServer } from './adapters/nginx/nginx.web-server';
import { NodeDnsResolver } from './adapters/node-dns.resolver';
import { NodeHttpClient } from './adapters/node-http.client';
import { SystemClock } from './adapters/system.clock';
import { MTA_STS_MODULE_OPTIONS, MtaStsConfigurableModule } from './mta-sts.module-definition';
import { MtaStsModuleOptions, ResolvedMtaStsOptions, resolveMtaStsOptions } from './mta-sts.options';
import { MTA_STS_OPTIONS, MTA_STS_RANDOM, MTA_STS_ROUTES } from './mta-sts.tokens';
import { ScheduledJobs } from './jobs/scheduled-jobs';
import { DomainStore } from './ports/domain-store.port';
import { TypeOrmDomainStore } from './persistence/typeorm-domain.store';
import { Transactions } from './persistence/transactions';
import { TypeOrmAuditTrail } from './persistence/typeorm-audit-trail';
import { AuditTrail } from './ports/audit-trail.port';
import { CheckResults } from './ports/check-results.port';
import { TypeOrmCheckResults } from './persistence/typeorm-check-results';
import { ChecksService } from './services/checks.service';
import { CheckEvidence } from './services/check-evidence';
import { DomainLocks } from './services/domain-locks';
import { RenewalService } from './services/renewal.service';
import { RenewalOutcomes } from './services/renewal-outcomes';
import { MTA_STS_ENTITIES } from './persistence';
import {
  CertificateAuthority,
  Clock,
  DnsResolver,
  FileStore,
  HttpClient,
  Notifier,
  ProcessRunner,
  SmtpProber,
  WebServer,
} from './ports';
import { NodeSmtpProber } from './adapters/smtp/node-smtp.prober';
import { createNotifier } from './adapters/notify/notify-settings';
import { RetirementService } from './services/retirement.service';
import { RetirementSweep } from './services/retirement-sweep';
import { CheckFollowUps } from './services/check-follow-ups';
import { AutomaticChanges } from './services/automatic-changes';
import { AuditService } from './services/audit.service';
import { ActionLog } from './services/action-log';
import { NotificationsService } from './services/notifications.service';
import { CertificateStore } from './services/certificate-store';
import { ChallengeAnswers, ChallengeFiles } from './services/challenge-files';
import { DataSource } from 'typeorm';
import { ClusterBus } from './ports/cluster-bus.port';
import { ClusterState } from './ports/cluster-state.port';
import { PostgresClusterBus } from './adapters/postgres/postgres-cluster-bus';
import { TypeOrmClusterState } from './persistence/typeorm-cluster-state';
import { SharedBundles } from './services/cluster/shared-bundles';
import { SharedChallenges } from './services/cluster/shared-challenges';
import { NodeFiles } from './services/cluster/node-files';
import { Leadership } from './services/cluster/leadership';
import { ClusterLocks } from './services/cluster/cluster-locks';
import { SweepTurns } from './services/cluster/sweep-turns';
import { ClusterNode } from './services/cluster/cluster-node';
import { NodesView } from './services/cluster/nodes-view';
import { PolicyHostAddresses } from './services/cluster/host-addresses';
import { EnableOutcomes } from './services/enable-outcomes';
import { DataLayout } from './services/data-layout';
import { DomainsService } from './services/domains.service';
import { MxLookupService } from './services/mx-lookup.service';
import { PreflightService } from './services/preflight.service';
import { ProvisioningService } from './services/provisioning.service';
import { EnableRun } from './services/enable-run';
import { StartupRecovery } from './services/startup-recovery';
import { PolicyFilesRecovery } from './services/policy-files-recovery';
import { DataDirectory } from './services/data-directory';
import { PageAccessGuard } from './web/pages/page-access.guard';
import { PageErrorFilter } from './web/pages/page-error.filter';
import { PageCsrf } from './web/pages/page-csrf';
import { PageActions } from './web/pages/page-actions';
import { OperationsService } from './services/operations.service';
import { MtaStsErrorFilter } from './web/mta-sts-error.filter';
import { StorageFailures } from './web/storage-locations';
import { PolicyService } from './services/policy.service';
import { PolicyHost } from './services/policy-host';
import { CertificateIssuer } from './services/certificate-issuer';
import { PageRenderer } from './web/page-renderer';
import { ConfiguredDnsZones } from './adapters/dns-update/configured-dns-zones';
import { DnsZones } from './ports/dns-zones.port';
import { DnsPublishing } from './services/dns-publishing';
import { ReportIntake } from './services/report-intake';
import { TlsReports } from './ports/tls-reports.port';
import { TypeOrmTlsReports } from './persistence/typeorm-tls-reports';
import { FetchActivity } from './services/fetch-activity';
import { PolicyFetches } from './ports/policy-fetches.port';
import { TypeOrmPolicyFetches } from './persistence/typeorm-policy-fetches';
import { ReportJobs } from './jobs/report-jobs';
import { ReportsView } from './services/reports-view';
import { CardExtras } from './web/pages/card-extras';
import { PolicyChecks } from './services/policy-checks';
import { MailboxIntake } from './services/mailbox-intake';
import { ReportMailbox } from './ports/report-mailbox.port';
import { ImapReportMailbox } from './adapters/tls-reports/imap-mailbox';
import { LifecycleActions } from './web/pages/lifecycle-actions';
import { PolicyActions } from './web/pages/policy-actions';

/**
 * MTA-STS provisioning. The host panel owns the singletons: it registers
 * `MTA_STS_ENTITIES` and `MTA_STS_MIGRATIONS` with its own TypeORM data source and calls
 * `ScheduleModule.forRoot()` itself; this module only uses them. Its controllers are
 * added by `forRoot`/`forRootAsync`, at the route prefixes given there (`routes`).
 */
@Module({
  imports: [TypeOrmModule.forFeature(MTA_STS_ENTITIES)],
  providers: [
    {
      provide: MTA_STS_OPTIONS,
      inject: [MTA_STS_MODULE_OPTIONS],
      useFactory: (options: MtaStsModuleOptions) => resolveMtaStsOptions(options),
    },
    { provide: Clock, useClass: SystemClock },
    Transactions,
    { provide: DomainStore, useClass: TypeOrmDomainStore },
    { provide: AuditTrail, useClass: TypeOrmAuditTrail },
    { provide: CheckResults, useClass: TypeOrmCheckResults },
    { provide: MTA_STS_RANDOM, useValue: Math.random },
    { provide: FileStore, useClass: FsFileStore },
    { provide: ProcessRunner, useClass: ChildProcessRunner },
    { provide: HttpClient, useClass: NodeHttpClient },
    {
      provide: DnsResolver,
      inject: [MTA_STS_OPTIONS],
      useFactory: (options: ResolvedMtaStsOptions) =>
        new NodeDnsResolver({ servers: options.dns.servers, timeoutMs: options.dns.timeoutMs, tries: 2 }),
    },
    {
      provide: DataLayout,
      inject: [MTA_STS_OPTIONS],
      useFactory: (options: ResolvedMtaStsOptions) => new DataLayout(options.dataDir),
    },
    {
      provide: WebServer,
      inject: [MTA_STS_OPTIONS, FileStore, ProcessRunner, DataLayout],
      useFactory: (options: ResolvedMtaStsOptions, files: FileStore, processes: ProcessRunner, layout: DataLayout) =>
        new NginxWebServer(
          {
            ...options.nginx,
            workerOwner: options.nginx.workerUser,
            reportIntake: options.reports.https,
            fetchLog: options.reports.fetchLog,
            paths: {
              servedDir: layout.servedDir,
              policiesDir: layout.policiesDir,
              acmeWebroot: layout.acmeWebroot,
              certificatesDir: layout.certificatesDir,
            },
          },
          files,
          processes,
        ),
    },
    {
      provide: CertificateAuthority,
      inject: [MTA_STS_OPTIONS, FileStore, DataLayout],
      useFactory: (options: ResolvedMtaStsOptions, files: FileStore, layout: DataLayout) =>
        new AcmeClientCertificateAuthority(
          {
            directoryUrl: options.acme.directoryUrl,
            email: options.acme.email,
            extraCaPem: options.acme.caPem,
            accountDir: layout.accountDir,
            requestTimeoutMs: options.acme.requestTimeoutMs,
          },
          files,
        ),
    },
    {
      provide: SmtpProber,
      inject: [MTA_STS_OPTIONS, DnsResolver],
      useFactory: (options: ResolvedMtaStsOptions, dns: DnsResolver) =>
        new NodeSmtpProber(
          {
            port: options.checks.smtpProbe.port,
            timeoutMs: options.checks.smtpProbe.timeoutMs,
            heloName: options.checks.smtpProbe.heloName,
            extraCaPem: options.checks.caPem,
          },
          dns,
        ),
    },
    {
      provide: Notifier,
      inject: [MTA_STS_OPTIONS],
      useFactory: (options: ResolvedMtaStsOptions) => createNotifier(options.notifications) ?? null,
    },
    // Several nodes (options.cluster): what they share goes through the PostgreSQL database.
    {
      provide: ClusterBus,
      inject: [MTA_STS_OPTIONS, DataSource],
      useFactory: (options: ResolvedMtaStsOptions, source: DataSource) =>
        options.cluster ? new PostgresClusterBus(source, options.cluster.node) : null,
    },
    {
      provide: ClusterState,
      inject: [MTA_STS_OPTIONS, DataSource],
      useFactory: (options: ResolvedMtaStsOptions, source: DataSource) =>
        options.cluster ? new TypeOrmClusterState(source) : null,
    },
    {
      provide: SharedBundles,
      inject: [MTA_STS_OPTIONS, ClusterState],
      useFactory: (options: ResolvedMtaStsOptions, state: ClusterState | null) =>
        options.cluster && state ? new SharedBundles(state, options.cluster.key) : null,
    },
    {
      provide: CertificateStore,
      inject: [FileStore, DataLayout, MTA_STS_OPTIONS, SharedBundles],
      useFactory: (
        files: FileStore,
        layout: DataLayout,
        options: ResolvedMtaStsOptions,
        shared: SharedBundles | null,
      ) =>
        new CertificateStore(
          files,
          layout,
          { workerOwner: options.nginx.layout === 'shared' ? options.nginx.workerUser : undefined },
          shared ?? undefined,
        ),
    },
    {
      provide: ChallengeAnswers,
      inject: [FileStore, DataLayout, MTA_STS_OPTIONS, ClusterState],
      useFactory: (
        files: FileStore,
        layout: DataLayout,
        options: ResolvedMtaStsOptions,
        state: ClusterState | null,
      ) => {
        const local = new ChallengeFiles(files, layout.challengeDir);
        return options.cluster && state ? new SharedChallenges(local, state, options.cluster.node) : local;
      },
    },
    {
      provide: NodeFiles,
      inject: [MTA_STS_OPTIONS, DomainStore, ClusterState, PolicyHost, CertificateStore, SharedBundles, WebServer],
      useFactory: (
        options: ResolvedMtaStsOptions,
        store: DomainStore,
        state: ClusterState | null,
        host: PolicyHost,
        certificates: CertificateStore,
        bundles: SharedBundles | null,
        web: WebServer,
      ) =>
        options.cluster && state && bundles
          ? new NodeFiles(options.cluster.node, store, state, host, certificates, bundles, web)
          : null,
    },
    Leadership,
    ClusterLocks,
    SweepTurns,
    ClusterNode,
    NodesView,
    PolicyHostAddresses,
    EnableOutcomes,
    PageRenderer,
    PageAccessGuard,
    PageErrorFilter,
    PageCsrf,
    PageActions,
    LifecycleActions,
    PolicyActions,
    OperationsService,
    MtaStsErrorFilter,
    StorageFailures,
    PolicyService,
    PolicyHost,
    CertificateIssuer,
    RetirementService,
    RetirementSweep,
    CheckFollowUps,
    AutomaticChanges,
    AuditService,
    ActionLog,
    NotificationsService,
    DomainLocks,
    ChecksService,
    CheckEvidence,
    RenewalService,
    RenewalOutcomes,
    ScheduledJobs,
    MxLookupService,
    DomainsService,
    PreflightService,
    ProvisioningService,
    EnableRun,
    StartupRecovery,
    PolicyFilesRecovery,
    DataDirectory,
    DnsPublishing,
    { provide: DnsZones, useClass: ConfiguredDnsZones },
    ReportIntake,
    { provide: TlsReports, useClass: TypeOrmTlsReports },
    FetchActivity,
    { provide: PolicyFetches, useClass: TypeOrmPolicyFetches },
    ReportsView,
    ReportJobs,
    CardExtras,
    PolicyChecks,
    MailboxIntake,
    {
      provide: ReportMailbox,
      inject: [MTA_STS_OPTIONS],
      useFactory: (options: ResolvedMtaStsOptions) =>
        options.reports.imap ? new ImapReportMailbox(options.reports.imap) : null,
    },
  ],
  exports: [
    DomainsService,
    ProvisioningService,
    PolicyService,
    RetirementService,
    AuditService,
    NotificationsService,
    ChecksService,
    RenewalService,
    DnsPublishing,
    ReportIntake,
    FetchActivity,
    ReportsView,
    MailboxIntake,
    ScheduledJobs,
    PageRenderer,
    MTA_STS_OPTIONS,
    MTA_STS_ROUTES,
  ],
})
export class MtaStsModule extends MtaStsConfigurableModule {}
