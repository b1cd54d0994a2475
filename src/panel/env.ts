import { NOTIFICATION_VARIABLE_OF_OPTION, parseNotificationEnv } from './notify-env';
import { randomBytes } from 'node:crypto';
import { isIP } from 'node:net';
import { Env, envBoolean, envInteger } from './env-values';
import { parseUsers, PanelUser } from './auth/users';
import { InvalidSettingError } from './settings-error';
import { dnsPublishingFromFile } from './dns-zones-file';
import { REPORTS_VARIABLE_OF_OPTION, reportsFromEnv } from './reports-env';
import type { LogFormat } from './logging';

import {
  InvalidOptionError,
  MtaStsModuleOptions,
  NGINX_HASH_BUCKET_SIZE,
  NginxLayout,
  NotificationOptions,
  ResolvedMtaStsOptions,
  resolveMtaStsOptions,
} from '../index';

export { InvalidSettingError };

/** The standalone panel's settings, read from the environment (see README.md and .env.example). */
export interface PanelConfig {
  readonly port: number;
  readonly host: string;
  /** Who may sign in to the pages. */
  readonly users: readonly PanelUser[];
  /** Signs session cookies; random per start when not configured (sessions end at restart). */
  readonly sessionSecret: string;
  /** Whether the session secret came from the settings (else it is random per start). */
  readonly sessionSecretConfigured: boolean;
  /** The module options as given, for `MtaStsModule.forRoot`. */
  readonly mtaSts: MtaStsModuleOptions;
  /** The same options checked and with defaults applied. */
  readonly resolved: ResolvedMtaStsOptions;
  /** `MTA_STS_LOG_FORMAT`. */
  readonly logFormat: LogFormat;
  /** `MTA_STS_TRUST_PROXY`: Express's `trust proxy` (which proxies may set X-Forwarded-*). */
  readonly trustProxy: string | number | false;
  /** `MTA_STS_DATABASE_URL`: a PostgreSQL database instead of the SQLite file in the data directory. */
  readonly databaseUrl?: string;
}

/** Which environment variable feeds which module option, so errors can name the variable. */
const VARIABLE_OF_OPTION: Record<string, string> = {
  dataDir: 'MTA_STS_DATA_DIR',
  serverIpv4: 'MTA_STS_SERVER_IPV4',
  serverIpv6: 'MTA_STS_SERVER_IPV6',
  tlsRptRua: 'MTA_STS_TLSRPT_RUA',
  'acme.directoryUrl': 'MTA_STS_ACME_DIRECTORY_URL',
  'acme.email': 'MTA_STS_ACME_EMAIL',
  'acme.caFile': 'MTA_STS_ACME_CA_FILE',
  'dns.servers': 'MTA_STS_DNS_SERVERS',
  'checks.cron': 'MTA_STS_CHECK_CRON',
  'checks.concurrency': 'MTA_STS_CHECK_CONCURRENCY',
  'checks.caFile': 'MTA_STS_CHECK_CA_FILE',
  'renewals.cron': 'MTA_STS_RENEW_CRON',
  'nginx.bin': 'MTA_STS_NGINX_BIN',
  'nginx.sitesDir': 'MTA_STS_NGINX_SITES_DIR',
  'nginx.pidFile': 'MTA_STS_NGINX_PID_FILE',
  'nginx.httpListen': 'MTA_STS_HTTP_LISTEN',
  'nginx.httpsListen': 'MTA_STS_HTTPS_LISTEN',
  'nginx.rejectUnknownSni': 'MTA_STS_NGINX_REJECT_UNKNOWN_SNI',
  'nginx.serverNamesHashBucketSize': 'MTA_STS_NGINX_HASH_BUCKET_SIZE',
  'nginx.layout': 'MTA_STS_NGINX_LAYOUT',
  'nginx.workerUser': 'MTA_STS_NGINX_WORKER_USER',
  apiToken: 'MTA_STS_API_TOKEN',
  'checks.smtpProbe.heloName': 'MTA_STS_SMTP_PROBE_HELO',
  'cluster.node': 'MTA_STS_NODE_NAME',
  'cluster.keyFile': 'MTA_STS_CLUSTER_KEY_FILE',
  'cluster.reconcileSeconds': 'MTA_STS_CLUSTER_RECONCILE_SECONDS',
  'cluster.leaderPollSeconds': 'MTA_STS_CLUSTER_LEADER_POLL_SECONDS',
  ...NOTIFICATION_VARIABLE_OF_OPTION,
  ...REPORTS_VARIABLE_OF_OPTION,
};

