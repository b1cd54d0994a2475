/** DI token of the validated options (`ResolvedMtaStsOptions`). */
export const MTA_STS_OPTIONS = Symbol('MTA_STS_OPTIONS');

/** DI token of the random source (`() => number` in [0, 1)) used for jitter and ARI timing. */
export const MTA_STS_RANDOM = Symbol('MTA_STS_RANDOM');

/** DI token of the route prefixes in use (`ResolvedMtaStsRoutes`). */
export const MTA_STS_ROUTES = Symbol('MTA_STS_ROUTES');
