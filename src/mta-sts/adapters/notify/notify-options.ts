/** Where notifications go. Nothing is sent when neither a webhook nor e-mail is configured. */
export interface NotificationOptions {
  /**
   * http:// or https:// URL that receives each notification as a JSON POST (see
   * `WebhookNotifier` for the body and the signature header). No user:password in the URL.
   */
  webhookUrl?: string;
  /**
   * Shared secret (at least 16 characters); when set, each POST carries
   * `X-MTA-STS-Signature: sha256=<hex HMAC-SHA256 of the raw body>`.
   */
  webhookSecret?: string;
  /**
   * Time limit of one webhook POST, in milliseconds (1 to 120000).
   * @default 10000
   */
  webhookTimeoutMs?: number;
  /** Plain-text e-mail through an SMTP relay. */
  email?: {
    /** One or more recipient addresses. */
    to: string[];
    /** Sender address (a bare address, e.g. `mta-sts@example.com`). */
    from: string;
    /** The SMTP relay's host name or IP address. */
    host: string;
    /** @default 465 when `secure`, else 587 */
    port?: number;
    /**
     * Implicit TLS from the first byte (port 465). When false, STARTTLS is used.
     * @default false
     */
    secure?: boolean;
    /**
     * Refuse to send unless the connection is upgraded with STARTTLS. May be turned off
     * only for a relay on a loopback address, where the mail never leaves the machine.
     * @default true
     */
    requireTls?: boolean;
    /** SMTP AUTH user name; set together with `pass`. */
    user?: string;
    /** SMTP AUTH password; set together with `user`. */
    pass?: string;
    /** PEM file of an extra CA to trust for the relay's certificate (tests, private PKI). */
    caFile?: string;
  };
}

export interface ResolvedWebhookOptions {
  readonly url: string;
  readonly secret?: string;
  readonly timeoutMs: number;
}

export interface ResolvedEmailOptions {
  readonly to: readonly string[];
  readonly from: string;
  readonly host: string;
  readonly port: number;
  readonly secure: boolean;
  readonly requireTls: boolean;
  readonly user?: string;
  readonly pass?: string;
  /** The extra CA's PEM, read at start-up. */
  readonly caPem?: string;
}

/** The notification options checked and with defaults applied; absent channels are not configured. */
export interface ResolvedNotificationOptions {
  readonly webhook?: ResolvedWebhookOptions;
  readonly email?: ResolvedEmailOptions;
}