function list(value: string | undefined): string[] | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  return value
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');
}

/** Runs one of the module's parsers; its complaint becomes the panel's, naming the variable. */
function setting<T>(parse: () => T): T {
  try {
    return parse();
  } catch (error) {
    if (error instanceof InvalidOptionError) throw InvalidSettingError.fromOption(error);
    throw error;
  }
}

function integer(env: Env, variable: string, fallback: number, min: number, max: number): number {
  return setting(() => envInteger(env, variable, min, max)) ?? fallback;
}

function boolean(env: Env, variable: string): boolean | undefined {
  return setting(() => envBoolean(env, variable));
}

/** The notification settings; a malformed value names its variable. */
function notificationsFromEnv(env: Env): NotificationOptions {
  return setting(() => parseNotificationEnv(env));
}

/** Splits `MTA_STS_NGINX_ARGS` like a shell would for simple words and quoted strings. */
function words(variable: string, value: string | undefined): string[] {
  if (!value) return [];
  const result: string[] = [];
  const pattern = /"([^"]*)"|'([^']*)'|(\S+)/g;
  for (const match of value.matchAll(pattern)) result.push(match[1] ?? match[2] ?? match[3]);
  if (result.some((word) => word.includes('"') || word.includes("'"))) {
    throw new InvalidSettingError(variable, 'has an unbalanced quote');
  }
  return result;
}

/**
 * Which reverse proxies the panel believes about the client's address and HTTPS
 * (`X-Forwarded-For`, `X-Forwarded-Proto`): `loopback` (a proxy on this machine, the
 * default), `false` (none), a number of hops, or addresses and CIDR ranges, comma-separated,
 * with Express's names `loopback`, `linklocal` and `uniquelocal`.
 */
function trustProxy(value: string | undefined): string | number | false {
  const given = value?.trim() || 'loopback';
  if (given === 'false') return false;
  if (/^\d{1,2}$/.test(given)) return Number(given);
  const entries = given.split(',').map((entry) => entry.trim());
  for (const entry of entries) {
    const [address, bits, extra] = entry.split('/');
    const named = ['loopback', 'linklocal', 'uniquelocal'].includes(entry);
    const family = isIP(address ?? '');
    const maskOk = bits === undefined || (/^\d{1,3}$/.test(bits) && Number(bits) <= (family === 6 ? 128 : 32));
    if (!named && (family === 0 || !maskOk || extra !== undefined)) {
      throw new InvalidSettingError(
        'MTA_STS_TRUST_PROXY',
        `"${entry}" is not loopback, linklocal, uniquelocal, an IP address or a CIDR range (or give false, or a number of hops)`,
      );
    }
  }
  return entries.join(',');
}

/**
 * Several nodes (README, "Several nodes"): `MTA_STS_NODE_NAME` makes this panel one node of
 * a cluster sharing the PostgreSQL database of `MTA_STS_DATABASE_URL`, with the sealing key
 * of `MTA_STS_CLUSTER_KEY_FILE`. Without a node name, the panel is the only server.
 */
