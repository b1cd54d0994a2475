import { MtaStsError } from '../domain/errors';
import { ResolvedMtaStsOptions } from '../mta-sts.options';
import { LoggedAction } from '../services/action-log';
import { Actor } from '../services/audit.service';

/**
 * Who a request acts for, as the audit trail records it: the host's `resolveActor` when
 * it names someone, otherwise `fallback` (`admin` on the pages, `api` on the API).
 */
export async function actorOf(options: ResolvedMtaStsOptions, request: unknown, fallback: Actor): Promise<Actor> {
  const named = options.resolveActor ? await options.resolveActor(request) : undefined;
  return typeof named === 'string' && named.trim() !== '' ? named.trim() : fallback;
}

/**
 * The log entry of an action a person asked for that did not happen: `refused` when the
 * module said no (bad input, a conflict, a refused promotion), `failed` otherwise.
 */
export function failedAction(
  attempt: { readonly domain: unknown; readonly action: string; readonly actor?: string },
  known: MtaStsError | undefined,
  error: unknown,
): LoggedAction {
  const refused = known !== undefined && known.kind !== 'failed' && known.kind !== 'unavailable';
  return {
    // Never String() an object from a form or JSON body: its toString may be anything.
    domain: typeof attempt.domain === 'string' ? attempt.domain.slice(0, 253) : `(a ${typeof attempt.domain})`,
    action: attempt.action,
    actor: attempt.actor,
    outcome: refused ? 'refused' : 'failed',
    detail: known?.message ?? (error instanceof Error ? error.message : String(error)),
  };
}
