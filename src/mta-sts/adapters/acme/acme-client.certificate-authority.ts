import { createHash } from 'node:crypto';
import { Agent } from 'node:https';
import { join } from 'node:path';
import { rootCertificates } from 'node:tls';
import * as acme from 'acme-client';
import { OperationFailedError } from '../../domain/errors';
import { CertificateAuthority, Http01Responder, IssuedCertificate } from '../../ports/certificate-authority.port';
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

/**
 * acme-client behind the `CertificateAuthority` port. The account key and URL are
 * persisted per directory, so staging and production never share an account.
 */
export class AcmeClientCertificateAuthority extends CertificateAuthority {
  constructor(
    private readonly options: AcmeOptions,
    private readonly files: FileStore,
  ) {
    super();
    // acme-client retries 429/5xx honouring Retry-After without an upper bound, which can
    // stall an order for hours; allow a couple of quick retries and report the rest.
    const settings = (acme.axios.defaults as unknown as { acmeSettings: Record<string, number> }).acmeSettings;
    settings.retryMaxAttempts = 2;
    settings.retryDefaultDelay = 2;
    acme.axios.defaults.timeout = options.requestTimeoutMs;
    if (options.extraCaPem) {
      acme.axios.defaults.httpsAgent = new Agent({ ca: [...rootCertificates, options.extraCaPem] });
    }
  }

  get directoryUrl(): string {
    return this.options.directoryUrl;
  }

  async issue(host: string, responder: Http01Responder): Promise<IssuedCertificate> {
    const accountKey = await this.accountKey();
    const stored = await this.storedAccount();
    try {
      return await this.order(host, responder, accountKey, stored?.url);
    } catch (error) {
      // The CA forgot the account (a test CA restarted, or the account was deactivated):
      // register the same key again once.
      if (stored && /accountDoesNotExist|account does not exist|unable to find account/i.test(String(error))) {
        return this.order(host, responder, accountKey, undefined);
      }
      throw this.explain(error, host);
    }
  }

  private async order(
    host: string,
    responder: Http01Responder,
    accountKey: string,
    accountUrl: string | undefined,
  ): Promise<IssuedCertificate> {
    const client = new acme.Client({
      directoryUrl: this.options.directoryUrl,
      accountKey,
      accountUrl,
      backoffAttempts: 8,
      backoffMin: 500,
      backoffMax: 8_000,
    });
    const [privateKey, csr] = await acme.crypto.createCsr(
      { commonName: host, altNames: [host] },
      await acme.crypto.createPrivateEcdsaKey('P-256'),
    );
    const certificatePem = await client.auto({
      csr,
      email: this.options.email,
      termsOfServiceAgreed: true,
      challengePriority: ['http-01'],
      // The caller already checked DNS and port 80 through the module's own resolver;
      // acme-client's check would use the system resolver (see mta-sts-facts §7).
      skipChallengeVerification: true,
      challengeCreateFn: async (_authz, challenge, keyAuthorization) => {
        await responder.publish(challenge.token, keyAuthorization);
      },
      challengeRemoveFn: async (_authz, challenge) => {
        await responder.withdraw(challenge.token);
      },
    });
    const url = client.getAccountUrl();
    const stored = await this.storedAccount();
    if (stored?.url !== url) {
      const account: StoredAccount = { directoryUrl: this.options.directoryUrl, url, email: this.options.email };
      await this.files.writeAtomic(this.accountPath('account.json'), `${JSON.stringify(account, null, 2)}\n`, PRIVATE);
    }
    return { certificatePem, privateKeyPem: privateKey.toString('utf8') };
  }

  private explain(error: unknown, host: string): OperationFailedError {
    const detail = error instanceof Error ? error.message : String(error);
    let advice = 'The certificate authority refused the order.';
    if (/rateLimited|too many/i.test(detail)) {
      advice = 'The certificate authority is rate-limiting this account or name; try again later.';
    } else if (/connection|timeout|ECONN|ENOTFOUND|EAI_AGAIN|socket/i.test(detail)) {
      advice = `The certificate authority at ${this.options.directoryUrl} could not be reached.`;
    } else if (/unauthorized|invalid response|connection refused|fetching http/i.test(detail)) {
      advice = `The certificate authority could not fetch the HTTP-01 answer from http://${host}/.well-known/acme-challenge/: check that port 80 of this server is reachable from the internet.`;
    }
    return new OperationFailedError(`${advice} (${detail})`, detail);
  }

  private accountPath(file: string): string {
    const slot = createHash('sha256').update(this.options.directoryUrl).digest('hex').slice(0, 16);
    return join(this.options.accountDir, slot, file);
  }

  private async storedAccount(): Promise<StoredAccount | undefined> {
    const text = await this.files.read(this.accountPath('account.json'));
    return text ? (JSON.parse(text) as StoredAccount) : undefined;
  }

  private async accountKey(): Promise<string> {
    const path = this.accountPath('account.key');
    const existing = await this.files.read(path);
    if (existing) return existing;
    await this.files.ensureDir(join(path, '..'), 0o700);
    const key = (await acme.crypto.createPrivateEcdsaKey('P-256')).toString('utf8');
    await this.files.writeAtomic(path, key, PRIVATE);
    return key;
  }
}
