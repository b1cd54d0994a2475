import { InvalidOptionError } from '../domain/errors';

/**
 * Where the module's routes live, below the host's global prefix. A host panel that has
 * its own `/api/domains` moves the module's API elsewhere, e.g.
 * `{ api: 'api/mta-sts', pages: 'settings/mta-sts' }`.
 */
export interface MtaStsRoutes {
  /** The JSON API: `<api>/domains…`, `<api>/checks`, `<api>/renewals`. @default 'api' */
  api?: string;
  /** The pages and their assets: `<pages>`, `<pages>/domains/…`, `<pages>/assets/…`. @default 'mta-sts' */
  pages?: string;
  /** `<operations>/healthz` and `<operations>/metrics`. @default '' (at the root) */
  operations?: string;
}

/** The prefixes as used: no leading or trailing slash (`''` is the root). */
export interface ResolvedMtaStsRoutes {
  readonly api: string;
  readonly pages: string;
  readonly operations: string;
}

export const DEFAULT_ROUTES: ResolvedMtaStsRoutes = { api: 'api', pages: 'mta-sts', operations: '' };

/** Path segments of letters, digits, `-`, `_` and `.`; no parameters, wildcards or `..`. */
const SEGMENT = /^(?!\.{1,2}$)[A-Za-z0-9._-]+$/;

function prefix(name: keyof MtaStsRoutes, value: unknown, fallback: string, allowRoot: boolean): string {
  if (value === undefined) return fallback;
  if (typeof value !== 'string') throw new InvalidOptionError(`routes.${name}`, 'must be a path such as "api/mta-sts"');
  const trimmed = value.replace(/^\/+|\/+$/g, '');
  if (trimmed === '') {
    if (allowRoot) return '';
    throw new InvalidOptionError(`routes.${name}`, 'cannot be the root: the pages need a path of their own');
  }
  if (!trimmed.split('/').every((segment) => SEGMENT.test(segment))) {
    throw new InvalidOptionError(
      `routes.${name}`,
      `"${value}" is not a plain path (segments of letters, digits, "-", "_" and "."; no ":" parameters or "*")`,
    );
  }
  return trimmed;
}

export function resolveRoutes(routes: MtaStsRoutes | undefined): ResolvedMtaStsRoutes {
  const resolved = {
    api: prefix('api', routes?.api, DEFAULT_ROUTES.api, true),
    pages: prefix('pages', routes?.pages, DEFAULT_ROUTES.pages, false),
    operations: prefix('operations', routes?.operations, DEFAULT_ROUTES.operations, true),
  };
  // The API's `domains` and the pages' `domains/…` and `assets/…` must not land on each other.
  if (resolved.api === resolved.pages) {
    throw new InvalidOptionError('routes.pages', `must differ from routes.api ("${resolved.api}")`);
  }
  return resolved;
}
