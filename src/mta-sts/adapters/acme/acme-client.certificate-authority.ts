import { createHash } from 'node:crypto';
import { Agent, get as httpsGet, globalAgent } from 'node:https';
import { join } from 'node:path';
import { createSecureContext, rootCertificates } from 'node:tls';
import * as acme from 'acme-client';
import { CertificateAuthorityError } from '../../domain/errors';
import {
  CertificateAuthority,
  Http01Responder,
  IssuedCertificate,
  IssueOptions,
  RenewalInfo,
} from '../../ports/certificate-authority.port';
import { FileStore } from '../../ports/file-store.port';

export interface AcmeOptions {
  readonly directoryUrl: string;
  readonly email?: string;
  /** Extra CA (PEM) to trust for the ACME server's own TLS certificate (Pebble in tests). */
  readonly extraCaPem?: string;
  /** Where the account key and URL are kept, one folder per directory URL. */
  readonly accountDir: string;
  readonly requestTimeoutMs: number;
}

interface StoredAccount {
  readonly directoryUrl: string;
  readonly url: string;
  readonly email?: string;
}

const PRIVATE = 0o600;

/** RFC 5280 ub-common-name. */
const MAX_COMMON_NAME = 64;

/** Parses a Retry-After header (seconds or an HTTP date, RFC 9110 §10.2.3). */
export function parseRetryAfter(value: unknown, now: Date): Date | undefined {
  if (typeof value !== 'string' || value.trim() === '') return undefined;
  if (/^\d+$/.test(value.trim())) return new Date(now.getTime() + Number(value.trim()) * 1000);
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? undefined : date;
}

/** The last Retry-After seen on a failed ACME response (acme-client drops headers from its errors). */
let lastRetryAfter: string | undefined;
/** The problem type (RFC 8555 §6.7) of the last failed ACME response: acme-client keeps only its detail. */
let lastProblemType: string | undefined;
/** The URL of the last ACME request, to name it when the CA could not be reached. */
let lastRequestUrl: string | undefined;

const ACCOUNT_DOES_NOT_EXIST = 'urn:ietf:params:acme:error:accountDoesNotExist';
const UNAUTHORIZED = 'urn:ietf:params:acme:error:unauthorized';

let configured = false;
function configureAcmeClient(options: AcmeOptions): void {
  const settings = (acme.axios.defaults as unknown as { acmeSettings: Record<string, number> }).acmeSettings;
  // acme-client retries 429/5xx and network errors, sleeping for whatever Retry-After says
  // with no upper bound, which can stall a request for hours. The module retries on its
  // own schedule instead (RenewalService, with the CA's Retry-After kept and shown).
  settings.retryMaxAttempts = 0;
  acme.axios.defaults.timeout = options.requestTimeoutMs;
  if (options.extraCaPem) {
    // One trust store for every connection: given `ca`, node builds a new one (parsing every
    // public root) for each TLS connection, some 40 ms of CPU, which every ACME request paid.
    // The global agent's settings otherwise (what acme-client uses without an extra CA): in
    // Node 20 it keeps connections open between an order's requests, one handshake for a dozen.
    const secureContext = createSecureContext({ ca: [...rootCertificates, options.extraCaPem] });
    acme.axios.defaults.httpsAgent = new Agent({ ...globalAgent.options, secureContext });
  }
  if (!configured) {
    configured = true;
    const remember = (response?: { status?: number; headers?: Record<string, unknown>; data?: unknown }) => {
      if (!response || (response.status ?? 0) < 400) return;
      const header = response.headers?.['retry-after'];
      if (typeof header === 'string') lastRetryAfter = header;
      const type = (response.data as { type?: unknown } | undefined)?.type;
      if (typeof type === 'string') lastProblemType = type;
    };
    acme.axios.interceptors.request.use((config) => {
      lastRequestUrl = config.url;
      return config;
    });
    acme.axios.interceptors.response.use(
      (response) => {
        remember(response);
        return response;
      },
      (error: { response?: { status?: number; headers?: Record<string, unknown>; data?: unknown } }) => {
        remember(error.response);
        return Promise.reject(error);
      },
    );
  }
}

/**
 * acme-client behind the `CertificateAuthority` port. The account key and URL are
 * persisted per directory, so staging and production never share an account. Orders use
 * acme-client's step-by-step API so that a renewal can name the certificate it replaces
 * (RFC 9773), which `auto()` cannot.
 */
export class AcmeClientCertificateAuthority extends CertificateAuthority {
  constructor(
    private readonly options: AcmeOptions,
    private readonly files: FileStore,
  ) {
    super();
    configureAcmeClient(options);
  }

  get directoryUrl(): string {
    return this.options.directoryUrl;
  }

