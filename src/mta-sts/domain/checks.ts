/**
 * The readiness checks: pure functions from what was observed (DNS answers, an HTTPS
 * exchange, a certificate) to a verdict that says what is wrong and what to do. The
 * services gather the observations; nothing here does I/O or throws for a failed check.
 */
export * from './check-verdicts';
export * from './web-checks';
export * from './dns-checks';
export * from './badges';
