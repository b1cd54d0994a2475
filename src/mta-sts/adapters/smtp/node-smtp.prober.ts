import { Socket } from 'node:net';
import {
  checkServerIdentity,
  connect as tlsConnect,
  createSecureContext,
  PeerCertificate,
  rootCertificates,
  SecureContext,
  TLSSocket,
} from 'node:tls';
import { DnsResolver } from '../../ports/dns-resolver.port';
import { SmtpAddressResult, SmtpProbeResult, SmtpProber } from '../../ports/smtp-prober.port';
import { offersStartTls, replyText, SmtpReply, SmtpReplyError, SmtpReplyReader } from './smtp-replies';

export interface NodeSmtpProberOptions {
  /** TCP port of the MX hosts: 25 everywhere but in tests. */
  readonly port: number;
  /** Budget for one address: connection, greeting, EHLO, STARTTLS and TLS handshake. */
  readonly timeoutMs: number;
  /** The name sent in `EHLO`: this server's host name. */
  readonly heloName: string;
  /** A CA certificate (PEM) trusted besides Node's roots, e.g. a test or private CA. */
  readonly extraCaPem?: string;
}

/** Bounds the work per MX host when DNS lists many addresses. */
const MAX_ADDRESSES_PER_HOST = 4;
/** A server that does not answer QUIT promptly is not waited for: the probe already has its result. */
const QUIT_GRACE_MS = 1000;
/** Errors that mean this server has no route to the address (an IPv6 MX seen from a v4-only host). */
const UNREACHABLE: Readonly<Record<string, string>> = {
  ENETUNREACH: 'network unreachable',
  EHOSTUNREACH: 'no route to host',
  EADDRNOTAVAIL: 'no local address to connect from',
  EAFNOSUPPORT: 'address family not supported here',
};

type Step = 'connect' | 'greeting' | 'ehlo' | 'starttls' | 'tls';

