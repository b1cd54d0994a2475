import { Socket } from 'node:net';
import { connect as tlsConnect, createSecureContext, rootCertificates, SecureContext } from 'node:tls';
import { DnsResolver } from '../../ports/dns-resolver.port';
import { SmtpProbeResult, SmtpProber } from '../../ports/smtp-prober.port';
import { offersStartTls } from './smtp-replies';
import { AddressOutcome, describeFailure, errorCode, inspect, Problem, quoted, Step, summarize } from './smtp-findings';
import { connectTo, Deadline, handshake, quit, ReplyChannel } from './smtp-session';

export { certificateClause, handshakeClause } from './smtp-findings';

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
