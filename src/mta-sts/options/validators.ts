import { isIP } from 'node:net';
import { isAbsolute, resolve } from 'node:path';
import { validateCronExpression } from 'cron';
import { InvalidOptionError } from '../domain/errors';
import type { PageBackLink } from '../web/pages/page-options';
import { PAGE_CSP } from '../web/pages/page-headers';
import type { HostFacts, SystemUser } from './host-facts';
import { LETSENCRYPT_PRODUCTION, LETSENCRYPT_STAGING, NginxLayout } from './module-options';

/** The checks of single option values; each fails with the option's name and what is wrong. */

/** Characters that would break out of a quoted nginx argument or a shell-free argv are refused. */
const UNSAFE_PATH = /["'`;{}$\\\n\r\t]/;

export function path(option: string, value: string): string {
  if (value.trim() === '' || UNSAFE_PATH.test(value)) {
    throw new InvalidOptionError(option, `"${value}" is not a usable path (no quotes, ;, {, }, $ or backslashes)`);
  }
  return isAbsolute(value) ? value : resolve(value);
}

/** An nginx `listen` value: a port, `addr:port`, `host:port` or `[v6]:port`, no other parameters. */
export function listen(option: string, values: readonly string[]): string[] {
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

/** A DNS server's `ip`, `ip:port` or `[ipv6]:port`; port 53 when not given. */
export function serverAddress(option: string, value: unknown): { host: string; port: number } {
  const text = typeof value === 'string' ? value : '';
  const bracketed = /^\[([^\]]+)\]:(\d{1,5})$/.exec(text);
  const withPort = /^([^:]+):(\d{1,5})$/.exec(text);
  const host = bracketed?.[1] ?? withPort?.[1] ?? text;
  const port = Number(bracketed?.[2] ?? withPort?.[2] ?? 53);
  if (isIP(host) === 0 || port < 1 || port > 65_535) {
    throw new InvalidOptionError(option, `"${text}" is not an IP address with an optional :port`);
  }
  return { host, port };
}

/** `ip`, `ip:port` or `[ipv6]:port`, as `node:dns` `setServers` takes them. */
export function dnsServers(values: readonly string[]): string[] {
  for (const value of values) serverAddress('dns.servers', value);
  return [...values];
}

export function directoryUrl(value: string | undefined): string {
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

export function cron(option: string, value: string | undefined, fallback: string): string {
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

export function bounded(option: string, value: number | undefined, fallback: number, min: number, max: number): number {
  const result = value ?? fallback;
  if (!Number.isInteger(result) || result < min || result > max) {
    throw new InvalidOptionError(option, `must be a whole number from ${min} to ${max}`);
  }
  return result;
}

export function nginxLayout(value: string | undefined): NginxLayout {
  const layout = value ?? 'per-domain';
  if (layout !== 'per-domain' && layout !== 'shared') {
    throw new InvalidOptionError('nginx.layout', `"${layout}" must be per-domain or shared`);
  }
  return layout;
}

export function positiveInt(option: string, value: number | undefined, fallback: number): number {
  const result = value ?? fallback;
  if (!Number.isInteger(result) || result < 0) throw new InvalidOptionError(option, 'must be a whole number');
  return result;
}

/** The EHLO name: a host name (the machine's own by default). */
export function heloName(value: string | undefined, facts: HostFacts): string {
  const name = (value ?? facts.hostname()).trim().toLowerCase() || 'localhost';
  if (!/^[a-z0-9]([a-z0-9.-]{0,251}[a-z0-9])?$/.test(name)) {
    throw new InvalidOptionError('checks.smtpProbe.heloName', `"${name}" is not a host name`);
  }
  return name;
}

export function assertCsrfSecret(secret: string | undefined): string | undefined {
  if (secret !== undefined && (typeof secret !== 'string' || secret.length < 32)) {
    throw new InvalidOptionError('pages.csrfSecret', 'must be a string of at least 32 characters');
  }
  return secret;
}

export function assertFunction<T>(option: string, value: T | undefined): T | undefined {
  if (value !== undefined && typeof value !== 'function') throw new InvalidOptionError(option, 'must be a function');
  return value;
}

export function backLink(link: PageBackLink | undefined): PageBackLink | undefined {
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

export function contentSecurityPolicy(value: string | undefined): string {
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

/** The user nginx's workers run as, looked up on this machine. */
export function workerUser(value: string | undefined, facts: HostFacts): SystemUser {
  const user = value?.trim() || 'www-data';
  if (!/^[A-Za-z0-9_][A-Za-z0-9_.-]*$/.test(user)) {
    throw new InvalidOptionError('nginx.workerUser', `"${user}" is not a user name`);
  }
  let entry: SystemUser | undefined;
  try {
    entry = facts.user(user);
  } catch (error) {
    throw new InvalidOptionError('nginx.workerUser', `cannot look up user "${user}": ${(error as Error).message}`);
  }
  if (!entry) {
    throw new InvalidOptionError(
      'nginx.workerUser',
      `there is no user "${user}" on this system; give the user nginx's worker processes run as (the "user" directive of nginx.conf)`,
    );
  }
  return entry;
}
