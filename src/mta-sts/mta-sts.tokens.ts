/** DI token of the validated options (`ResolvedMtaStsOptions`). */
export const MTA_STS_OPTIONS = Symbol('MTA_STS_OPTIONS');
