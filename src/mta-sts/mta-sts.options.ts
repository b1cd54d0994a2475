import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { hostname } from 'node:os';
import { validateCronExpression } from 'cron';
import { isAbsolute, resolve } from 'node:path';
import { assertServerAddresses, assertTlsRptRua, canonicalIp } from './domain/dns-records';
import { InvalidOptionError } from './domain/errors';
import { MAX_AGE_DEFAULT, assertMaxAge } from './domain/policy';
import {
  NotificationOptions,
  ResolvedNotificationOptions,
  resolveNotificationOptions,
} from './adapters/notify/notify-settings';
import { readPemOption } from './pem-option';
import type { PageBackLink, PageLayout, PageRole } from './web/pages/page-options';
import { PAGE_CSP } from './web/pages/page-headers';

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
   * @default 'mailto:tls-reports@{domain}'
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

export type { PageRole } from './web/pages/page-options';

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

/** Characters that would break out of a quoted nginx argument or a shell-free argv are refused. */
const UNSAFE_PATH = /["'`;{}$\\\n\r\t]/;

function path(option: string, value: string): string {
  if (value.trim() === '' || UNSAFE_PATH.test(value)) {
    throw new InvalidOptionError(option, `"${value}" is not a usable path (no quotes, ;, {, }, $ or backslashes)`);
  }
  return isAbsolute(value) ? value : resolve(value);
}

/** An nginx `listen` value: a port, `addr:port`, `host:port` or `[v6]:port`, no other parameters. */
function listen(option: string, values: readonly string[]): string[] {
  if (values.length === 0) throw new InvalidOptionError(option, 'needs at least one listen value');
  for (const value of values) {
    const ok = /^(\d{1,5}|[0-9.]+:\d{1,5}|\[[0-9a-fA-F:.]+\]:\d{1,5}|\*:\d{1,5}|[a-zA-Z0-9.-]+:\d{1,5})$/.test(value);
    const port = Number(value.slice(value.lastIndexOf(':') + 1));
    if (!ok || port < 1 || port > 65535) {
      throw new InvalidOptionError(
        option,
        `"${value}" is not an nginx listen address (e.g. 443, 127.0.0.1:8443, [::]:443)`,
      );
    }
  }
  return [...values];
}

/** `ip`, `ip:port` or `[ipv6]:port`, as `node:dns` `setServers` takes them. */
function dnsServers(values: readonly string[]): string[] {
  for (const value of values) {
    const bracketed = /^\[([^\]]+)\]:(\d{1,5})$/.exec(value);
    const withPort = /^([^:]+):(\d{1,5})$/.exec(value);
    const address = bracketed?.[1] ?? withPort?.[1] ?? value;
    const port = Number(bracketed?.[2] ?? withPort?.[2] ?? 53);
    if (isIP(address) === 0 || port < 1 || port > 65535) {
      throw new InvalidOptionError('dns.servers', `"${value}" is not an IP address with an optional :port`);
    }
  }
  return [...values];
}

function directoryUrl(value: string | undefined): string {
  if (value === undefined || value === '' || value === 'letsencrypt' || value === 'letsencrypt-production') {
    return LETSENCRYPT_PRODUCTION;
  }
  if (value === 'letsencrypt-staging') return LETSENCRYPT_STAGING;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new InvalidOptionError('acme.directoryUrl', `"${value}" is not a URL`);
  }
  if (url.protocol !== 'https:') {
    throw new InvalidOptionError('acme.directoryUrl', `"${value}" must be an https:// URL (RFC 8555 §6.1)`);
  }
  return value;
}

function cron(option: string, value: string | undefined, fallback: string): string {
  const expression = value?.trim() || fallback;
  const verdict = validateCronExpression(expression);
  if (!verdict.valid) {
    throw new InvalidOptionError(
      option,
      `"${expression}" is not a cron expression (${verdict.error?.message ?? 'invalid'})`,
    );
  }
  return expression;
}

function bounded(option: string, value: number | undefined, fallback: number, min: number, max: number): number {
  const result = value ?? fallback;
  if (!Number.isInteger(result) || result < min || result > max) {
    throw new InvalidOptionError(option, `must be a whole number from ${min} to ${max}`);
  }
  return result;
}

function nginxLayout(value: string | undefined): NginxLayout {
  const layout = value ?? 'per-domain';
  if (layout !== 'per-domain' && layout !== 'shared') {
    throw new InvalidOptionError('nginx.layout', `"${layout}" must be per-domain or shared`);
  }
  return layout;
}

