import 'reflect-metadata';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

import { describeCertificate, splitPemChain } from '../../../src/mta-sts/domain/certificate';

import { Clock, HttpRequest, HttpResponse, IssuedCertificate } from '../../../src/mta-sts/ports';
import { FakeHttpClient, UnexpectedCalls } from './fakes';
import { Fakes, SERVER_IPV4, makeFakes } from './provisioning-app';
import { makeTestCertificate } from './test-certificate';

/** A clock that stands still until a test moves it. */
export class FakeClock extends Clock {
  constructor(private current: Date) {
    super();
  }

  now(): Date {
    return new Date(this.current.getTime());
  }

  set(at: Date): void {
    this.current = new Date(at.getTime());
  }

  advance(ms: number): void {
    this.current = new Date(this.current.getTime() + ms);
  }
}

/**
 * `FakeHttpClient` presenting, like nginx, the certificate currently in the domain's bundle
 * file on disk (none when there is no bundle), so a renewed certificate is what the
 * self-check and the readiness checks see.
 */
export class BundleServingHttpClient extends FakeHttpClient {
  constructor(
    unexpected: UnexpectedCalls,
    private readonly root: string,
  ) {
    super(unexpected, root, SERVER_IPV4, '');
  }

  async request(request: HttpRequest): Promise<HttpResponse> {
    const response = await super.request(request);
    if (!request.tls) return response;
    const bundleFile = join(this.root, 'certs', request.host.slice('mta-sts.'.length), 'certificate.pem');
    const chain = existsSync(bundleFile) ? splitPemChain(readFileSync(bundleFile, 'utf8')) : [];
    return { ...response, peerCertificate: chain.length > 0 ? describeCertificate(chain[0]) : undefined };
  }
}

/** `makeFakes` with the bundle-serving HTTP client. */
export function makeRenewalFakes(dataDir: string, hosts: string[]): Fakes {
  const fakes = makeFakes(dataDir, { certificatePem: '', privateKeyPem: '' }, hosts);
  return { ...fakes, http: new BundleServingHttpClient(fakes.unexpected, dataDir) };
}

export function makeCertificate(host: string, days: number): IssuedCertificate {
  return makeTestCertificate(host, days);
}

/** The bundle the module writes for a certificate: the chain, then the key. */
export function bundleOf(issued: IssuedCertificate): string {
  return `${issued.certificatePem.trim()}\n${issued.privateKeyPem.trim()}\n`;
}
