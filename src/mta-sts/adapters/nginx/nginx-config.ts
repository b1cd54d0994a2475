import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Handlebars from 'handlebars';
import { TEMPLATES_DIR } from '../../../paths';
import { PolicySite } from '../../ports/web-server.port';

/** What the nginx files depend on besides the site itself. */
export interface NginxListenSettings {
  /** `listen` values for port 80 server blocks, e.g. `80`, `[::]:80`. */
  readonly httpListen: readonly string[];
  /** `listen` values for port 443 server blocks, e.g. `443`, `[::]:443`. */
  readonly httpsListen: readonly string[];
}

export interface NginxDefaultsSettings extends NginxListenSettings {
  /** Adds the catch-all server that refuses unknown SNI names. */
  readonly rejectUnknownSni: boolean;
  /** `server_names_hash_bucket_size` to set; 0 leaves nginx's own setting alone. */
  readonly serverNamesHashBucketSize: number;
}

/**
 * Generated files use their own Handlebars environment: no HTML escaping (this is nginx
 * syntax, not HTML) and strict mode, so a missing variable fails loudly instead of
 * writing an empty directive.
 */
const files = Handlebars.create();

function compile(name: string): Handlebars.TemplateDelegate {
  const source = readFileSync(join(TEMPLATES_DIR, 'nginx', name), 'utf8');
  return files.compile(source, { noEscape: true, strict: true });
}

let compiled: { site: Handlebars.TemplateDelegate; defaults: Handlebars.TemplateDelegate } | undefined;

function templates() {
  compiled ??= { site: compile('site.conf.hbs'), defaults: compile('default-server.conf.hbs') };
  return compiled;
}

/** The server blocks of one policy host: port 80 always, port 443 once it has a certificate. */
export function renderSiteConfig(site: PolicySite, listen: NginxListenSettings): string {
  return templates().site({
    host: site.host,
    policyFile: site.policyFile,
    acmeWebroot: site.acmeWebroot,
    tls: site.tls ?? false,
    httpListen: listen.httpListen,
    httpsListen: listen.httpsListen,
  });
}

/** The module's shared file: hash bucket size and the catch-all that refuses unknown SNI. */
export function renderDefaultsConfig(settings: NginxDefaultsSettings): string {
  return templates().defaults({
    rejectUnknownSni: settings.rejectUnknownSni,
    serverNamesHashBucketSize: settings.serverNamesHashBucketSize,
    httpsListen: settings.httpsListen,
  });
}

/** The file that holds one policy host's server blocks. */
export function siteFileName(host: string): string {
  return `${host}.conf`;
}

/** Sorts before the per-domain files so its settings are read first. */
export const DEFAULTS_FILE_NAME = '00-mta-sts-defaults.conf';