  async issue(host: string, responder: Http01Responder, options: IssueOptions = {}): Promise<IssuedCertificate> {
    const accountKey = await this.accountKey();
    const stored = await this.storedAccount();
    lastRetryAfter = undefined;
    lastProblemType = undefined;
    try {
      try {
        return await this.order(host, responder, accountKey, stored?.url, options);
      } catch (error) {
        const lost = stored ? this.lostAccount(error) : undefined;
        if (!lost) throw error;
        // The CA no longer knows the account (a CA reset or restored, RFC 8555 §7.3.1) or
        // refuses it (deactivated, §7.3.6): register again, once, and say so. A deactivated
        // account's key can never be used again, so it gets a new one.
        const key = lost === 'deactivated' ? await this.accountKey(true) : accountKey;
        lastProblemType = undefined;
        const issued = await this.order(host, responder, key, undefined, options);
        return {
          ...issued,
          accountRecovered:
            lost === 'deactivated'
              ? `The certificate authority at ${this.options.directoryUrl} refused the ACME account (${stored!.url}) as deactivated; a new account with a new key was registered.`
              : `The certificate authority at ${this.options.directoryUrl} no longer knew the ACME account (${stored!.url}); the account was registered again.`,
        };
      }
    } catch (error) {
      throw await this.explain(error, host);
    }
  }

  /** Whether an order failed because the CA forgot (or deactivated) the stored account. */
  private lostAccount(error: unknown): 'missing' | 'deactivated' | undefined {
    const detail = String(error);
    if (lastProblemType === ACCOUNT_DOES_NOT_EXIST || /accountDoesNotExist|account does not exist/i.test(detail)) {
      return 'missing';
    }
    if (lastProblemType === UNAUTHORIZED && /deactivated|account is not valid/i.test(detail)) return 'deactivated';
    return undefined;
  }

  async renewalInfo(certificateId: string): Promise<RenewalInfo | undefined> {
    const directory = await acme.axios.get<{ renewalInfo?: string }>(this.options.directoryUrl);
    const base = directory.data?.renewalInfo;
    if (directory.status !== 200 || !base) return undefined;
    const answer = await acme.axios.get<{ suggestedWindow?: { start?: string; end?: string } }>(
      `${base.replace(/\/$/, '')}/${certificateId}`,
    );
    const window = answer.data?.suggestedWindow;
    if (answer.status !== 200 || !window?.start || !window.end) return undefined;
    const start = new Date(window.start);
    const end = new Date(window.end);
    if (Number.isNaN(start.getTime()) || Number.isNaN(end.getTime()) || end < start) return undefined;
    return { start, end, retryAfter: parseRetryAfter(answer.headers?.['retry-after'], new Date()) };
  }

  private async order(
    host: string,
    responder: Http01Responder,
    accountKey: string,
    accountUrl: string | undefined,
    options: IssueOptions,
  ): Promise<IssuedCertificate> {
    const client = new acme.Client({
      directoryUrl: this.options.directoryUrl,
      accountKey,
      accountUrl,
      backoffAttempts: 8,
      backoffMin: 500,
      backoffMax: 8_000,
    });
    await client.createAccount({
      termsOfServiceAgreed: true,
      ...(this.options.email ? { contact: [`mailto:${this.options.email}`] } : {}),
    });
    await this.rememberAccount(client.getAccountUrl());

    const [privateKey, csr] = await acme.crypto.createCsr(
      // A common name has at most 64 characters (RFC 5280 ub-common-name); a longer host
      // name goes in the subjectAltName alone, which is what senders check anyway.
      host.length <= MAX_COMMON_NAME ? { commonName: host, altNames: [host] } : { altNames: [host] },
      await acme.crypto.createPrivateEcdsaKey('P-256'),
    );
    // `replaces` is not in acme-client's types yet (RFC 9773 §5).
    const request = {
      identifiers: [{ type: 'dns', value: host }],
      ...(options.replaces ? { replaces: options.replaces } : {}),
    };
    const order = await client.createOrder(request as Parameters<acme.Client['createOrder']>[0]);
    for (const authorization of await client.getAuthorizations(order)) {
      if (authorization.status === 'valid') continue;
      const challenge = authorization.challenges.find((candidate) => candidate.type === 'http-01');
      if (!challenge) throw new Error(`the CA offers no http-01 challenge for ${host}`);
      const keyAuthorization = await client.getChallengeKeyAuthorization(challenge);
      await responder.publish(challenge.token, keyAuthorization);
      try {
        await client.completeChallenge(challenge);
        await client.waitForValidStatus(challenge);
      } finally {
        await responder.withdraw(challenge.token);
      }
    }
    const finalized = await client.finalizeOrder(order, csr);
    const certificatePem = await client.getCertificate(finalized);
    return { certificatePem, privateKeyPem: privateKey.toString('utf8') };
  }

