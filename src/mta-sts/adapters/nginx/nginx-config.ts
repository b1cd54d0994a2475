import { join } from 'node:path';
import Handlebars from 'handlebars';
import { TEMPLATES_DIR } from '../../../paths';
import { PolicySite } from '../../ports/web-server.port';
import { readTextFileSync } from '../fs.file-store';
import { CHECKS_USER_AGENT } from '../node-http.client';
import { DECODE_LIMITS } from '../tls-reports/report-decoder';

/** What the nginx files depend on besides the site itself. */
export interface NginxListenSettings {
  /** `listen` values for port 80 server blocks, e.g. `80`, `[::]:80`. */
  readonly httpListen: readonly string[];
  /** `listen` values for port 443 server blocks, e.g. `443`, `[::]:443`. */
  readonly httpsListen: readonly string[];
  /** Policy hosts forward `POST /tlsrpt` to the panel; undefined: they do not. */
  readonly reportIntake?: { readonly proxyTo: string; readonly requestsPerMinute: number };
  /** The log of policy fetches (`mta_sts_fetch` format); undefined: none is written. */
  readonly fetchLog?: string;
}

/** What the templates get for the report intake: the proxy target, rate and body cap. */
function reportIntake(settings: NginxListenSettings) {
  return settings.reportIntake && { ...settings.reportIntake, maxBodyBytes: REPORT_BODY_CAP };
}

/** The largest report body nginx lets through: the decoder's own caps decide the rest. */
const REPORT_BODY_CAP = Math.max(DECODE_LIMITS.compressedBytes, DECODE_LIMITS.jsonBytes);

export interface NginxDefaultsSettings extends NginxListenSettings {
  /** Adds the catch-all server that refuses unknown SNI names. */
  readonly rejectUnknownSni: boolean;
  /** `server_names_hash_bucket_size` to set; 0 leaves nginx's own setting alone. */
  readonly serverNamesHashBucketSize: number;
}

/** Where the shared layout's one file finds policies, challenges and certificates. */
export interface NginxSharedSettings extends NginxListenSettings {
  /** `<dataDir>/served`: `<policy host>.pem` links to each served host's bundle. */
  readonly servedDir: string;
  /** Policy files, named `<domain>.txt`. */
  readonly policiesDir: string;
  /** Directory whose `.well-known/acme-challenge/` holds HTTP-01 answers. */
  readonly acmeWebroot: string;
}

/**
 * Generated files use their own Handlebars environment: no HTML escaping (this is nginx
 * syntax, not HTML) and strict mode, so a missing variable fails loudly instead of
 * writing an empty directive.
 */
const files = Handlebars.create();

function compile(name: string): Handlebars.TemplateDelegate {
  const source = readTextFileSync(join(TEMPLATES_DIR, 'nginx', name));
  return files.compile(source, { noEscape: true, strict: true });
}

let compiled:
  | {
      site: Handlebars.TemplateDelegate;
      defaults: Handlebars.TemplateDelegate;
      shared: Handlebars.TemplateDelegate;
    }
  | undefined;

function templates() {
  if (!compiled)
    files.registerPartial('reportIntake', readTextFileSync(join(TEMPLATES_DIR, 'nginx', 'report-intake.partial.hbs')));
  compiled ??= {
    site: compile('site.conf.hbs'),
    defaults: compile('default-server.conf.hbs'),
    shared: compile('shared.conf.hbs'),
  };
  return compiled;
}

/** The server blocks of one policy host: port 80 always, port 443 once it has a certificate. */
export function renderSiteConfig(site: PolicySite, listen: NginxListenSettings): string {
  return templates().site({
    host: site.host,
    // A validated host name: letters, digits, hyphens and dots; the dots are escaped.
    hostPattern: site.host.replace(/\./g, '\\.'),
    policyFile: site.policyFile,
    acmeWebroot: site.acmeWebroot,
    tls: site.tls ?? false,
    httpListen: listen.httpListen,
    httpsListen: listen.httpsListen,
    reportIntake: reportIntake(listen) ?? false,
    fetchLog: listen.fetchLog ?? false,
  });
}

/** The module's shared file: hash bucket size and the catch-all that refuses unknown SNI. */
export function renderDefaultsConfig(settings: NginxDefaultsSettings): string {
  return templates().defaults({
    rejectUnknownSni: settings.rejectUnknownSni,
    serverNamesHashBucketSize: settings.serverNamesHashBucketSize,
    httpsListen: settings.httpsListen,
    reportIntake: settings.reportIntake ?? false,
    fetchLog: settings.fetchLog ?? false,
    checksUserAgent: CHECKS_USER_AGENT,
  });
}

/** The shared layout's one file: a port 80 and a port 443 server for every policy host. */
export function renderSharedConfig(settings: NginxSharedSettings): string {
  return templates().shared({
    servedDir: settings.servedDir,
    policiesDir: settings.policiesDir,
    acmeWebroot: settings.acmeWebroot,
    httpListen: settings.httpListen,
    httpsListen: settings.httpsListen,
    reportIntake: reportIntake(settings) ?? false,
    fetchLog: settings.fetchLog ?? false,
  });
}

/** The file that holds one policy host's server blocks. */
export function siteFileName(host: string): string {
  return `${host}.conf`;
}

/** Whether a file in the sites directory is a per-domain site file (`mta-sts.<domain>.conf`). */
export function isSiteFileName(name: string): boolean {
  return /^mta-sts\.[a-z0-9.-]+\.conf$/.test(name);
}

/** The shared layout's link to a host's bundle, in the served directory; nginx looks it up by SNI name. */
export function servedFileName(host: string): string {
  return `${host}.pem`;
}

/** The policy host a served directory entry stands for, or undefined for anything else (temporary files). */
export function hostOfServedFile(name: string): string | undefined {
  return /^mta-sts\.[a-z0-9.-]+\.pem$/.test(name) ? name.slice(0, -'.pem'.length) : undefined;
}

/** Sorts before the per-domain files so its settings are read first. */
export const DEFAULTS_FILE_NAME = '00-mta-sts-defaults.conf';

/** The shared layout's file; after the defaults file, before any per-domain file left from the other layout. */
export const SHARED_FILE_NAME = '00-mta-sts-shared.conf';
