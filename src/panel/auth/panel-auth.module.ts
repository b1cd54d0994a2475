import { createHmac } from 'node:crypto';
import { DynamicModule, Module } from '@nestjs/common';
import { TypeOrmModule, getRepositoryToken } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import type { PanelConfig } from '../env';
import { PanelSessionEntity } from './panel-session.entity';
import { PanelSessions } from './panel-sessions';
import { SessionCookies } from './session';
import { SessionRegistry } from './session-registry';
import { SignInThrottle } from './sign-in-throttle';
import { LOGIN_CSRF_SECRET, PANEL_USERS, SESSIONS, SIGN_IN_THROTTLE } from './tokens';

/** A secret for one purpose, derived from the session secret. */
export function derivedSecret(secret: string, purpose: string): string {
  return createHmac('sha256', secret).update(purpose).digest('hex');
}

/** The standalone panel's users, sessions and sign-in throttle. */
@Module({})
export class PanelAuthModule {
  static forConfig(config: PanelConfig): DynamicModule {
    return {
      module: PanelAuthModule,
      imports: [TypeOrmModule.forFeature([PanelSessionEntity])],
      providers: [
        { provide: PANEL_USERS, useValue: config.users },
        {
          provide: SESSIONS,
          inject: [getRepositoryToken(PanelSessionEntity)],
          useFactory: (sessions: Repository<PanelSessionEntity>) =>
            new PanelSessions(new SessionCookies(config.sessionSecret), new SessionRegistry(sessions)),
        },
        { provide: SIGN_IN_THROTTLE, useValue: new SignInThrottle() },
        { provide: LOGIN_CSRF_SECRET, useValue: derivedSecret(config.sessionSecret, 'mta-sts login csrf') },
      ],
      exports: [PANEL_USERS, SESSIONS, SIGN_IN_THROTTLE, LOGIN_CSRF_SECRET],
    };
  }
}
