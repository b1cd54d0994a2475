import type { Request } from 'express';

/** The pages' base path (`/mta-sts`), also when the host mounts them behind a global prefix. */
export function pageBase(request: Request): string {
  const path = request.originalUrl.split('?')[0];
  const at = path.indexOf('/mta-sts');
  return at >= 0 ? path.slice(0, at + '/mta-sts'.length) : '/mta-sts';
}