function clusterFromEnv(env: Env): MtaStsModuleOptions['cluster'] {
  const node = env.MTA_STS_NODE_NAME?.trim();
  if (!node) return undefined;
  if (!env.MTA_STS_DATABASE_URL?.trim()) {
    throw new InvalidSettingError(
      'MTA_STS_NODE_NAME',
      'makes this panel a node of a cluster, which shares a PostgreSQL database: set MTA_STS_DATABASE_URL too',
    );
  }
  const keyFile = env.MTA_STS_CLUSTER_KEY_FILE?.trim();
  if (!keyFile) {
    throw new InvalidSettingError(
      'MTA_STS_CLUSTER_KEY_FILE',
      'is needed on a node of a cluster: the same key file on every node (openssl rand -base64 32)',
    );
  }
  return {
    node,
    keyFile,
    reconcileSeconds: integer(env, 'MTA_STS_CLUSTER_RECONCILE_SECONDS', 60, 5, 86_400),
    leaderPollSeconds: integer(env, 'MTA_STS_CLUSTER_LEADER_POLL_SECONDS', 5, 1, 600),
  };
}

/** `MTA_STS_DATABASE_URL`: empty for SQLite, else a `postgres://` or `postgresql://` URL with a database name. */
function databaseUrl(value: string | undefined): string | undefined {
  const given = value?.trim();
  if (!given) return undefined;
  let url: URL;
  try {
    url = new URL(given);
  } catch {
    throw new InvalidSettingError('MTA_STS_DATABASE_URL', 'is not a URL (postgres://user:password@host:5432/database)');
  }
  if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') {
    throw new InvalidSettingError(
      'MTA_STS_DATABASE_URL',
      `"${url.protocol}" is not postgres: (leave the setting empty for SQLite in the data directory)`,
    );
  }
  if (url.pathname.length <= 1) {
    throw new InvalidSettingError(
      'MTA_STS_DATABASE_URL',
      'names no database (postgres://user:password@host:5432/database)',
    );
  }
  return given;
}