/** The `passwd` entry of a user name or uid, through NSS (`getent`), else /etc/passwd. */
function passwdEntry(user: string): string | undefined {
  try {
    return execFileSync('getent', ['passwd', user], { encoding: 'utf8', timeout: 10_000, stdio: 'pipe' });
  } catch (error) {
    // getent exits with 2 when the user does not exist.
    if ((error as { status?: number }).status === 2) return undefined;
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const byNameOrUid = (line: string) => {
    const [name, , uid] = line.split(':');
    return name === user || uid === user;
  };
  return readFileSync('/etc/passwd', 'utf8').split('\n').find(byNameOrUid);
}

function workerUser(value: string | undefined): { name: string; uid: number; gid: number } {
  const user = value?.trim() || 'www-data';
  if (!/^[A-Za-z0-9_][A-Za-z0-9_.-]*$/.test(user)) {
    throw new InvalidOptionError('nginx.workerUser', `"${user}" is not a user name`);
  }
  let entry: string | undefined;
  try {
    entry = passwdEntry(user);
  } catch (error) {
    throw new InvalidOptionError('nginx.workerUser', `cannot look up user "${user}": ${(error as Error).message}`);
  }
  const [name, , uid, gid] = (entry ?? '').trim().split(':');
  if (!entry || !/^\d+$/.test(uid ?? '') || !/^\d+$/.test(gid ?? '')) {
    throw new InvalidOptionError(
      'nginx.workerUser',
      `there is no user "${user}" on this system; give the user nginx's worker processes run as (the "user" directive of nginx.conf)`,
    );
  }
  return { name, uid: Number(uid), gid: Number(gid) };
}

function positiveInt(option: string, value: number | undefined, fallback: number): number {
  const result = value ?? fallback;
  if (!Number.isInteger(result) || result < 0) throw new InvalidOptionError(option, 'must be a whole number');
  return result;
}

/** The EHLO name: a host name (the machine's own by default). */
function heloName(value: string | undefined): string {
  const name = (value ?? hostname()).trim().toLowerCase() || 'localhost';
  if (!/^[a-z0-9]([a-z0-9.-]{0,251}[a-z0-9])?$/.test(name)) {
    throw new InvalidOptionError('checks.smtpProbe.heloName', `"${name}" is not a host name`);
  }
  return name;
}

/**
 * Applies defaults and checks every option, failing fast with the option's name.
 * Nothing here touches the network; files are only checked where a wrong path would
 * otherwise surface much later, and the shared layout's worker user is looked up in the
 * system's user database.
 */
export function resolveMtaStsOptions(options: MtaStsModuleOptions): ResolvedMtaStsOptions {
  const given = { ipv4: options.serverIpv4 || undefined, ipv6: options.serverIpv6 || undefined };
  assertServerAddresses(given);
  // DNS answers come back in canonical form (lower case, `::` compression): compare like with like.
  const addresses = { ...given, ipv6: given.ipv6 && canonicalIp(given.ipv6) };
  const ipv6 = addresses.ipv6 !== undefined;
  let defaultMaxAge: number;
  try {
    defaultMaxAge = assertMaxAge(options.defaultMaxAge ?? MAX_AGE_DEFAULT);
  } catch (error) {
    throw new InvalidOptionError('defaultMaxAge', (error as Error).message);
  }
  const email = options.acme?.email || undefined;
  if (email !== undefined && !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(email)) {
    throw new InvalidOptionError('acme.email', `"${email}" is not an e-mail address`);
  }
  const bin = options.nginx?.bin ?? 'nginx';
  if (bin.trim() === '') throw new InvalidOptionError('nginx.bin', 'must name the nginx program');
  const apiToken = options.apiToken || undefined;
  if (apiToken !== undefined && apiToken.length < 16) {
    throw new InvalidOptionError('apiToken', 'must be at least 16 characters long');
  }
  const acmeCaFile = options.acme?.caFile ? path('acme.caFile', options.acme.caFile) : undefined;
  const checksCaFile = options.checks?.caFile ? path('checks.caFile', options.checks.caFile) : undefined;
  const layout = nginxLayout(options.nginx?.layout);
  return {
    dataDir: path('dataDir', options.dataDir ?? './data'),
    serverIpv4: addresses.ipv4,
    serverIpv6: addresses.ipv6,
    tlsRptRua: assertTlsRptRua('tlsRptRua', options.tlsRptRua || 'mailto:tls-reports@{domain}'),
    defaultMaxAge,
    acme: {
      directoryUrl: directoryUrl(options.acme?.directoryUrl),
      email,
      caFile: acmeCaFile,
      caPem: readPemOption('acme.caFile', acmeCaFile),
      requestTimeoutMs: positiveInt('acme.requestTimeoutMs', options.acme?.requestTimeoutMs, 30_000),
    },
    checks: {
      cron: cron('checks.cron', options.checks?.cron, '0 */15 * * * *'),
      jitterMs: bounded('checks.jitterSeconds', options.checks?.jitterSeconds, 60, 0, 86_400) * 1000,
      concurrency: bounded('checks.concurrency', options.checks?.concurrency, 8, 1, 256),
      caPem: readPemOption('checks.caFile', checksCaFile),
      smtpProbe: {
        enabled: options.checks?.smtpProbe?.enabled ?? true,
        port: bounded('checks.smtpProbe.port', options.checks?.smtpProbe?.port, 25, 1, 65_535),
        timeoutMs: bounded('checks.smtpProbe.timeoutMs', options.checks?.smtpProbe?.timeoutMs, 15_000, 100, 120_000),
        heloName: heloName(options.checks?.smtpProbe?.heloName),
        cacheMs:
          bounded('checks.smtpProbe.cacheSeconds', options.checks?.smtpProbe?.cacheSeconds, 600, 0, 86_400) * 1000,
      },
    },
    autoDowngrade: options.autoDowngrade ?? false,
    notifications: resolveNotificationOptions(options.notifications),
    retirement: {
      txtTtlSeconds: bounded('retirement.txtTtlSeconds', options.retirement?.txtTtlSeconds, 3_600, 0, 604_800),
    },
    renewals: {
      cron: cron('renewals.cron', options.renewals?.cron, '0 0 3,15 * * *'),
      jitterMs: bounded('renewals.jitterSeconds', options.renewals?.jitterSeconds, 1800, 0, 86_400) * 1000,
      concurrency: bounded('renewals.concurrency', options.renewals?.concurrency, 2, 1, 64),
    },
    dns: {
      servers: dnsServers(options.dns?.servers ?? []),
      timeoutMs: positiveInt('dns.timeoutMs', options.dns?.timeoutMs, 3_000),
    },
    nginx: {
      bin,
      args: [...(options.nginx?.args ?? [])],
      sitesDir: path('nginx.sitesDir', options.nginx?.sitesDir ?? '/etc/nginx/conf.d'),
      pidFile: path('nginx.pidFile', options.nginx?.pidFile ?? '/run/nginx.pid'),
      httpListen: listen('nginx.httpListen', options.nginx?.httpListen ?? (ipv6 ? ['80', '[::]:80'] : ['80'])),
      httpsListen: listen('nginx.httpsListen', options.nginx?.httpsListen ?? (ipv6 ? ['443', '[::]:443'] : ['443'])),
      rejectUnknownSni: options.nginx?.rejectUnknownSni ?? true,
      serverNamesHashBucketSize: positiveInt(
        'nginx.serverNamesHashBucketSize',
        options.nginx?.serverNamesHashBucketSize,
        NGINX_HASH_BUCKET_SIZE,
      ),
      commandTimeoutMs: positiveInt('nginx.commandTimeoutMs', options.nginx?.commandTimeoutMs, 30_000),
      layout,
      workerUser: layout === 'shared' ? workerUser(options.nginx?.workerUser) : undefined,
    },
    apiToken,
    authorizeApi: options.authorizeApi,
    resolveActor: options.resolveActor,
    pages: {
      resolveRole: options.pages?.resolveRole,
      loginUrl: options.pages?.loginUrl,
      logoutUrl: options.pages?.logoutUrl,
      sessionKey: options.pages?.sessionKey,
      csrfSecret: assertCsrfSecret(options.pages?.csrfSecret),
      layout: assertFunction('pages.layout', options.pages?.layout),
      backLink: backLink(options.pages?.backLink),
      contentSecurityPolicy: contentSecurityPolicy(options.pages?.contentSecurityPolicy),
    },
  };
}

function assertCsrfSecret(secret: string | undefined): string | undefined {
  if (secret !== undefined && (typeof secret !== 'string' || secret.length < 32)) {
    throw new InvalidOptionError('pages.csrfSecret', 'must be a string of at least 32 characters');
  }
  return secret;
}

function assertFunction<T>(option: string, value: T | undefined): T | undefined {
  if (value !== undefined && typeof value !== 'function') throw new InvalidOptionError(option, 'must be a function');
  return value;
}

function backLink(link: PageBackLink | undefined): PageBackLink | undefined {
  if (link === undefined) return undefined;
  const { label, url } = link ?? {};
  if (typeof label !== 'string' || label.trim() === '') {
    throw new InvalidOptionError('pages.backLink', 'needs a label, e.g. { label: "Back to the panel", url: "/" }');
  }
  // A path on the panel or an http(s) URL: never `javascript:` or a protocol-relative `//host`.
  if (typeof url !== 'string' || !(/^\/(?!\/)/.test(url) || /^https?:\/\/[^\s]+$/i.test(url))) {
    throw new InvalidOptionError('pages.backLink', `url must be a path such as "/" or an http(s) URL`);
  }
  return { label: label.trim(), url };
}

function contentSecurityPolicy(value: string | undefined): string {
  if (value === undefined) return PAGE_CSP;
  if (typeof value !== 'string' || value.trim() === '' || /[\r\n]/.test(value)) {
    throw new InvalidOptionError(
      'pages.contentSecurityPolicy',
      'must be one header value, e.g. "default-src \'self\'"',
    );
  }
  if (!/(^|;)\s*frame-ancestors\s/.test(value)) {
    throw new InvalidOptionError(
      'pages.contentSecurityPolicy',
      "must keep a frame-ancestors directive (e.g. frame-ancestors 'none'), so the pages cannot be framed by another site",
    );
  }
  return value.trim();
}
