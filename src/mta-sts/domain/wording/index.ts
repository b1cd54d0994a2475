/**
 * Every sentence an admin reads about a domain: card alerts, flashes, API notes, notices,
 * the trail's lifecycle entries and the refusals. Check verdicts are worded beside the
 * rule they check (`web-checks.ts`, `dns-checks.ts`), page copy in the templates.
 */
export * from './times';
export * from './policy-record';
export * from './notices';
export * from './card-alerts';
export * from './notes';
export * from './flashes';
export * from './lifecycle';
export * from './publishing';
export * from './reports';
