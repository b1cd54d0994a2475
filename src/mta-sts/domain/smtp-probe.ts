/** What one probe of one MX host found, in the words the card shows. */
export interface SmtpProbeResult {
  /** The MX host name probed (lower case, no trailing dot). */
  readonly host: string;
  /** True when every reachable address of the host passed and at least one was reached. */
  readonly ok: boolean;
  /** One line for the card: what passed, or the first thing that failed and why. */
  readonly summary: string;
  /** Per address: what was tried and what came back. */
  readonly addresses: readonly SmtpAddressResult[];
}

export interface SmtpAddressResult {
  readonly address: string;
  readonly ok: boolean;
  /** Why it failed (undefined when it passed). */
  readonly problem?: string;
  /** `TLSv1.2`, `TLSv1.3`, ... once TLS was negotiated. */
  readonly tlsVersion?: string;
  /** The MX certificate's expiry, once TLS was negotiated. */
  readonly certificateNotAfter?: Date;
  /** Names the MX certificate is valid for (SAN DNS names). */
  readonly certificateNames?: readonly string[];
}