export function loadPanelConfig(env: Env = process.env): PanelConfig {
  const port = integer(env, 'PORT', 3000, 1, 65535);
  const host = env.HOST?.trim() || '127.0.0.1';
  const options: MtaStsModuleOptions = {
    dataDir: env.MTA_STS_DATA_DIR || './data',
    serverIpv4: env.MTA_STS_SERVER_IPV4?.trim() || undefined,
    serverIpv6: env.MTA_STS_SERVER_IPV6?.trim() || undefined,
    tlsRptRua: env.MTA_STS_TLSRPT_RUA?.trim() || undefined,
    acme: {
      directoryUrl: env.MTA_STS_ACME_DIRECTORY_URL?.trim() || undefined,
      email: env.MTA_STS_ACME_EMAIL?.trim() || undefined,
      caFile: env.MTA_STS_ACME_CA_FILE?.trim() || undefined,
    },
    dns: { servers: list(env.MTA_STS_DNS_SERVERS) },
    dnsPublishing: dnsPublishingFromFile(env.MTA_STS_DNS_ZONES_FILE),
    checks: {
      cron: env.MTA_STS_CHECK_CRON?.trim() || undefined,
      concurrency: integer(env, 'MTA_STS_CHECK_CONCURRENCY', 8, 1, 256),
      caFile: env.MTA_STS_CHECK_CA_FILE?.trim() || undefined,
      smtpProbe: {
        enabled: boolean(env, 'MTA_STS_SMTP_PROBE'),
        port: integer(env, 'MTA_STS_SMTP_PROBE_PORT', 25, 1, 65535),
        heloName: env.MTA_STS_SMTP_PROBE_HELO?.trim() || undefined,
      },
    },
    autoDowngrade: boolean(env, 'MTA_STS_AUTO_DOWNGRADE'),
    retirement: { txtTtlSeconds: integer(env, 'MTA_STS_TXT_TTL', 3600, 0, 604_800) },
    notifications: notificationsFromEnv(env),
    renewals: { cron: env.MTA_STS_RENEW_CRON?.trim() || undefined },
    nginx: {
      bin: env.MTA_STS_NGINX_BIN?.trim() || undefined,
      args: words('MTA_STS_NGINX_ARGS', env.MTA_STS_NGINX_ARGS),
      sitesDir: env.MTA_STS_NGINX_SITES_DIR?.trim() || undefined,
      pidFile: env.MTA_STS_NGINX_PID_FILE?.trim() || undefined,
      httpListen: list(env.MTA_STS_HTTP_LISTEN),
      httpsListen: list(env.MTA_STS_HTTPS_LISTEN),
      rejectUnknownSni: boolean(env, 'MTA_STS_NGINX_REJECT_UNKNOWN_SNI'),
      serverNamesHashBucketSize: integer(env, 'MTA_STS_NGINX_HASH_BUCKET_SIZE', NGINX_HASH_BUCKET_SIZE, 0, 4096),
      // Checked by resolveMtaStsOptions, which names the variable when the value is wrong.
      layout: (env.MTA_STS_NGINX_LAYOUT?.trim() || undefined) as NginxLayout | undefined,
      workerUser: env.MTA_STS_NGINX_WORKER_USER?.trim() || undefined,
    },
    apiToken: env.MTA_STS_API_TOKEN || undefined,
    reports: setting(() => reportsFromEnv(env, host, port)),
    cluster: clusterFromEnv(env),
  };
  const users = parseUsers(env.MTA_STS_USERS);
  const configuredSecret = env.MTA_STS_SESSION_SECRET;
  if (configuredSecret !== undefined && configuredSecret !== '' && configuredSecret.length < 32) {
    throw new InvalidSettingError('MTA_STS_SESSION_SECRET', 'must be at least 32 characters long');
  }
  const sessionSecret = configuredSecret || randomBytes(32).toString('hex');
  const logFormat = (env.MTA_STS_LOG_FORMAT?.trim() || 'text') as LogFormat;
  if (logFormat !== 'text' && logFormat !== 'json') {
    throw new InvalidSettingError('MTA_STS_LOG_FORMAT', `"${logFormat}" must be text or json`);
  }
  try {
    return {
      port,
      host,
      logFormat,
      trustProxy: trustProxy(env.MTA_STS_TRUST_PROXY),
      databaseUrl: databaseUrl(env.MTA_STS_DATABASE_URL),
      users,
      sessionSecret,
      sessionSecretConfigured: Boolean(configuredSecret),
      mtaSts: options,
      resolved: resolveMtaStsOptions(options),
    };
  } catch (error) {
    if (error instanceof InvalidOptionError && error.option.startsWith('dnsPublishing')) {
      // The file's settings, named by their path in it.
      throw new InvalidSettingError('MTA_STS_DNS_ZONES_FILE', error.message.replace(/^dnsPublishing\./, ''));
    }
    if (error instanceof InvalidOptionError) {
      throw InvalidSettingError.fromOption(error, VARIABLE_OF_OPTION[error.option]);
    }
    throw error;
  }
}

/**
 * Settings that start a panel nobody can fully use, said at start-up: a panel started from
 * `.env.example` as it is has no user and no API token, and should say so rather than
 * answer every sign-in with "Wrong user name or password".
 */
export function startupWarnings(config: PanelConfig): string[] {
  const warnings: string[] = [];
  if (config.users.length === 0) {
    warnings.push(
      'No one can sign in to the pages: MTA_STS_USERS is empty. Add name:role:hash entries; `npm run -s hash-password` makes the hash.',
    );
  }
  if (!config.mtaSts.apiToken) {
    warnings.push('The JSON API refuses every request: MTA_STS_API_TOKEN is not set (openssl rand -hex 32 makes one).');
  }
  if (!config.sessionSecretConfigured) {
    warnings.push(
      'MTA_STS_SESSION_SECRET is not set: a random one is used, so everyone signs in again after each restart.',
    );
  }
  return warnings;
}
