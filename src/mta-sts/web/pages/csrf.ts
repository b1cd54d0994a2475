import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Request, Response } from 'express';
import { readCookies } from './cookies';

export const CSRF_COOKIE = 'mta_sts_csrf';
export const CSRF_FIELD = '_csrf';

/** What a CSRF token is bound to. */
export interface CsrfBinding {
  /** Signs the tokens; never sent to the browser. */
  readonly secret: string;
  /**
   * The signed-in session the form belongs to (a session id, or a hash of one). Without
   * it (the sign-in form, a host that names no session) the token is bound to a random
   * value in a cookie of its own.
   */
  readonly sessionKey?: string | null;
}

const NONCE = /^[a-f0-9]{64}$/;
const TOKEN = /^[A-Za-z0-9_-]{43}$/;

function sign(binding: CsrfBinding, key: string): string {
  return createHmac('sha256', binding.secret).update(`mta-sts-csrf\0${key}`).digest('base64url');
}

/**
 * The token for the forms of one page: an HMAC of the session it is bound to. A token
 * planted together with a cookie (from a sibling subdomain that can set cookies here) is
 * worthless: it must be signed with the server's secret for this very session.
 */
export function csrfToken(request: Request, response: Response, binding: CsrfBinding): string {
  if (binding.sessionKey) return sign(binding, `session:${binding.sessionKey}`);
  let nonce = readCookies(request)[CSRF_COOKIE];
  if (!nonce || !NONCE.test(nonce)) {
    nonce = randomBytes(32).toString('hex');
    response.cookie(CSRF_COOKIE, nonce, { httpOnly: true, sameSite: 'strict', secure: request.secure, path: '/' });
  }
  return sign(binding, `cookie:${nonce}`);
}

/** Whether the posted `_csrf` field is the token of this session (or of this browser's cookie). */
export function csrfValid(request: Request, binding: CsrfBinding): boolean {
  const field = (request.body as Record<string, unknown> | undefined)?.[CSRF_FIELD];
  if (typeof field !== 'string' || !TOKEN.test(field)) return false;
  let key: string;
  if (binding.sessionKey) {
    key = `session:${binding.sessionKey}`;
  } else {
    const nonce = readCookies(request)[CSRF_COOKIE];
    if (!nonce || !NONCE.test(nonce)) return false;
    key = `cookie:${nonce}`;
  }
  return timingSafeEqual(Buffer.from(sign(binding, key)), Buffer.from(field));
}
