import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Request, Response } from 'express';
import { readCookies } from '../../mta-sts/web/pages/cookies';
import type { PageRole } from '../../mta-sts/mta-sts.options';

export const SESSION_COOKIE = 'mta_sts_session';
/** A session lasts a working day; signing in again is cheap. */
const SESSION_MS = 12 * 3_600_000;

interface Session {
  readonly user: string;
  readonly role: PageRole;
  readonly expires: number;
}

/**
 * Sessions in a signed cookie (HMAC-SHA256), so the panel keeps no session store:
 * httpOnly, SameSite=Lax, Secure over HTTPS. Changing the secret signs everyone out.
 */
export class SessionCookies {
  constructor(
    private readonly secret: string,
    private readonly now: () => number = Date.now,
  ) {}

  issue(request: Request, response: Response, user: string, role: PageRole): void {
    const payload = Buffer.from(JSON.stringify({ user, role, expires: this.now() + SESSION_MS })).toString('base64url');
    response.cookie(SESSION_COOKIE, `${payload}.${this.sign(payload)}`, {
      httpOnly: true,
      sameSite: 'lax',
      secure: request.secure,
      path: '/',
      maxAge: SESSION_MS,
    });
  }

  clear(response: Response): void {
    response.clearCookie(SESSION_COOKIE, { path: '/' });
  }

  read(request: Request): Session | undefined {
    const value = readCookies(request)[SESSION_COOKIE];
    const [payload, signature] = value?.split('.') ?? [];
    if (!payload || !signature) return undefined;
    const expected = Buffer.from(this.sign(payload));
    const given = Buffer.from(signature);
    if (expected.length !== given.length || !timingSafeEqual(expected, given)) return undefined;
    try {
      const session = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Session;
      if (typeof session.expires !== 'number' || session.expires < this.now()) return undefined;
      if (session.role !== 'admin' && session.role !== 'viewer') return undefined;
      return session;
    } catch {
      return undefined;
    }
  }

  private sign(payload: string): string {
    return createHmac('sha256', this.secret).update(payload).digest('base64url');
  }
}
