import type { CertificateInfo } from '../domain/certificate';

export interface HttpRequest {
  /** Host name for the Host header and, over TLS, SNI. */
  readonly host: string;
  /** The address to connect to (what DNS says `host` is). */
  readonly address: string;
  readonly port: number;
  readonly path: string;
  readonly tls: boolean;
  /** PEM certificates to trust besides the system roots (TLS only). */
  readonly extraCa?: string;
  /** Verify the certificate chain and name (TLS only). */
  readonly verify: boolean;
  readonly timeoutMs: number;
  /** Larger bodies are cut off and reported as such. */
  readonly maxBodyBytes: number;
}

export interface HttpResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string | undefined>>;
  readonly body: string;
  readonly truncated: boolean;
  /** Over TLS: the leaf certificate the server presented. */
  readonly peerCertificate?: CertificateInfo;
  /** Over TLS: whether the chain and name verified against the trusted roots (even when `verify` was off). */
  readonly tlsAuthorized?: boolean;
  readonly tlsAuthorizationError?: string;
  readonly elapsedMs?: number;
}

/** One HTTP(S) request to a given address; never follows redirects. */
export abstract class HttpClient {
  abstract request(request: HttpRequest): Promise<HttpResponse>;
}
