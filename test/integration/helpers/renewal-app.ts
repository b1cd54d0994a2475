import 'reflect-metadata';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { INestApplication } from '@nestjs/common';
import { ScheduleModule } from '@nestjs/schedule';
import { Test } from '@nestjs/testing';
import { TypeOrmModule } from '@nestjs/typeorm';
import { splitPemChain } from '../../../src/mta-sts/domain/certificate';
import { ScheduledJobs } from '../../../src/mta-sts/jobs/scheduled-jobs';
import { MtaStsModule } from '../../../src/mta-sts/mta-sts.module';
import { MtaStsModuleOptions } from '../../../src/mta-sts/mta-sts.options';
import { MTA_STS_RANDOM } from '../../../src/mta-sts/mta-sts.tokens';
import { MTA_STS_ENTITIES, MTA_STS_MIGRATIONS } from '../../../src/mta-sts/persistence';
import {
  CertificateAuthority,
  Clock,
  DnsResolver,
  HttpClient,
  HttpRequest,
  HttpResponse,
  IssuedCertificate,
  WebServer,
} from '../../../src/mta-sts/ports';
import { DomainsService } from '../../../src/mta-sts/services/domains.service';
import { ProvisioningService } from '../../../src/mta-sts/services/provisioning.service';
import { RenewalService } from '../../../src/mta-sts/services/renewal.service';
import { FakeHttpClient, UnexpectedCalls } from './fakes';
import { Fakes, SERVER_IPV4, makeFakes } from './provisioning-app';

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
    return { ...response, peerCertificatePem: chain.length > 0 ? `${chain.join('\n')}\n` : undefined };
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

/** A cron expression that does not fire while a test runs (midnight on 1 January). */
const NEVER_DURING_TESTS = '0 0 0 1 1 *';

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
  const moduleRef = await Test.createTestingModule({
    imports: [
      TypeOrmModule.forRoot({
        type: 'sqlite',
        database: join(dataDir, 'mta-sts.sqlite'),
        entities: MTA_STS_ENTITIES,
        migrations: MTA_STS_MIGRATIONS,
        migrationsRun: true,
        synchronize: false,
        retryAttempts: 0,
      }),
      ScheduleModule.forRoot(),
      MtaStsModule.forRoot({
        dataDir,
        serverIpv4: SERVER_IPV4,
        checks: { cron: NEVER_DURING_TESTS, jitterSeconds: 0 },
        renewals: { cron: NEVER_DURING_TESTS, jitterSeconds: 0 },
        ...options,
      }),
    ],
  })
    .overrideProvider(DnsResolver)
    .useValue(fakes.dns)
    .overrideProvider(WebServer)
    .useValue(fakes.web)
    .overrideProvider(CertificateAuthority)
    .useValue(fakes.ca)
    .overrideProvider(HttpClient)
    .useValue(fakes.http)
    .overrideProvider(Clock)
    .useValue(clock)
    .overrideProvider(MTA_STS_RANDOM)
    .useValue(random)
    .compile();
  const app = moduleRef.createNestApplication({ logger: false });
  await app.init();
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

/**
 * A self-signed P-256 certificate for one host name made with `openssl req -x509`, valid
 * from now for `days` days, with a Subject and an Authority Key Identifier (so it has an
 * ARI certificate id).
 */
export function makeCertificate(host: string, days: number): IssuedCertificate {
  const dir = mkdtempSync(join(tmpdir(), 'mta-sts-renewal-cert-'));
  try {
    const keyFile = join(dir, 'key.pem');
    const certFile = join(dir, 'cert.pem');
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-keyout',
        keyFile,
        '-out',
        certFile,
        '-days',
        String(days),
        '-subj',
        `/O=Integration Test CA/CN=${host}`,
        '-addext',
        `subjectAltName=DNS:${host}`,
      ],
      { stdio: 'pipe' },
    );
    return { certificatePem: readFileSync(certFile, 'utf8'), privateKeyPem: readFileSync(keyFile, 'utf8') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The bundle the module writes for a certificate: the chain, then the key. */
export function bundleOf(issued: IssuedCertificate): string {
  return `${issued.certificatePem.trim()}\n${issued.privateKeyPem.trim()}\n`;
}
