import type { DnsPublishingOptions } from './dns-publishing-options';
import type { ReportsOptions } from './reports-options';
import type { NotificationOptions } from '../adapters/notify/notify-options';
import type { PageBackLink, PageLayout, PageRole } from '../web/pages/page-options';

/** Let's Encrypt's directories (acme-client has the same constants). */
export const LETSENCRYPT_PRODUCTION = 'https://acme-v02.api.letsencrypt.org/directory';
export const LETSENCRYPT_STAGING = 'https://acme-staging-v02.api.letsencrypt.org/directory';

/** nginx's `server_names_hash_bucket_size` for the longest policy host name (measured on nginx 1.22). */
export const NGINX_HASH_BUCKET_SIZE = 512;

/**
 * Options of `MtaStsModule`. A host panel passes them to `forRoot`/`forRootAsync`; the
 * standalone panel builds them from environment variables.
 */
export interface MtaStsModuleOptions {
  /**
   * Where the module keeps the ACME account, private keys, certificates and policy
   * files. nginx's worker user must be able to traverse it.
   * @default './data'
   */
  dataDir?: string;
  /** The public IPv4 address `mta-sts.<domain>` must point at. At least one of the two is required. */
  serverIpv4?: string;
  /** The public IPv6 address `mta-sts.<domain>` must point at. */
  serverIpv6?: string;
  /**
   * `rua` of the TLS-RPT record; `{domain}` is replaced by the domain.
   * @default the report intakes set up (`reports.https`: `https://mta-sts.{domain}/tlsrpt`;
   * `reports.imap`: its address), else 'mailto:tls-reports@{domain}'
   */
  tlsRptRua?: string;
  /**
   * `max_age` of new policies, in seconds (86400 to 31557600).
   * @default 604800
   */
  defaultMaxAge?: number;
  acme?: {
    /**
     * RFC 8555 directory URL; `letsencrypt-staging` and `letsencrypt-production` are shorthands.
     * @default Let's Encrypt production
     */
    directoryUrl?: string;
    /** Contact address registered with the ACME account (expiry notices). */
    email?: string;
    /** PEM file of an extra CA to trust for the ACME server's own HTTPS certificate. */
    caFile?: string;
    /**
     * Time limit of one ACME request, in milliseconds.
     * @default 30000
     */
    requestTimeoutMs?: number;
  };
  checks?: {
    /**
     * When the readiness checks run (cron with seconds), plus a random delay of up to
     * `jitterSeconds`.
     * @default '0 *\/15 * * * *' (every 15 minutes)
     */
    cron?: string;
    /** @default 60 */
    jitterSeconds?: number;
    /** Domains checked at the same time. @default 8 */
    concurrency?: number;
    /** PEM file of an extra CA that policy host certificates may chain to (tests, private PKI). */
    caFile?: string;
    /**
     * The STARTTLS probe of every MX host (port 25, TLS 1.2+, certificate valid for the
     * host). Turn it off only where this server cannot connect out on port 25; promotion
     * to enforce then no longer waits for it.
     */
    smtpProbe?: {
      /** @default true */
      enabled?: boolean;
      /** @default 25 */
      port?: number;
      /** Time limit of one probe of one address, in milliseconds. @default 15000 */
      timeoutMs?: number;
      /** The name sent in EHLO. @default this machine's host name */
      heloName?: string;
      /** How long a scheduled run reuses an MX host's result (shared MX hosts are probed once). @default 600 */
      cacheSeconds?: number;
    };
  };
  /**
   * Under enforce, go back to testing on its own when the policy host's certificate is
   * close to expiry with renewal failing, or an MX host fails the STARTTLS probe.
   * @default false
   */
  autoDowngrade?: boolean;
  /** Where notices go (badge changes, failed renewals, downgrades, finished retirements). */
  notifications?: NotificationOptions;
  retirement?: {
    /**
     * TTL of the `_mta-sts` TXT record at the DNS provider, added to the retirement wait.
     * @default 3600
     */
    txtTtlSeconds?: number;
  };
  renewals?: {
    /**
     * When due certificates are renewed (cron with seconds), plus a random delay of up to
     * `jitterSeconds` so many servers do not reach the CA at the same second.
     * @default '0 0 3,15 * * *' (twice a day)
     */
    cron?: string;
    /** @default 1800 */
    jitterSeconds?: number;
    /** Domains renewed at the same time. @default 2 */
    concurrency?: number;
  };
  /** TLS reports from senders (RFC 8460) and policy fetch activity. */
  reports?: ReportsOptions;
  /** Writing the DNS records into zones the panel may update; without it every domain stays manual. */
  dnsPublishing?: DnsPublishingOptions;
  /**
   * Several nodes serving the same domains from one PostgreSQL database (see README,
   * "Several nodes"). Without it, this server is the only one.
   */
  cluster?: ClusterOptions;
  dns?: {
    /**
     * DNS servers (`ip`, `ip:port` or `[ipv6]:port`) for every look-up the module makes.
     * @default [] (the system resolver's servers)
     */
    servers?: string[];
    /**
     * Time limit of one DNS query, in milliseconds.
     * @default 3000
     */
    timeoutMs?: number;
  };
  nginx?: {
    /** @default 'nginx' */
    bin?: string;
    /** Extra arguments for every nginx call, e.g. `['-p', DIR, '-c', FILE]`. @default [] */
    args?: string[];
    /** Where the vhost files go (a directory nginx includes in its `http` block). @default '/etc/nginx/conf.d' */
    sitesDir?: string;
    /** nginx's pid file; used to see when a reload has taken effect. @default '/run/nginx.pid' */
    pidFile?: string;
    /** `listen` values of the port 80 server blocks. @default ['80'], plus '[::]:80' when serverIpv6 is set */
    httpListen?: string[];
    /** `listen` values of the port 443 server blocks. @default ['443'], plus '[::]:443' when serverIpv6 is set */
    httpsListen?: string[];
    /** Adds the catch-all 443 server that refuses unknown SNI names. @default true */
    rejectUnknownSni?: boolean;
    /**
     * `server_names_hash_bucket_size`; 0 leaves nginx's own setting. 512 fits the longest
     * policy host Add accepts (250 characters; nginx 1.22 needs more than 256 for it).
     * @default 512
     */
    serverNamesHashBucketSize?: number;
    /** Time limit of one nginx command, in milliseconds. @default 30000 */
    commandTimeoutMs?: number;
    /**
     * How policy hosts are laid out in nginx. `'per-domain'`: one file with two server
     * blocks per host, and every Enable, Disable and renewal tests and reloads nginx; the
     * conventional choice for a few dozen domains. `'shared'`: one file serves every host,
     * nginx picks the certificate per TLS handshake from `<dataDir>/served/<host>.pem`,
     * and enabling, disabling and renewing need no reload; the choice for hundreds of
     * domains or more. The shared layout needs nginx 1.15.9 or later and a panel running
     * as root (it gives the certificate files to `workerUser`).
     * @default 'per-domain'
     */
    layout?: NginxLayout;
    /**
     * The user nginx's worker processes run as (nginx's `user` directive). In the shared
     * layout the workers read the certificate files, so those are written 0600 owned by
     * this user. Looked up at start-up when the layout is `'shared'`.
     * @default 'www-data'
     */
    workerUser?: string;
  };
  /**
   * Bearer token for the JSON API. When neither this nor `authorizeApi` is set, the API
   * refuses every request.
   */
  apiToken?: string;
  /**
   * A host panel's own check for API requests (its session, its roles). When set, it
   * decides instead of the bearer token.
   */
  authorizeApi?: (request: unknown) => boolean | Promise<boolean>;
  /**
   * Who is acting, for the audit trail (the host panel's user name). Without it, page
   * actions are recorded as `admin` and API calls as `api`.
   */
  resolveActor?: (request: unknown) => string | null | undefined | Promise<string | null | undefined>;
  pages?: {
    /**
     * Who is looking at the pages: `admin` may act, `viewer` may only look, `null` is not
     * signed in. Without it, browsers sign in with HTTP Basic and the API token as password
     * (as `admin`).
     */
    resolveRole?: (request: unknown) => PageRole | null | Promise<PageRole | null>;
    /** Where to send a visitor who is not signed in; without it they get 401. */
    loginUrl?: string;
    /** A sign-out form target shown in the page header (POST). */
    logoutUrl?: string;
    /**
     * The signed-in session a request belongs to (a session id, or a hash of one). The
     * CSRF token of every form is bound to it, so a token planted by someone who can set
     * cookies on the panel's host is refused. Without it, tokens are bound to a random
     * cookie, which protects against cross-site forms but not against such a planted pair.
     */
    sessionKey?: (request: unknown) => string | null | undefined | Promise<string | null | undefined>;
    /**
     * Signs the CSRF tokens (at least 32 characters).
     * @default a random secret per process: forms left open across a restart expire
     */
    csrfSecret?: string;
    /**
     * Renders every page inside the host panel's own layout (its menu, its header). It gets
     * the page's title, the tags for `<head>` and the content, and returns the whole
     * document. Without it, the pages have a layout of their own.
     */
    layout?: PageLayout;
    /** A link back to the host panel in the header of the pages' own layout, e.g. `{ label: '← Panel', url: '/' }`. */
    backLink?: PageBackLink;
    /**
     * The Content-Security-Policy the module sets on its pages and assets. The default
     * allows only the panel's own scripts and styles (none inline) and no framing; a host
     * whose layout needs more (its own inline script, a CDN) widens it here.
     * @default PAGE_CSP
     */
    contentSecurityPolicy?: string;
  };
}

/** See `nginx.layout`. */
export type NginxLayout = 'per-domain' | 'shared';

export type { PageRole } from '../web/pages/page-options';

/**
 * Several nodes serving the same domains from one PostgreSQL database. Each node runs the
 * panel and its own nginx; certificates and challenge answers go through the database.
 */
export interface ClusterOptions {
  /** This node's name, unique among the nodes: letters, digits, `.`, `-` and `_`, up to 48. */
  node: string;
  /**
   * A file holding the key that seals certificate keys in the database: 32 random bytes in
   * base64 (`openssl rand -base64 32`), the same file on every node, mode 0600.
   */
  keyFile: string;
  /**
   * Seconds between two full comparisons of this node's nginx files with the database,
   * which catch any change notice the node missed. @default 60
   */
  reconcileSeconds?: number;
  /**
   * Seconds between two attempts of a node that does not lead to become the leader (the
   * node that runs the scheduled sweeps). A killed leader is replaced within this time.
   * @default 5
   */
  leaderPollSeconds?: number;
}
