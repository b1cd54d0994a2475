/** Publishes and withdraws HTTP-01 answers (RFC 8555 §8.3) for the CA to fetch. */
export interface Http01Responder {
  publish(token: string, keyAuthorization: string): Promise<void>;
  withdraw(token: string): Promise<void>;
}

export interface IssuedCertificate {
  /** Leaf first, then the chain, as nginx's `ssl_certificate` wants it. */
  readonly certificatePem: string;
  readonly privateKeyPem: string;
}

/** An ACME certificate authority (Let's Encrypt in production, Pebble in tests). */
export abstract class CertificateAuthority {
  /** The RFC 8555 directory URL, recorded with every certificate. */
  abstract readonly directoryUrl: string;
  /** Orders a certificate for one host name, answering HTTP-01 through `responder`. */
  abstract issue(host: string, responder: Http01Responder): Promise<IssuedCertificate>;
}
