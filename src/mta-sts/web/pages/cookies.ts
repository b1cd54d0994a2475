import type { Request } from 'express';

/** The request's cookies (no cookie-parser: the host may not have one). */
export function readCookies(request: Request): Record<string, string> {
  const cookies: Record<string, string> = {};
  for (const part of (request.headers.cookie ?? '').split(';')) {
    const at = part.indexOf('=');
    if (at <= 0) continue;
    const name = part.slice(0, at).trim();
    try {
      cookies[name] = decodeURIComponent(part.slice(at + 1).trim());
    } catch {
      // A cookie that is not valid URI encoding is someone else's business.
    }
  }
  return cookies;
}
