import 'reflect-metadata';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { INestApplication } from '@nestjs/common';

import { describeCertificate, splitPemChain } from '../../../src/mta-sts/domain/certificate';
import { ScheduledJobs } from '../../../src/mta-sts/jobs/scheduled-jobs';

import { MtaStsModuleOptions } from '../../../src/mta-sts/mta-sts.options';

import { Clock, HttpRequest, HttpResponse, IssuedCertificate } from '../../../src/mta-sts/ports';
import { DomainsService } from '../../../src/mta-sts/services/domains.service';
import { ProvisioningService } from '../../../src/mta-sts/services/provisioning.service';
import { RenewalService } from '../../../src/mta-sts/services/renewal.service';
import { FakeHttpClient, UnexpectedCalls } from './fakes';
import { createModuleApp, Fakes, SERVER_IPV4, makeFakes } from './provisioning-app';
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

export interface RenewalApp extends Fakes {
  readonly app: INestApplication;
  readonly dataDir: string;
  readonly clock: FakeClock;
  readonly provisioning: ProvisioningService;
  readonly domains: DomainsService;
  readonly renewals: RenewalService;
  readonly jobs: ScheduledJobs;
}

/**
 * The real MtaStsModule with a real sqlite database, like `createProvisioningApp`, plus a
 * fake clock and a fixed random source (0.5 unless told otherwise). The scheduled jobs are
 * registered with crons that do not fire during a test and without start-up jitter, so a
 * test calls `jobs.runRenewals()` / `jobs.runChecks()` itself.
 */
export async function createRenewalApp(
  dataDir: string,
  fakes: Fakes,
  clock: FakeClock,
  random: () => number = () => 0.5,
  options: Partial<MtaStsModuleOptions> = {},
): Promise<RenewalApp> {
  const app = await createModuleApp(dataDir, fakes, { options, clock, random });
  return {
    ...fakes,
    app,
    dataDir,
    clock,
    provisioning: app.get(ProvisioningService),
    domains: app.get(DomainsService),
    renewals: app.get(RenewalService),
    jobs: app.get(ScheduledJobs),
  };
}

/** A certificate for `host` valid from now for `days` days (see `makeTestCertificate`). */
export function makeCertificate(host: string, days: number): IssuedCertificate {
  return makeTestCertificate(host, days);
}

/** The bundle the module writes for a certificate: the chain, then the key. */
export function bundleOf(issued: IssuedCertificate): string {
  return `${issued.certificatePem.trim()}\n${issued.privateKeyPem.trim()}\n`;
}
