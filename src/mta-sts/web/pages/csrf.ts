import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { Request, Response } from 'express';
import { readCookies } from './cookies';

export const CSRF_COOKIE = 'mta_sts_csrf';
export const CSRF_FIELD = '_csrf';

/**
 * Double-submit CSRF protection that needs no session store: a random token in a
 * SameSite=Strict, httpOnly cookie, repeated in a hidden field of every form. A cross-site
 * form can neither read the cookie nor make the browser send it.
 */
export function csrfToken(request: Request, response: Response): string {
  const existing = readCookies(request)[CSRF_COOKIE];
  if (existing && /^[a-f0-9]{64}$/.test(existing)) return existing;
  const token = randomBytes(32).toString('hex');
  response.cookie(CSRF_COOKIE, token, {
    httpOnly: true,
    sameSite: 'strict',
    secure: request.secure,
    path: '/',
  });
  return token;
}

export function csrfValid(request: Request): boolean {
  const cookie = readCookies(request)[CSRF_COOKIE];
  const field = (request.body as Record<string, unknown> | undefined)?.[CSRF_FIELD];
  if (typeof cookie !== 'string' || typeof field !== 'string' || cookie.length !== field.length) return false;
  return timingSafeEqual(Buffer.from(cookie), Buffer.from(field));
}