  private async explain(error: unknown, host: string): Promise<CertificateAuthorityError> {
    const detail = error instanceof Error ? error.message : String(error);
    const retryAfter = parseRetryAfter(lastRetryAfter, new Date());
    const unreachable =
      /ECONNREFUSED|ETIMEDOUT|ENOTFOUND|EAI_AGAIN|ECONNRESET|socket hang up|timeout/i.test(detail) ||
      // acme-client 5.4 with retries off: a request that got no HTTP response at all fails
      // inside its retry interceptor with this TypeError instead of the network error.
      (error instanceof TypeError && /reading 'config'/.test(detail));
    if (unreachable) {
      const url = lastRequestUrl ?? this.options.directoryUrl;
      const cause = await reachability(url, this.options);
      return new CertificateAuthorityError(
        `The certificate authority could not be reached at ${url}${cause ? ` (${cause})` : ''}. ` +
          'Check that this server can open HTTPS connections to it (firewall, DNS, proxy) and that MTA_STS_ACME_DIRECTORY_URL is right.',
        cause ?? detail,
        retryAfter,
      );
    }
    let advice = 'The certificate authority refused the order.';
    if (/rateLimited|too many/i.test(detail)) {
      advice = 'The certificate authority is rate-limiting this account or name.';
    } else if (
      /unauthorized|incorrectResponse|connection|fetching http|dns/i.test(detail) &&
      /challenge|authoriz|validat|http-01|fetch/i.test(detail)
    ) {
      advice = `The certificate authority could not fetch the HTTP-01 answer from http://${host}/.well-known/acme-challenge/: check that port 80 of this server is reachable from the internet.`;
    }
    const when = retryAfter ? ` It asks to retry after ${retryAfter.toISOString()}.` : '';
    return new CertificateAuthorityError(`${advice}${when} (${detail})`, detail, retryAfter);
  }

  private accountPath(file: string): string {
    const slot = createHash('sha256').update(this.options.directoryUrl).digest('hex').slice(0, 16);
    return join(this.options.accountDir, slot, file);
  }

  private async storedAccount(): Promise<StoredAccount | undefined> {
    const text = await this.files.read(this.accountPath('account.json'));
    return text ? (JSON.parse(text) as StoredAccount) : undefined;
  }

  private async rememberAccount(url: string): Promise<void> {
    if ((await this.storedAccount())?.url === url) return;
    const account: StoredAccount = { directoryUrl: this.options.directoryUrl, url, email: this.options.email };
    await this.files.writeAtomic(this.accountPath('account.json'), `${JSON.stringify(account, null, 2)}\n`, PRIVATE);
  }

  /** The account key; `fresh` replaces it (a deactivated account's key is refused for good). */
  private async accountKey(fresh = false): Promise<string> {
    const path = this.accountPath('account.key');
    const existing = fresh ? undefined : await this.files.read(path);
    if (existing) return existing;
    await this.files.ensureDir(join(path, '..'), 0o700);
    const key = (await acme.crypto.createPrivateEcdsaKey('P-256')).toString('utf8');
    await this.files.writeAtomic(path, key, PRIVATE);
    return key;
  }
}

/** Network error codes in the words the card shows. */
const NETWORK_WORDS: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ENOTFOUND: 'the name does not resolve',
  EAI_AGAIN: 'the name could not be looked up',
  ETIMEDOUT: 'timed out',
  ECONNRESET: 'the connection was reset',
  EHOSTUNREACH: 'no route to the host',
  ENETUNREACH: 'no route to the network',
  DEPTH_ZERO_SELF_SIGNED_CERT: 'its TLS certificate is not trusted',
  SELF_SIGNED_CERT_IN_CHAIN: 'its TLS certificate is not trusted',
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'its TLS certificate is not trusted',
  CERT_HAS_EXPIRED: 'its TLS certificate has expired',
};

/** Why a URL cannot be reached, in a few words, or undefined when it answers at all. */
async function reachability(url: string, options: AcmeOptions): Promise<string | undefined> {
  // Not through acme-client's axios instance: its retry interceptor loses the network error.
  const code = await new Promise<string | undefined>((resolve) => {
    const agent = acme.axios.defaults.httpsAgent as Agent | undefined;
    const request = httpsGet(url, { agent, timeout: Math.min(options.requestTimeoutMs, 10_000) }, (response) => {
      response.resume();
      resolve(undefined);
    });
    request.on('timeout', () => request.destroy(Object.assign(new Error('timeout'), { code: 'ETIMEDOUT' })));
    request.on('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? 'no answer'));
  });
  if (code === undefined) return undefined;
  return Object.hasOwn(NETWORK_WORDS, code) ? NETWORK_WORDS[code] : code;
}
