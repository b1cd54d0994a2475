import { checkServerIdentity, PeerCertificate, TLSSocket } from 'node:tls';
import { SmtpAddressResult, SmtpProbeResult } from '../../ports/smtp-prober.port';
import { replyText, SmtpReply, SmtpReplyError } from './smtp-replies';
import { ConnectionClosed, TimedOut } from './smtp-session';

/** What the probe found, in the sentences the card shows: per address, and per host. */

/** Errors that mean this server has no route to the address (an IPv6 MX seen from a v4-only host). */
export const UNREACHABLE: Readonly<Record<string, string>> = {
  ENETUNREACH: 'network unreachable',
  EHOSTUNREACH: 'no route to host',
  EADDRNOTAVAIL: 'no local address to connect from',
  EAFNOSUPPORT: 'address family not supported here',
};

export type Step = 'connect' | 'greeting' | 'ehlo' | 'starttls' | 'tls';

/** What each step was doing, for the sentences about timeouts and closed connections. */
export const STEP_WORDS: Readonly<Record<Step, { waiting: (port: number) => string; closed: string }>> = {
  connect: { waiting: (port) => `connecting to port ${port}`, closed: 'closed the connection at once' },
  greeting: { waiting: () => 'waiting for the greeting', closed: 'closed the connection without a greeting' },
  ehlo: { waiting: () => 'waiting for the EHLO reply', closed: 'closed the connection instead of answering EHLO' },
  starttls: {
    waiting: () => 'waiting for the STARTTLS reply',
    closed: 'closed the connection instead of answering STARTTLS',
  },
  tls: { waiting: () => 'in the TLS handshake', closed: 'closed the connection during the TLS handshake' },
};

/** A failure already put in words; `unreachable` addresses do not count against the host. */
export class Problem extends Error {
  constructor(
    readonly sentence: string,
    readonly unreachable?: string,
  ) {
    super(sentence);
  }
}

export interface AddressOutcome {
  readonly result: SmtpAddressResult;
  /** Why this server has no route to the address; such an address does not count. */
  readonly unreachable?: string;
}

/** The negotiated session and certificate, judged as RFC 8461 §4.2 requires. */
export function inspect(subject: string, host: string, address: string, secure: TLSSocket): SmtpAddressResult {
  const tlsVersion = secure.getProtocol() ?? undefined;
  const peer = secure.getPeerCertificate();
  if (!peer || Object.keys(peer).length === 0) {
    return { address, ok: false, tlsVersion, problem: `${subject} presented no certificate` };
  }
  const certificateNotAfter = new Date(peer.valid_to);
  const certificateNames = sanDnsNames(peer.subjectaltname);
  const seen = { tlsVersion, certificateNotAfter, certificateNames };

  if (tlsVersion !== 'TLSv1.2' && tlsVersion !== 'TLSv1.3') {
    return {
      address,
      ok: false,
      ...seen,
      problem: `${subject} negotiated ${tlsVersion}; TLS 1.2 or later is required`,
    };
  }
  const clauses: string[] = [];
  const chainError = secure.authorized ? undefined : errorCode(secure.authorizationError);
  if (chainError) clauses.push(certificateClause(chainError, new Date(peer.valid_from), certificateNotAfter));
  const identity = checkServerIdentity(host, peer);
  if (identity) clauses.push(`is for ${listNames(certificateNames, peer)}, not ${host}`);
  if (clauses.length > 0) {
    return { address, ok: false, ...seen, problem: `${subject} presents a certificate that ${clauses.join(' and ')}` };
  }
  return { address, ok: true, ...seen };
}

/**
 * What OpenSSL's verification code means to an admin, as the end of
 * "presents a certificate that ...".
 */
export function certificateClause(code: string, notBefore: Date, notAfter: Date): string {
  switch (code) {
    case 'CERT_HAS_EXPIRED':
      return `expired on ${day(notAfter)}`;
    case 'CERT_NOT_YET_VALID':
      return `is not valid before ${day(notBefore)}`;
    case 'DEPTH_ZERO_SELF_SIGNED_CERT':
    case 'SELF_SIGNED_CERT_IN_CHAIN':
      return 'is not signed by a trusted CA (self-signed?)';
    case 'UNABLE_TO_VERIFY_LEAF_SIGNATURE':
    case 'UNABLE_TO_GET_ISSUER_CERT':
    case 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY':
      return 'is not signed by a trusted CA (a private CA, or is the intermediate certificate missing from the chain?)';
    case 'CERT_REVOKED':
      return 'has been revoked';
    case 'ERR_TLS_CERT_ALTNAME_INVALID':
      return 'is not valid for this host name';
    default:
      return `failed validation (${code})`;
  }
}

/** What a failed handshake means to an admin, as the end of "<host> (<address>) ...". */
export function handshakeClause(code: string | undefined): string {
  switch (code) {
    // The server answered our TLS 1.2+ hello with a protocol_version alert, or chose an older version.
    case 'ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION':
    case 'ERR_SSL_UNSUPPORTED_PROTOCOL':
    case 'ERR_SSL_NO_PROTOCOLS_AVAILABLE':
    case 'ERR_SSL_VERSION_TOO_LOW':
      return 'offers only TLS 1.0/1.1 (TLS 1.2 or later is required)';
    case 'ERR_SSL_WRONG_VERSION_NUMBER':
      return 'did not answer in TLS 1.2 or later after accepting STARTTLS (wrong version number)';
    case 'ERR_SSL_SSLV3_ALERT_HANDSHAKE_FAILURE':
    case 'ERR_SSL_NO_SHARED_CIPHER':
      return 'has no cipher in common with a TLS 1.2 client (handshake failure)';
    case 'ECONNRESET':
    case 'EPIPE':
      return STEP_WORDS.tls.closed;
    default:
      return `failed the TLS handshake (${code ?? 'unknown error'})`;
  }
}

