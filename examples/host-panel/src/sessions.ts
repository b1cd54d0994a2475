import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import type { Request } from 'express';

export const SESSION_COOKIE = 'panel_session';

/**
 * The host's sign-in, reduced to a stand-in: one admin password and sessions in memory.
 * A real panel has its own users and session store; the module only asks it two things
 * through its options: who is this (`resolveRole`) and which session is it (`sessionKey`).
 */
@Injectable()
export class Sessions {
  private readonly open = new Map<string, { user: string; role: 'admin' | 'viewer' }>();

  signIn(password: string, expected: string): string | null {
    const digest = (value: string) => createHash('sha256').update(value).digest();
    if (!timingSafeEqual(digest(password), digest(expected))) return null;
    const id = randomBytes(32).toString('base64url');
    this.open.set(id, { user: 'admin', role: 'admin' });
    return id;
  }

  signOut(request: Request): void {
    const id = this.id(request);
    if (id) this.open.delete(id);
  }

  /** The session id from the request's cookie, when it is an open session. */
  id(request: Request): string | null {
    const cookie = (request.headers.cookie ?? '')
      .split(';')
      .map((part) => part.trim())
      .find((part) => part.startsWith(`${SESSION_COOKIE}=`));
    const id = cookie?.slice(SESSION_COOKIE.length + 1);
    return id && this.open.has(id) ? id : null;
  }

  of(request: Request): { user: string; role: 'admin' | 'viewer' } | null {
    const id = this.id(request);
    return id ? (this.open.get(id) ?? null) : null;
  }
}