/** What each step was doing, for the sentences about timeouts and closed connections. */
const STEP_WORDS: Readonly<Record<Step, { waiting: (port: number) => string; closed: string }>> = {
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
class Problem extends Error {
  constructor(
    readonly sentence: string,
    readonly unreachable?: string,
  ) {
    super(sentence);
  }
}

class TimedOut extends Error {}
class ConnectionClosed extends Error {}

interface AddressOutcome {
  readonly result: SmtpAddressResult;
  /** Why this server has no route to the address; such an address does not count. */
  readonly unreachable?: string;
}

/**
 * Probes MX hosts with `node:net` and `node:tls` the way an MTA-STS sender does
 * (RFC 8461 §4.2, RFC 3207): greeting, EHLO, STARTTLS, TLS 1.2 or later, then a
 * certificate that chains to a trusted root, has not expired and names the MX host.
 * The handshake does not reject anything itself, so the certificate can still be read
 * and described when it fails.
 */
export class NodeSmtpProber extends SmtpProber {
  private context: SecureContext | undefined;

  constructor(
    private readonly options: NodeSmtpProberOptions,
    private readonly dns: DnsResolver,
  ) {
    super();
    if (!/^[\x21-\x7e]+$/.test(options.heloName)) {
      throw new Error(`heloName must be a host name without spaces, got ${JSON.stringify(options.heloName)}`);
    }
  }

  async probe(host: string): Promise<SmtpProbeResult> {
    const name = host.trim().toLowerCase().replace(/\.$/, '');
    const [v4, v6] = await Promise.allSettled([this.dns.resolveAddresses(name, 4), this.dns.resolveAddresses(name, 6)]);
    const found = interleave(fulfilled(v4), fulfilled(v6));
    if (found.length === 0) {
      const failed = [v4, v6].find((answer) => answer.status === 'rejected');
      const summary = failed
        ? `The addresses of ${name} could not be looked up (${errorCode(failed.reason)})`
        : `${name} has no A or AAAA records`;
      return { host: name, ok: false, summary, addresses: [] };
    }
    const outcomes = await Promise.all(
      found.slice(0, MAX_ADDRESSES_PER_HOST).map((address) => this.probeAddress(name, address)),
    );
    return summarize(name, outcomes);
  }

  private secureContext(): SecureContext {
    this.context ??= createSecureContext({
      ca: this.options.extraCaPem ? [...rootCertificates, this.options.extraCaPem] : undefined,
      minVersion: 'TLSv1.2',
    });
    return this.context;
  }

  private async probeAddress(host: string, address: string): Promise<AddressOutcome> {
    const { port, timeoutMs, heloName } = this.options;
    const subject = `${host} (${address})`;
    const deadline = new Deadline(timeoutMs);
    const sockets: Socket[] = [];
    let step: Step = 'connect';
    let plain: ReplyChannel | undefined;
    try {
      const raw = new Socket();
      sockets.push(raw);
      // Errors after the ones awaited below must not crash the process.
      raw.on('error', () => undefined);
      await deadline.race(connectTo(raw, address, port));
      plain = new ReplyChannel(raw);

      step = 'greeting';
      const greeting = await deadline.race(plain.read());
      if (greeting.code !== 220) {
        throw new Problem(`${subject} greeted with ${greeting.code} instead of 220${quoted(greeting)}`);
      }

      step = 'ehlo';
      plain.send(`EHLO ${heloName}`);
      const ehlo = await deadline.race(plain.read());
      if (ehlo.code !== 250) throw new Problem(`${subject} answered EHLO with ${ehlo.code}${quoted(ehlo)}`);
      if (!offersStartTls(ehlo)) throw new Problem(`${subject} does not offer STARTTLS`);

      step = 'starttls';
      plain.send('STARTTLS');
      const ready = await deadline.race(plain.read());
      if (ready.code !== 220) throw new Problem(`${subject} refused STARTTLS with ${ready.code}${quoted(ready)}`);
      plain.detach();
      plain = undefined;

      step = 'tls';
      const secure = tlsConnect({
        socket: raw,
        servername: host,
        secureContext: this.secureContext(),
        minVersion: 'TLSv1.2',
        rejectUnauthorized: false,
        // Checked below, so that a name mismatch is reported next to a chain problem.
        checkServerIdentity: () => undefined,
      });
      sockets.push(secure);
      secure.on('error', () => undefined);
      await deadline.race(handshake(secure));
      const result = inspect(subject, host, address, secure);
      await quit(new ReplyChannel(secure), deadline);
      return { result };
    } catch (error) {
      const problem = describeFailure(error, step, subject, port, timeoutMs);
      if (plain && error instanceof Problem) await quit(plain, deadline);
      return { result: { address, ok: false, problem: problem.sentence }, unreachable: problem.unreachable };
    } finally {
      deadline.clear();
      for (const socket of sockets) socket.destroy();
    }
  }
}

/** The negotiated session and certificate, judged as RFC 8461 §4.2 requires. */
function inspect(subject: string, host: string, address: string, secure: TLSSocket): SmtpAddressResult {
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

function describeFailure(error: unknown, step: Step, subject: string, port: number, timeoutMs: number): Problem {
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
function summarize(host: string, outcomes: readonly AddressOutcome[]): SmtpProbeResult {
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

/** Reads replies from a socket as they complete; fails on close, socket error or bad bytes. */
class ReplyChannel {
  private readonly reader = new SmtpReplyReader();
  private readonly replies: SmtpReply[] = [];
  private failure: Error | undefined;
  private waiter: { resolve: (reply: SmtpReply) => void; reject: (error: Error) => void } | undefined;

  constructor(private readonly socket: Socket) {
    socket.on('data', this.onData);
    socket.on('error', this.onError);
    socket.on('close', this.onClose);
  }

  send(command: string): void {
    this.socket.write(`${command}\r\n`);
  }

  read(): Promise<SmtpReply> {
    return new Promise((resolve, reject) => {
      this.waiter = { resolve, reject };
      this.settle();
    });
  }

  /** Stops reading, before the socket is handed to TLS. */
  detach(): void {
    this.socket.off('data', this.onData);
    this.socket.off('error', this.onError);
    this.socket.off('close', this.onClose);
  }

  private readonly onData = (chunk: Buffer): void => {
    try {
      this.replies.push(...this.reader.push(chunk));
    } catch (error) {
      this.failure ??= error as Error;
      this.socket.destroy();
    }
    this.settle();
  };

  private readonly onError = (error: Error): void => {
    this.failure ??= error;
    this.settle();
  };

  private readonly onClose = (): void => {
    this.failure ??= new ConnectionClosed();
    this.settle();
  };

  private settle(): void {
    const waiter = this.waiter;
    if (!waiter) return;
    const reply = this.replies.shift();
    if (reply) {
      this.waiter = undefined;
      waiter.resolve(reply);
    } else if (this.failure) {
      this.waiter = undefined;
      waiter.reject(this.failure);
    }
  }
}

/** One timer for the whole exchange with one address. */
class Deadline {
  private readonly timer: NodeJS.Timeout;
  private readonly expired: Promise<never>;
  private readonly startedAt = performance.now();

  constructor(private readonly ms: number) {
    let expire: (error: Error) => void = () => undefined;
    this.expired = new Promise<never>((_, reject) => (expire = reject));
    this.expired.catch(() => undefined);
    this.timer = setTimeout(() => expire(new TimedOut()), ms);
  }

  get remainingMs(): number {
    return Math.max(0, this.ms - (performance.now() - this.startedAt));
  }

  race<T>(work: Promise<T>): Promise<T> {
    return Promise.race([work, this.expired]);
  }

  clear(): void {
    clearTimeout(this.timer);
  }
}

/** RFC 5321 §4.1.1.10: say goodbye and wait briefly for 221 rather than just hanging up. */
async function quit(channel: ReplyChannel, deadline: Deadline): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  try {
    channel.send('QUIT');
    const grace = new Promise<void>(
      (resolve) => (timer = setTimeout(resolve, Math.min(QUIT_GRACE_MS, deadline.remainingMs))),
    );
    await Promise.race([channel.read(), grace]);
  } catch {
    // The result is known; a server that hangs up on QUIT changes nothing.
  } finally {
    clearTimeout(timer);
  }
}

function connectTo(socket: Socket, address: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    socket.once('error', reject);
    socket.connect({ host: address, port }, () => {
      socket.off('error', reject);
      resolve();
    });
  });
}

function handshake(secure: TLSSocket): Promise<void> {
  return new Promise((resolve, reject) => {
    const onClose = () => reject(new ConnectionClosed());
    secure.once('error', reject);
    secure.once('close', onClose);
    secure.once('secureConnect', () => {
      secure.off('error', reject);
      secure.off('close', onClose);
      resolve();
    });
  });
}

/** `DNS:a.example, DNS:b.example, IP Address:...` (names with commas come JSON-quoted). */
function sanDnsNames(subjectAltName: string | undefined): string[] {
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

function listNames(names: readonly string[], peer: PeerCertificate): string {
  const shown = names.length > 0 ? names : [peer.subject?.CN].flat().filter((name): name is string => !!name);
  if (shown.length === 0) return 'no host name at all';
  if (shown.length === 1) return shown[0];
  const head = shown.slice(0, Math.min(shown.length - 1, 3));
  const rest = shown.length - head.length;
  return rest === 1 ? `${head.join(', ')} and ${shown[head.length]}` : `${head.join(', ')} and ${rest} more names`;
}

function quoted(reply: SmtpReply): string {
  const text = replyText(reply);
  return text ? `: "${text}"` : '';
}

function fulfilled(answer: PromiseSettledResult<string[]>): string[] {
  return answer.status === 'fulfilled' ? answer.value : [];
}

/** IPv4 and IPv6 alternately, so the bound on addresses keeps both families. */
function interleave(v4: readonly string[], v6: readonly string[]): string[] {
  const all: string[] = [];
  for (let i = 0; i < Math.max(v4.length, v6.length); i++) {
    if (i < v4.length) all.push(v4[i]);
    if (i < v6.length) all.push(v6[i]);
  }
  return [...new Set(all)];
}

function errorCode(error: unknown): string {
  if (typeof error === 'string') return error;
  if (error && typeof error === 'object') {
    const { code, message } = error as { code?: unknown; message?: unknown };
    if (typeof code === 'string') return code;
    if (typeof message === 'string') return message;
  }
  return String(error);
}

function day(date: Date | undefined): string {
  return date && !Number.isNaN(date.getTime()) ? date.toISOString().slice(0, 10) : 'an unknown date';
}

function seconds(ms: number): string {
  return String(Math.round(ms / 100) / 10);
}
