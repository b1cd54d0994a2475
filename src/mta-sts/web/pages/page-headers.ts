import type { Response } from 'express';

/**
 * The Content-Security-Policy the pages are written for: no inline script or style, no
 * framing, forms only to the panel itself. The module sets it on its own pages, so they
 * keep it inside a host panel that sets none (the standalone panel's helmet sets the same).
 */
export const PAGE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
].join('; ');

/** Security headers of every page and asset the module serves (`csp`: the host's `pages.contentSecurityPolicy`). */
export function setPageSecurityHeaders(response: Response, csp: string = PAGE_CSP): void {
  response.setHeader('Content-Security-Policy', csp);
  response.setHeader('X-Frame-Options', 'DENY');
  response.setHeader('X-Content-Type-Options', 'nosniff');
  response.setHeader('Referrer-Policy', 'same-origin');
}
