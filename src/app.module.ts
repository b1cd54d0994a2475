import { DynamicModule, Module, OnModuleInit } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { Request } from 'express';
import { ScheduleModule } from '@nestjs/schedule';
import { TypeOrmModule } from '@nestjs/typeorm';
import { join } from 'node:path';
import { MtaStsModule } from './mta-sts/mta-sts.module';
import { MTA_STS_ENTITIES, MTA_STS_MIGRATIONS } from './mta-sts/persistence';
import { LoginController } from './panel/auth/login.controller';
import { SessionCookies } from './panel/auth/session';
import { PANEL_USERS, SESSIONS } from './panel/auth/tokens';
import { PanelConfig } from './panel/env';
import { HomeController } from './panel/home.controller';
import { DATABASE_BUSY_TIMEOUT_MS, prepareDatabaseFile } from './panel/database-file';

/** The standalone panel's database, in its data directory. */
export const DATABASE_FILE = 'mta-sts.sqlite';

/**
 * The standalone panel: it owns the singletons (database, scheduler) and hosts
 * `MtaStsModule` exactly as a mail control panel would.
 */
@Module({})
export class AppModule implements OnModuleInit {
  constructor(private readonly database: DataSource) {}

  async onModuleInit(): Promise<void> {
    // In WAL mode NORMAL still never corrupts the database; the last commits before a
    // power cut may be lost, which check results and state recover from by themselves.
    await this.database.query('PRAGMA synchronous = NORMAL');
  }

  static forConfig(config: PanelConfig): DynamicModule {
    const sessions = new SessionCookies(config.sessionSecret);
    return {
      module: AppModule,
      controllers: [HomeController, LoginController],
      providers: [
        { provide: PANEL_USERS, useValue: config.users },
        { provide: SESSIONS, useValue: sessions },
      ],
      imports: [
        TypeOrmModule.forRootAsync({
          useFactory: () => {
            const database = join(config.resolved.dataDir, DATABASE_FILE);
            prepareDatabaseFile(database);
            return {
              type: 'sqlite' as const,
              database,
              entities: MTA_STS_ENTITIES,
              migrations: MTA_STS_MIGRATIONS,
              migrationsRun: true,
              synchronize: false,
              // Readers never wait for the writer; with synchronous=NORMAL (set below) a commit
              // does not wait for the disk, and the database cannot be corrupted by a crash.
              enableWAL: true,
              // A lock held by another program is waited for, within bounds, not failed at once.
              busyTimeout: DATABASE_BUSY_TIMEOUT_MS,
              retryAttempts: 2,
              retryDelay: 500,
            };
          },
        }),
        ScheduleModule.forRoot(),
        MtaStsModule.forRoot({
          ...config.mtaSts,
          resolveActor: (request) => sessions.read(request as Request)?.user ?? null,
          pages: {
            // The role comes from the current MTA_STS_USERS, not from the cookie: a demoted or
            // removed user loses access at the next restart, whatever cookie they still hold.
            resolveRole: (request) => {
              const session = sessions.read(request as Request);
              return config.users.find((user) => user.name === session?.user)?.role ?? null;
            },
            loginUrl: '/login',
            logoutUrl: '/logout',
          },
        }),
      ],
    };
  }
}
