import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Request, Response } from 'express';
import { readCookies } from '../../index';
import type { PageRole } from '../../index';

export const SESSION_COOKIE = 'mta_sts_session';
/** A session lasts a working day; signing in again is cheap. */
const SESSION_MS = 12 * 3_600_000;

export interface Session {
  readonly user: string;
  readonly role: PageRole;
  readonly expires: number;
  /** The session's id: the server keeps the sessions it opened and forgets one at sign-out. */
  readonly sid: string;
}

const SID = /^[A-Za-z0-9_-]{43}$/;

/**
 * The session cookie, signed (HMAC-SHA256): httpOnly, SameSite=Lax, Secure over HTTPS.
 * It names a session id that the server must still hold open (`SessionRegistry`), so
 * signing out ends the session everywhere. Changing the secret signs everyone out.
 */
export class SessionCookies {
  constructor(
    private readonly secret: string,
    private readonly now: () => number = Date.now,
  ) {}

  /** Sets the cookie of a new session and answers it, with its random id. */
  issue(request: Request, response: Response, user: string, role: PageRole): Session {
    const session: Session = {
      user,
      role,
      expires: this.now() + SESSION_MS,
      sid: randomBytes(32).toString('base64url'),
    };
    const payload = Buffer.from(JSON.stringify(session)).toString('base64url');
    response.cookie(SESSION_COOKIE, `${payload}.${this.sign(payload)}`, {
      httpOnly: true,
      sameSite: 'lax',
      secure: request.secure,
      path: '/',
      maxAge: SESSION_MS,
    });
    return session;
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
      if (typeof session.sid !== 'string' || !SID.test(session.sid)) return undefined;
      return session;
    } catch {
      return undefined;
    }
  }

  private sign(payload: string): string {
    return createHmac('sha256', this.secret).update(payload).digest('base64url');
  }
}