export function describeFailure(error: unknown, step: Step, subject: string, port: number, timeoutMs: number): Problem {
  if (error instanceof Problem) return error;
  const words = STEP_WORDS[step];
  if (error instanceof TimedOut)
    return new Problem(`${subject} timed out after ${seconds(timeoutMs)} s ${words.waiting(port)}`);
  if (error instanceof ConnectionClosed) return new Problem(`${subject} ${words.closed}`);
  if (error instanceof SmtpReplyError) {
    const what = words.waiting(port);
    if (error.kind === 'malformed') return new Problem(`${subject} sent a malformed reply ${what}: "${error.line}"`);
    if (error.kind === 'too-many-lines') return new Problem(`${subject} sent a reply of too many lines ${what}`);
    return new Problem(`${subject} sent a reply line longer than 4 KiB ${what}`);
  }
  const code = errorCode(error);
  if (step === 'tls') return new Problem(`${subject} ${handshakeClause(code)}`);
  if (step === 'connect') {
    if (code in UNREACHABLE) {
      const reason = UNREACHABLE[code];
      return new Problem(`${subject} cannot be reached from this server (${reason}), so it was not checked`, reason);
    }
    if (code === 'ECONNREFUSED') return new Problem(`${subject} refused the connection on port ${port}`);
    return new Problem(`${subject} could not be connected to on port ${port} (${code})`);
  }
  if (code === 'ECONNRESET' || code === 'EPIPE') return new Problem(`${subject} ${words.closed}`);
  return new Problem(`${subject} failed ${words.waiting(port)} (${code})`);
}

/** One line for the card: the first failure, or what every reached address showed. */
export function summarize(host: string, outcomes: readonly AddressOutcome[]): SmtpProbeResult {
  const addresses = outcomes.map((outcome) => outcome.result);
  const reached = outcomes.filter((outcome) => !outcome.unreachable).map((outcome) => outcome.result);
  const unreachable = outcomes.filter((outcome) => outcome.unreachable);
  if (reached.length === 0) {
    const reasons = unreachable.map((outcome) => `${outcome.result.address}: ${outcome.unreachable}`).join('; ');
    return {
      host,
      ok: false,
      summary: `${host} cannot be reached from this server on any address (${reasons})`,
      addresses,
    };
  }
  const failed = reached.filter((result) => !result.ok);
  if (failed.length > 0) {
    const others = failed.length - 1;
    const more = others > 0 ? `; ${others} other address${others > 1 ? 'es' : ''} failed too` : '';
    return { host, ok: false, summary: `${failed[0].problem}${more}`, addresses };
  }
  const versions = [...new Set(reached.map((result) => result.tlsVersion))].sort().join(' or ');
  const notAfter = reached
    .map((result) => result.certificateNotAfter)
    .filter((date): date is Date => date !== undefined)
    .sort((a, b) => a.getTime() - b.getTime())[0];
  const who = reached.length === 1 ? `${host} (${reached[0].address})` : host;
  const where =
    reached.length === 1 ? '' : reached.length === 2 ? ' on both addresses' : ` on all ${reached.length} addresses`;
  const skipped = unreachable
    .map((outcome) => `; ${outcome.result.address} cannot be reached from this server (${outcome.unreachable})`)
    .join('');
  const summary = `${who} offers STARTTLS with ${versions} and a valid certificate until ${day(notAfter)}${where}${skipped}`;
  return { host, ok: true, summary, addresses };
}

/** `DNS:a.example, DNS:b.example, IP Address:...` (names with commas come JSON-quoted). */
export function sanDnsNames(subjectAltName: string | undefined): string[] {
  if (!subjectAltName) return [];
  const entries = subjectAltName.match(/(?:[^,"]|"(?:[^"\\]|\\.)*")+/g) ?? [];
  return entries
    .map((entry) => entry.trim())
    .filter((entry) => entry.startsWith('DNS:'))
    .map((entry) => {
      const value = entry.slice(4);
      return value.startsWith('"') ? (JSON.parse(value) as string) : value;
    });
}

export function listNames(names: readonly string[], peer: PeerCertificate): string {
  const shown = names.length > 0 ? names : [peer.subject?.CN].flat().filter((name): name is string => !!name);
  if (shown.length === 0) return 'no host name at all';
  if (shown.length === 1) return shown[0];
  const head = shown.slice(0, Math.min(shown.length - 1, 3));
  const rest = shown.length - head.length;
  return rest === 1 ? `${head.join(', ')} and ${shown[head.length]}` : `${head.join(', ')} and ${rest} more names`;
}

export function quoted(reply: SmtpReply): string {
  const text = replyText(reply);
  return text ? `: "${text}"` : '';
}

export function errorCode(error: unknown): string {
  if (typeof error === 'string') return error;
  if (error && typeof error === 'object') {
    const { code, message } = error as { code?: unknown; message?: unknown };
    if (typeof code === 'string') return code;
    if (typeof message === 'string') return message;
  }
  return String(error);
}

export function day(date: Date | undefined): string {
  return date && !Number.isNaN(date.getTime()) ? date.toISOString().slice(0, 10) : 'an unknown date';
}

export function seconds(ms: number): string {
  return String(Math.round(ms / 100) / 10);
}
