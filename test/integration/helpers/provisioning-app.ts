import 'reflect-metadata';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { ScheduleModule } from '@nestjs/schedule';
import { TypeOrmModule, TypeOrmModuleOptions } from '@nestjs/typeorm';
import { testDatabase } from '../../support/test-database';
import { MtaStsModule } from '../../../src/mta-sts/mta-sts.module';
import { MtaStsModuleOptions } from '../../../src/mta-sts/mta-sts.options';
import { MTA_STS_RANDOM } from '../../../src/mta-sts/mta-sts.tokens';
import { MTA_STS_ENTITIES, MTA_STS_MIGRATIONS } from '../../../src/mta-sts/persistence';
import {
  CertificateAuthority,
  Clock,
  DnsResolver,
  HttpClient,
  IssuedCertificate,
  Notifier,
  SmtpProber,
  WebServer,
} from '../../../src/mta-sts/ports';
import { DomainsService } from '../../../src/mta-sts/services/domains.service';
import { ProvisioningService } from '../../../src/mta-sts/services/provisioning.service';
import { RenewalService } from '../../../src/mta-sts/services/renewal.service';
import { ScheduledJobs } from '../../../src/mta-sts/jobs/scheduled-jobs';
import { MtaStsDomainEntity } from '../../../src/mta-sts/persistence/mta-sts-domain.entity';
import { MtaStsCheckEntity } from '../../../src/mta-sts/persistence/mta-sts-check.entity';
import { DataSource, Repository } from 'typeorm';
import {
  FakeCertificateAuthority,
  FakeDnsResolver,
  FakeHttpClient,
  FakeSmtpProber,
  FakeWebServer,
  IssueAnswer,
  UnexpectedCalls,
} from './fakes';

export const SERVER_IPV4 = '192.0.2.10';

export interface Fakes {
  readonly unexpected: UnexpectedCalls;
  readonly dns: FakeDnsResolver;
  readonly web: FakeWebServer;
  readonly ca: FakeCertificateAuthority;
  readonly http: FakeHttpClient;
  readonly smtp: FakeSmtpProber;
}

export function makeFakes(dataDir: string, certificate: IssuedCertificate, hosts: string[]): Fakes {
  const unexpected = new UnexpectedCalls();
  return {
    unexpected,
    dns: new FakeDnsResolver(unexpected),
    web: new FakeWebServer(unexpected, new Set(hosts)),
    ca: new FakeCertificateAuthority(unexpected),
    http: new FakeHttpClient(unexpected, dataDir, SERVER_IPV4, certificate.certificatePem),
    smtp: new FakeSmtpProber(),
  };
}

/**
 * A CA answer that behaves like an HTTP-01 order: it publishes an answer through the
 * module's responder, checks the file is in the webroot nginx serves, withdraws it and
 * returns `certificate`.
 */
export function issuing(dataDir: string, certificate: IssuedCertificate): IssueAnswer {
  return async (_host, responder) => {
    const token = 'integration-token_1';
    const file = join(dataDir, 'webroot', '.well-known', 'acme-challenge', token);
    await responder.publish(token, `${token}.thumbprint`);
    if (readFileSync(file, 'utf8') !== `${token}.thumbprint`)
      throw new Error('the HTTP-01 answer is not in the webroot');
    await responder.withdraw(token);
    if (existsSync(file)) throw new Error('the HTTP-01 answer was not withdrawn');
    return certificate;
  };
}

/** A cron expression that does not fire while a test runs (midnight on 1 January). */
export const NEVER_DURING_TESTS = '0 0 0 1 1 *';

export interface ModuleAppOptions {
  readonly options?: Partial<MtaStsModuleOptions>;
  /** Replaces the system clock. */
  readonly clock?: Clock;
  /** Replaces `Math.random` for jitter and ARI timing. */
  readonly random?: () => number;
  /** Receives the module's notifications. */
  readonly notifier?: Notifier;
  /** Runs before `init()`, e.g. the standalone panel's HTTP hardening. */
  readonly beforeInit?: (app: INestApplication) => void;
  /** SQLite's busy timeout in milliseconds (none by default: a lock fails at once). */
  readonly busyTimeout?: number;
}

/**
 * The real MtaStsModule with a real database (SQLite, or PostgreSQL with
 * `MTA_STS_TEST_DATABASE=postgres`; migrated at start-up) and the real
 * file store under `dataDir`; DNS, nginx, the CA and HTTP are fakes. Scheduled jobs are
 * registered with crons that do not fire during a test and without jitter. Initialised,
 * so bootstrap hooks have run.
 */
export async function createModuleApp(
  dataDir: string,
  fakes: Fakes,
  setup: ModuleAppOptions = {},
): Promise<INestApplication> {
  const database = await testDatabase(dataDir);
  let builder = Test.createTestingModule({
    imports: [
      TypeOrmModule.forRoot({
        ...database.options,
        entities: MTA_STS_ENTITIES,
        migrations: MTA_STS_MIGRATIONS,
        migrationsRun: true,
        synchronize: false,
        retryAttempts: 0,
        ...(setup.busyTimeout && database.options.type === 'sqlite' ? { busyTimeout: setup.busyTimeout } : {}),
      } as TypeOrmModuleOptions),
      ScheduleModule.forRoot(),
      MtaStsModule.forRoot({
        dataDir,
        serverIpv4: SERVER_IPV4,
        checks: { cron: NEVER_DURING_TESTS, jitterSeconds: 0 },
        renewals: { cron: NEVER_DURING_TESTS, jitterSeconds: 0 },
        ...setup.options,
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
    .overrideProvider(SmtpProber)
    .useValue(fakes.smtp);
  if (setup.clock) builder = builder.overrideProvider(Clock).useValue(setup.clock);
  if (setup.notifier) builder = builder.overrideProvider(Notifier).useValue(setup.notifier);
  if (setup.random) builder = builder.overrideProvider(MTA_STS_RANDOM).useValue(setup.random);
  const app = (await builder.compile()).createNestApplication({ logger: false });
  setup.beforeInit?.(app);
  await app.init();
  return app;
}

/** What a spec works with: the app, its fakes, and the services and tables specs look at. */
export interface TestApp extends Fakes {
  readonly app: INestApplication;
  readonly dataDir: string;
  readonly clock?: Clock;
  readonly provisioning: ProvisioningService;
  readonly domains: DomainsService;
  readonly renewals: RenewalService;
  readonly jobs: ScheduledJobs;
  readonly domainRows: Repository<MtaStsDomainEntity>;
  readonly checkRows: Repository<MtaStsCheckEntity>;
}

/** The one app builder of the integration specs (see `createModuleApp`). */
export async function createTestApp(dataDir: string, fakes: Fakes, setup: ModuleAppOptions = {}): Promise<TestApp> {
  const app = await createModuleApp(dataDir, fakes, setup);
  const dataSource = app.get(DataSource);
  return {
    ...fakes,
    app,
    dataDir,
    clock: setup.clock,
    provisioning: app.get(ProvisioningService),
    domains: app.get(DomainsService),
    renewals: app.get(RenewalService),
    jobs: app.get(ScheduledJobs),
    domainRows: dataSource.getRepository(MtaStsDomainEntity),
    checkRows: dataSource.getRepository(MtaStsCheckEntity),
  };
}
