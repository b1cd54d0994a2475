import { DynamicModule, Module, OnModuleInit } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { Request } from 'express';
import { ScheduleModule } from '@nestjs/schedule';
import { TypeOrmModule } from '@nestjs/typeorm';
import { join } from 'node:path';
import { MTA_STS_ENTITIES, MTA_STS_MIGRATIONS, MtaStsModule, quietSqlite3 } from './index';
import { ThrottlerModule } from '@nestjs/throttler';
import { LoginController } from './panel/auth/login.controller';
import { PanelAuthModule, derivedSecret } from './panel/auth/panel-auth.module';
import { PanelSessionEntity } from './panel/auth/panel-session.entity';
import { PanelSessions } from './panel/auth/panel-sessions';
import { SESSIONS } from './panel/auth/tokens';
import { PanelSessions1764400000000 } from './panel/migrations/1764400000000-panel-sessions';
import { PanelConfig } from './panel/env';
import { HomeController } from './panel/home.controller';
import { DATABASE_BUSY_TIMEOUT_MS, DATABASE_FILE, prepareDatabaseFile } from './panel/database-file';

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
    if (this.database.options.type === 'sqlite') await this.database.query('PRAGMA synchronous = NORMAL');
  }

  static forConfig(config: PanelConfig): DynamicModule {
    const auth = PanelAuthModule.forConfig(config);
    return {
      module: AppModule,
      controllers: [HomeController, LoginController],
      imports: [
        TypeOrmModule.forRootAsync({
          useFactory: () => {
            const common = {
              entities: [...MTA_STS_ENTITIES, PanelSessionEntity],
              migrations: [...MTA_STS_MIGRATIONS, PanelSessions1764400000000],
              migrationsRun: true,
              synchronize: false,
              retryAttempts: 2,
              retryDelay: 500,
            };
            if (config.databaseUrl) {
              // PostgreSQL (MTA_STS_DATABASE_URL): the same migrations and queries as on SQLite.
              return { type: 'postgres' as const, url: config.databaseUrl, ...common };
            }
            const database = join(config.resolved.dataDir, DATABASE_FILE);
            prepareDatabaseFile(database);
            return {
              type: 'sqlite' as const,
              // Without sqlite3's verbose mode, which TypeORM would turn on (see quietSqlite3).
              driver: quietSqlite3,
              database,
              ...common,
              // Readers never wait for the writer; with synchronous=NORMAL (set below) a commit
              // does not wait for the disk, and the database cannot be corrupted by a crash.
              enableWAL: true,
              // A lock held by another program is waited for, within bounds, not failed at once.
              busyTimeout: DATABASE_BUSY_TIMEOUT_MS,
            };
          },
        }),
        ScheduleModule.forRoot(),
        // Requests to the sign-in form per client address; failed passwords are counted
        // per account and per address by SignInThrottle.
        ThrottlerModule.forRoot([{ name: 'sign-in', ttl: 60_000, limit: 30 }]),
        auth,
        MtaStsModule.forRootAsync({
          imports: [auth],
          inject: [SESSIONS],
          useFactory: (sessions: PanelSessions) => ({
            ...config.mtaSts,
            resolveActor: async (request) => (await sessions.current(request as Request))?.user ?? null,
            pages: {
              // The role comes from the current MTA_STS_USERS, not from the cookie: a demoted or
              // removed user loses access at the next restart, whatever cookie they still hold.
              resolveRole: async (request) => {
                const session = await sessions.current(request as Request);
                return config.users.find((user) => user.name === session?.user)?.role ?? null;
              },
              // Every form's CSRF token is bound to the session it was shown in.
              sessionKey: async (request) => (await sessions.current(request as Request))?.sid ?? null,
              csrfSecret: derivedSecret(config.sessionSecret, 'mta-sts pages csrf'),
              loginUrl: '/login',
              logoutUrl: '/logout',
            },
          }),
        }),
      ],
    };
  }
}
