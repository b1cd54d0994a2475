import { AuthorityKeyIdentifierExtension, X509Certificate as PeculiarCertificate } from '@peculiar/x509';

/**
 * When to renew a certificate, how to back off after a failure, and how often a manual
 * re-issue is allowed. Let's Encrypt's guidance: renew when a third of the lifetime is
 * left (half for certificates shorter than 10 days), or inside the window the CA suggests
 * through ACME Renewal Information (RFC 9773).
 */

const DAY_MS = 86_400_000;
const SHORT_LIVED_MS = 10 * DAY_MS;

export interface RenewalWindow {
  readonly start: Date;
  readonly end: Date;
}

/** The moment a certificate is due for renewal, from its lifetime alone. */
export function renewalDueFromLifetime(notBefore: Date, notAfter: Date): Date {
  const lifetime = notAfter.getTime() - notBefore.getTime();
  const fractionLeft = lifetime < SHORT_LIVED_MS ? 1 / 2 : 1 / 3;
  return new Date(notAfter.getTime() - lifetime * fractionLeft);
}

/**
 * RFC 9773 §4.2: pick a uniformly random moment inside the suggested window (`random` in
 * [0, 1)); a window that is already over means "now".
 */
export function renewalDueFromWindow(window: RenewalWindow, random: number): Date {
  const start = window.start.getTime();
  const span = Math.max(0, window.end.getTime() - start);
  return new Date(start + Math.floor(span * Math.min(Math.max(random, 0), 0.999999)));
}

/** Delays after the 1st, 2nd, 3rd failure; daily after that. */
export const RETRY_DELAYS_MS = [60_000, 600_000, 6_000_000] as const;
export const RETRY_DAILY_MS = DAY_MS;

/** When to try again after `failures` consecutive failures, never before the CA's Retry-After. */
export function nextRetryAt(failures: number, now: Date, retryAfter?: Date): Date {
  const delay = failures <= 0 ? 0 : (RETRY_DELAYS_MS[failures - 1] ?? RETRY_DAILY_MS);
  const backoff = now.getTime() + delay;
  return new Date(Math.max(backoff, retryAfter?.getTime() ?? 0));
}

/** Manual re-issues allowed per domain in a rolling week (Let's Encrypt allows 5 duplicates a week). */
export const REISSUE_LIMIT = 3;
export const REISSUE_PERIOD_MS = 7 * DAY_MS;

export interface ReissueAllowance {
  readonly remaining: number;
  /** When the next re-issue is allowed, if none is allowed now. */
  readonly nextAllowedAt?: Date;
  /** The re-issues still inside the period (older ones dropped). */
  readonly recent: readonly Date[];
}

export function reissueAllowance(history: readonly Date[], now: Date): ReissueAllowance {
  const since = now.getTime() - REISSUE_PERIOD_MS;
  const recent = history.filter((at) => at.getTime() > since).sort((a, b) => a.getTime() - b.getTime());
  const remaining = Math.max(0, REISSUE_LIMIT - recent.length);
  const nextAllowedAt =
    remaining === 0 ? new Date(recent[recent.length - REISSUE_LIMIT].getTime() + REISSUE_PERIOD_MS) : undefined;
  return { remaining, nextAllowedAt, recent };
}

function base64url(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('base64url');
}

/**
 * The ARI certificate identifier (RFC 9773 §4.1): base64url of the Authority Key
 * Identifier's keyIdentifier, a dot, base64url of the serial number's DER content octets.
 */
export function ariCertificateId(certificatePem: string): string {
  const certificate = new PeculiarCertificate(certificatePem);
  const aki = certificate.getExtension(AuthorityKeyIdentifierExtension);
  if (!aki?.keyId) throw new Error('the certificate has no Authority Key Identifier');
  let serial = certificate.serialNumber;
  if (serial.length % 2 === 1) serial = `0${serial}`;
  // DER integers are signed: a leading byte >= 0x80 gets a 0x00 in front.
  if (parseInt(serial.slice(0, 2), 16) >= 0x80) serial = `00${serial}`;
  return `${base64url(Buffer.from(aki.keyId, 'hex'))}.${base64url(Buffer.from(serial, 'hex'))}`;
}
