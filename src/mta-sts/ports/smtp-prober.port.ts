import type { SmtpProbeResult } from '../domain/smtp-probe';

export type { SmtpAddressResult, SmtpProbeResult } from '../domain/smtp-probe';

/**
 * Checks an MX host the way an MTA-STS sender will (RFC 8461 §4.2): connects on port
 * 25, asks for STARTTLS, negotiates TLS 1.2 or later, and validates the certificate
 * (trusted chain, not expired, valid for the MX host name). Never throws for a failing
 * host: failures are results.
 */
export abstract class SmtpProber {
  abstract probe(host: string): Promise<SmtpProbeResult>;
}
