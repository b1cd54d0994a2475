import { Global, Module } from '@nestjs/common';
import { ScheduleModule } from '@nestjs/schedule';
import { TypeOrmModule } from '@nestjs/typeorm';
import type { Request } from 'express';
import { MTA_STS_ENTITIES, MTA_STS_MIGRATIONS, MtaStsModule } from 'nest-mta-sts';
import { HostConfig } from './config';
import { HostController } from './host.controller';
import { mtaStsLayout } from './layout';
import { MailDomain, MailDomains1700000000000 } from './mail-domain';
import { Sessions } from './sessions';
import { HOST_CONFIG } from './tokens';

/** What the module's options need from the host: its settings and its sessions. */
@Global()
@Module({})
class HostCoreModule {
  static register(config: HostConfig) {
    return {
      module: HostCoreModule,
      providers: [{ provide: HOST_CONFIG, useValue: config }, Sessions],
      exports: [HOST_CONFIG, Sessions],
    };
  }
}

@Module({})
export class HostModule {
  static register(config: HostConfig) {
    return {
      module: HostModule,
      imports: [
        HostCoreModule.register(config),
        // The host's database: its own tables and the module's, migrated at start.
        TypeOrmModule.forRoot({
          type: 'sqlite',
          database: config.database,
          entities: [MailDomain, ...MTA_STS_ENTITIES],
          migrations: [MailDomains1700000000000, ...MTA_STS_MIGRATIONS],
          migrationsRun: true,
        }),
        TypeOrmModule.forFeature([MailDomain]),
        // The host's scheduler: the module's checks and renewals run on it.
        ScheduleModule.forRoot(),
        MtaStsModule.forRootAsync({
          inject: [HOST_CONFIG, Sessions],
          useFactory: (host: HostConfig, sessions: Sessions) => ({
            dataDir: host.mtaSts.dataDir,
            serverIpv4: host.mtaSts.serverIpv4,
            acme: {
              directoryUrl: host.mtaSts.acmeDirectoryUrl,
              caFile: host.mtaSts.acmeCaFile,
              email: host.mtaSts.acmeEmail,
            },
            dns: { servers: host.mtaSts.dnsServers },
            checks: { caFile: host.mtaSts.checkCaFile, smtpProbe: { enabled: host.mtaSts.smtpProbe } },
            nginx: {
              args: host.mtaSts.nginxArgs,
              sitesDir: host.mtaSts.nginxSitesDir,
              pidFile: host.mtaSts.nginxPidFile,
              httpListen: host.mtaSts.httpListen,
              httpsListen: host.mtaSts.httpsListen,
            },
            // The host's session decides, for the API and the pages alike.
            authorizeApi: (request) => sessions.of(request as Request)?.role === 'admin',
            resolveActor: (request) => sessions.of(request as Request)?.user,
            pages: {
              resolveRole: (request) => sessions.of(request as Request)?.role ?? null,
              sessionKey: (request) => sessions.id(request as Request),
              loginUrl: '/login',
              layout: mtaStsLayout,
            },
          }),
          // The host has its own /api/domains: the module's routes go elsewhere.
          routes: { api: 'api/mta-sts', pages: 'mail/mta-sts' },
        }),
      ],
      controllers: [HostController],
    };
  }
}
