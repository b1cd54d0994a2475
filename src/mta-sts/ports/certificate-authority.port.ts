/** Publishes and withdraws HTTP-01 answers (RFC 8555 §8.3) for the CA to fetch. */
export interface Http01Responder {
  publish(token: string, keyAuthorization: string): Promise<void>;
  withdraw(token: string): Promise<void>;
}

export interface IssuedCertificate {
  /** Leaf first, then the chain, as nginx's `ssl_certificate` wants it. */
  readonly certificatePem: string;
  readonly privateKeyPem: string;
  /**
   * Set when the CA no longer knew the stored ACME account (RFC 8555 §7.3.1
   * `accountDoesNotExist`, or a deactivated account) and the order succeeded after
   * registering again: what happened, for the audit trail.
   */
  readonly accountRecovered?: string;
}

export interface IssueOptions {
  /** ARI certificate id of the certificate this one replaces (RFC 9773 §5). */
  readonly replaces?: string;
}

/** The CA's renewal window for a certificate (RFC 9773 §4.2). */
export interface RenewalInfo {
  readonly start: Date;
  readonly end: Date;
  /** When to ask again (the answer's Retry-After). */
  readonly retryAfter?: Date;
}

/** An ACME certificate authority (Let's Encrypt in production, Pebble in tests). */
export abstract class CertificateAuthority {
  /** The RFC 8555 directory URL, recorded with every certificate. */
  abstract readonly directoryUrl: string;
  /** Orders a certificate for one host name, answering HTTP-01 through `responder`. */
  abstract issue(host: string, responder: Http01Responder, options?: IssueOptions): Promise<IssuedCertificate>;
  /**
   * The CA's suggested renewal window, or undefined when the CA does not offer ACME
   * Renewal Information. `certificateId` is the ARI id of the current certificate.
   */
  abstract renewalInfo(certificateId: string): Promise<RenewalInfo | undefined>;
}
