/**
 * The host panel's own settings. A real panel has its own configuration; these are the
 * few values the module needs from it, read from the environment.
 */
export interface HostConfig {
  readonly port: number;
  readonly host: string;
  readonly database: string;
  readonly adminPassword: string;
  readonly mtaSts: {
    readonly dataDir: string;
    readonly serverIpv4: string;
    readonly acmeDirectoryUrl?: string;
    readonly acmeCaFile?: string;
    readonly acmeEmail?: string;
    readonly dnsServers: string[];
    readonly checkCaFile?: string;
    readonly smtpProbe: boolean;
    readonly nginxArgs: string[];
    readonly nginxSitesDir?: string;
    readonly nginxPidFile?: string;
    readonly httpListen?: string[];
    readonly httpsListen?: string[];
  };
}

function required(env: NodeJS.ProcessEnv, name: string): string {
  const value = env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
}

const list = (value: string | undefined) => (value ? value.split(/[\s,]+/).filter(Boolean) : undefined);

export function loadConfig(env: NodeJS.ProcessEnv = process.env): HostConfig {
  return {
    port: Number(env.PANEL_PORT ?? 3000),
    host: env.PANEL_HOST ?? '127.0.0.1',
    database: env.PANEL_DATABASE ?? 'panel.sqlite',
    adminPassword: required(env, 'PANEL_ADMIN_PASSWORD'),
    mtaSts: {
      dataDir: env.MTA_STS_DATA_DIR ?? '/var/lib/mta-sts',
      serverIpv4: required(env, 'PUBLIC_IPV4'),
      acmeDirectoryUrl: env.ACME_DIRECTORY_URL,
      acmeCaFile: env.ACME_CA_FILE,
      acmeEmail: env.ADMIN_EMAIL,
      dnsServers: list(env.DNS_SERVERS) ?? [],
      checkCaFile: env.CHECK_CA_FILE,
      smtpProbe: env.SMTP_PROBE !== 'false',
      nginxArgs: list(env.NGINX_ARGS) ?? [],
      nginxSitesDir: env.NGINX_SITES_DIR,
      nginxPidFile: env.NGINX_PID_FILE,
      httpListen: list(env.HTTP_LISTEN),
      httpsListen: list(env.HTTPS_LISTEN),
    },
  };
}
