import { ResolvedMtaStsOptions } from '../mta-sts.options';
import { Actor } from '../services/audit.service';

/**
 * Who a request acts for, as the audit trail records it: the host's `resolveActor` when
 * it names someone, otherwise `fallback` (`admin` on the pages, `api` on the API).
 */
export async function actorOf(options: ResolvedMtaStsOptions, request: unknown, fallback: Actor): Promise<Actor> {
  const named = options.resolveActor ? await options.resolveActor(request) : undefined;
  return typeof named === 'string' && named.trim() !== '' ? named.trim() : fallback;
}
