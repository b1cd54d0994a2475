import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { validateCronExpression } from 'cron';
import { isAbsolute, resolve } from 'node:path';
import { assertServerAddresses, assertTlsRptRua, canonicalIp } from './domain/dns-records';
import { InvalidOptionError } from './domain/errors';
import { MAX_AGE_DEFAULT, assertMaxAge } from './domain/policy';

/** Let's Encrypt's directories (acme-client has the same constants). */
export const LETSENCRYPT_PRODUCTION = 'https://acme-v02.api.letsencrypt.org/directory';
export const LETSENCRYPT_STAGING = 'https://acme-staging-v02.api.letsencrypt.org/directory';

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
    /** `server_names_hash_bucket_size`; 0 leaves nginx's own setting. @default 128 */
    serverNamesHashBucketSize?: number;
    /** Time limit of one nginx command, in milliseconds. @default 30000 */
    commandTimeoutMs?: number;
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
  };
}

/** What a signed-in person may do on the pages. */
export type PageRole = 'admin' | 'viewer';

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
  };
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
  };
  readonly apiToken?: string;
  readonly authorizeApi?: (request: unknown) => boolean | Promise<boolean>;
  readonly pages: {
    readonly resolveRole?: (request: unknown) => PageRole | null | Promise<PageRole | null>;
    readonly loginUrl?: string;
    readonly logoutUrl?: string;
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

function readPem(option: string, file: string | undefined): string | undefined {
  if (!file) return undefined;
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new InvalidOptionError(option, `cannot read ${file}: ${(error as Error).message}`);
  }
  if (!text.includes('-----BEGIN CERTIFICATE-----')) {
    throw new InvalidOptionError(option, `${file} holds no PEM certificate`);
  }
  return text;
}

function bounded(option: string, value: number | undefined, fallback: number, min: number, max: number): number {
  const result = value ?? fallback;
  if (!Number.isInteger(result) || result < min || result > max) {
    throw new InvalidOptionError(option, `must be a whole number from ${min} to ${max}`);
  }
  return result;
}

function positiveInt(option: string, value: number | undefined, fallback: number): number {
  const result = value ?? fallback;
  if (!Number.isInteger(result) || result < 0) throw new InvalidOptionError(option, 'must be a whole number');
  return result;
}

/**
 * Applies defaults and checks every option, failing fast with the option's name.
 * Nothing here touches the network; files are only checked where a wrong path would
 * otherwise surface much later.
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
      caPem: readPem('acme.caFile', acmeCaFile),
      requestTimeoutMs: positiveInt('acme.requestTimeoutMs', options.acme?.requestTimeoutMs, 30_000),
    },
    checks: {
      cron: cron('checks.cron', options.checks?.cron, '0 */15 * * * *'),
      jitterMs: bounded('checks.jitterSeconds', options.checks?.jitterSeconds, 60, 0, 86_400) * 1000,
      concurrency: bounded('checks.concurrency', options.checks?.concurrency, 8, 1, 256),
      caPem: readPem('checks.caFile', checksCaFile),
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
        128,
      ),
      commandTimeoutMs: positiveInt('nginx.commandTimeoutMs', options.nginx?.commandTimeoutMs, 30_000),
    },
    apiToken,
    authorizeApi: options.authorizeApi,
    pages: {
      resolveRole: options.pages?.resolveRole,
      loginUrl: options.pages?.loginUrl,
      logoutUrl: options.pages?.logoutUrl,
    },
  };
}
