import type { ResolvedClusterOptions } from './resolve-cluster';
import type { ResolvedReports } from './resolve-reports';
import type { ResolvedDnsPublishing } from './resolve-dns-publishing';
import type { ResolvedNotificationOptions } from '../adapters/notify/notify-options';
import type { PageBackLink, PageLayout, PageRole } from '../web/pages/page-options';
import type { NginxLayout } from './module-options';

/** The options with every default applied and every value checked. */
export interface ResolvedMtaStsOptions {
  readonly dataDir: string;
  readonly serverIpv4?: string;
  readonly serverIpv6?: string;
  readonly tlsRptRua: string;
  readonly defaultMaxAge: number;
  readonly acme: {
    readonly directoryUrl: string;
    readonly email?: string;
    readonly caFile?: string;
    /** The extra CA's PEM, read at start-up. */
    readonly caPem?: string;
    readonly requestTimeoutMs: number;
  };
  readonly checks: {
    readonly cron: string;
    readonly jitterMs: number;
    readonly concurrency: number;
    /** The extra CA's PEM, read at start-up. */
    readonly caPem?: string;
    readonly smtpProbe: {
      readonly enabled: boolean;
      readonly port: number;
      readonly timeoutMs: number;
      readonly heloName: string;
      readonly cacheMs: number;
    };
  };
  readonly autoDowngrade: boolean;
  readonly retirement: { readonly txtTtlSeconds: number };
  readonly notifications: ResolvedNotificationOptions;
  readonly renewals: { readonly cron: string; readonly jitterMs: number; readonly concurrency: number };
  readonly dnsPublishing: ResolvedDnsPublishing;
  /** Undefined on a single node. */
  readonly cluster?: ResolvedClusterOptions;
  readonly reports: ResolvedReports;
  readonly dns: { readonly servers: readonly string[]; readonly timeoutMs: number };
  readonly nginx: {
    readonly bin: string;
    readonly args: readonly string[];
    readonly sitesDir: string;
    readonly pidFile: string;
    readonly httpListen: readonly string[];
    readonly httpsListen: readonly string[];
    readonly rejectUnknownSni: boolean;
    readonly serverNamesHashBucketSize: number;
    readonly commandTimeoutMs: number;
    readonly layout: NginxLayout;
    /** nginx's worker user, looked up in the system's user database; only for the shared layout. */
    readonly workerUser?: { readonly name: string; readonly uid: number; readonly gid: number };
  };
  readonly apiToken?: string;
  readonly authorizeApi?: (request: unknown) => boolean | Promise<boolean>;
  readonly resolveActor?: (request: unknown) => string | null | undefined | Promise<string | null | undefined>;
  readonly pages: {
    readonly resolveRole?: (request: unknown) => PageRole | null | Promise<PageRole | null>;
    readonly loginUrl?: string;
    readonly logoutUrl?: string;
    readonly sessionKey?: (request: unknown) => string | null | undefined | Promise<string | null | undefined>;
    readonly csrfSecret?: string;
    readonly layout?: PageLayout;
    readonly backLink?: PageBackLink;
    readonly contentSecurityPolicy: string;
  };
}
