import { resolveCluster } from './resolve-cluster';
import { resolveDnsPublishing } from './resolve-dns-publishing';
import { assertServerAddresses, assertTlsRptRua, canonicalIp } from '../domain/dns-records';
import { InvalidOptionError } from '../domain/errors';
import { MAX_AGE_DEFAULT, assertMaxAge } from '../domain/policy';
import { resolveNotificationOptions } from '../adapters/notify/notify-settings';
import { HostFacts, SYSTEM_HOST_FACTS } from './host-facts';
import { MtaStsModuleOptions, NGINX_HASH_BUCKET_SIZE } from './module-options';
import { readPemOption } from './pem-option';
import { defaultRua, resolveReports } from './resolve-reports';
import type { ResolvedMtaStsOptions } from './resolved-options';
import {
  assertCsrfSecret,
  assertFunction,
  backLink,
  bounded,
  contentSecurityPolicy,
  cron,
  directoryUrl,
  dnsServers,
  heloName,
  listen,
  nginxLayout,
  path,
  positiveInt,
  workerUser,
} from './validators';

/**
 * Applies defaults and checks every option, failing fast with the option's name.
 * Nothing here touches the network; files are only checked where a wrong path would
 * otherwise surface much later, and the shared layout's worker user is looked up in the
 * system's user database.
 */
export function resolveMtaStsOptions(
  options: MtaStsModuleOptions,
  facts: HostFacts = SYSTEM_HOST_FACTS,
): ResolvedMtaStsOptions {
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
  const dataDir = path('dataDir', options.dataDir ?? './data');
  const reports = resolveReports(options.reports, dataDir, facts);
  return {
    dataDir,
    serverIpv4: addresses.ipv4,
    serverIpv6: addresses.ipv6,
    tlsRptRua: assertTlsRptRua('tlsRptRua', options.tlsRptRua || defaultRua(reports)),
    defaultMaxAge,
    acme: {
      directoryUrl: directoryUrl(options.acme?.directoryUrl),
      email,
      caFile: acmeCaFile,
      caPem: readPemOption('acme.caFile', acmeCaFile, facts),
      requestTimeoutMs: positiveInt('acme.requestTimeoutMs', options.acme?.requestTimeoutMs, 30_000),
    },
    checks: {
      cron: cron('checks.cron', options.checks?.cron, '0 */15 * * * *'),
      jitterMs: bounded('checks.jitterSeconds', options.checks?.jitterSeconds, 60, 0, 86_400) * 1000,
      concurrency: bounded('checks.concurrency', options.checks?.concurrency, 8, 1, 256),
      caPem: readPemOption('checks.caFile', checksCaFile, facts),
      smtpProbe: {
        enabled: options.checks?.smtpProbe?.enabled ?? true,
        port: bounded('checks.smtpProbe.port', options.checks?.smtpProbe?.port, 25, 1, 65_535),
        timeoutMs: bounded('checks.smtpProbe.timeoutMs', options.checks?.smtpProbe?.timeoutMs, 15_000, 100, 120_000),
        heloName: heloName(options.checks?.smtpProbe?.heloName, facts),
        cacheMs:
          bounded('checks.smtpProbe.cacheSeconds', options.checks?.smtpProbe?.cacheSeconds, 600, 0, 86_400) * 1000,
      },
    },
    autoDowngrade: options.autoDowngrade ?? false,
    notifications: resolveNotificationOptions(options.notifications, facts),
    retirement: {
      txtTtlSeconds: bounded('retirement.txtTtlSeconds', options.retirement?.txtTtlSeconds, 3_600, 0, 604_800),
    },
    renewals: {
      cron: cron('renewals.cron', options.renewals?.cron, '0 0 3,15 * * *'),
      jitterMs: bounded('renewals.jitterSeconds', options.renewals?.jitterSeconds, 1800, 0, 86_400) * 1000,
      concurrency: bounded('renewals.concurrency', options.renewals?.concurrency, 2, 1, 64),
    },
    dnsPublishing: resolveDnsPublishing(options.dnsPublishing),
    cluster: resolveCluster(options.cluster, facts),
    reports,
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
      workerUser: layout === 'shared' ? workerUser(options.nginx?.workerUser, facts) : undefined,
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
