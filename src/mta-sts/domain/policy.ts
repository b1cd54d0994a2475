import { domainToASCII } from 'node:url';
import { InvalidInputError } from './errors';
import { hostnameProblem } from './hostname';

/**
 * The MTA-STS policy file (RFC 8461 §3.2). Every rule about what the policy says lives in
 * this file; its id (§3.1) in `policy-id.ts`.
 */

/** §5: `testing` reports only, `enforce` refuses delivery without valid TLS, `none` withdraws. */
export const POLICY_MODES = ['testing', 'enforce', 'none'] as const;
export type PolicyMode = (typeof POLICY_MODES)[number];

/** New domains start here: senders report failures but still deliver. */
export const INITIAL_MODE: PolicyMode = 'testing';

/** `max_age` bounds. The RFC caps it at 31557600 (§3.2); below a day the policy does little. */
export const MAX_AGE_MIN = 86_400;
export const MAX_AGE_MAX = 31_557_600;
export const MAX_AGE_DEFAULT = 604_800;

/** Microsoft 365 tenant MX hosts; Microsoft asks for the wildcard instead of the tenant host. */
const MICROSOFT_365_SUFFIX = 'mail.protection.outlook.com';

/** The CRLF the RFC's prose asks for; some strict validators reject bare LF. */
const EOL = '\r\n';

export interface Policy {
  readonly mode: PolicyMode;
  /** Sorted, deduplicated, lower-case A-label patterns (`host` or `*.domain`). */
  readonly mx: readonly string[];
  readonly maxAge: number;
}

export function assertMode(mode: unknown): PolicyMode {
  if (typeof mode === 'string' && (POLICY_MODES as readonly string[]).includes(mode)) {
    return mode as PolicyMode;
  }
  throw new InvalidInputError(`mode must be one of ${POLICY_MODES.join(', ')}.`);
}

export function assertMaxAge(maxAge: unknown): number {
  if (typeof maxAge !== 'number' || !Number.isInteger(maxAge) || maxAge < MAX_AGE_MIN || maxAge > MAX_AGE_MAX) {
    throw new InvalidInputError(
      `max_age must be a whole number of seconds from ${MAX_AGE_MIN} (1 day) to ${MAX_AGE_MAX} (1 year).`,
    );
  }
  return maxAge;
}

/** Why a live MX set cannot back a policy. */
export class MxProblem extends InvalidInputError {}

/**
 * A tenant host sits exactly one label below the suffix; the wildcard covers only that
 * one label (§4.1), so a deeper host keeps its own `mx` line.
 */
function isMicrosoft365Tenant(host: string): boolean {
  const suffix = `.${MICROSOFT_365_SUFFIX}`;
  return host.endsWith(suffix) && !host.slice(0, -suffix.length).includes('.');
}

/**
 * Turns the exchange names of a domain's MX records into `mx:` patterns: trailing dot
 * dropped, lower-case A-labels, Microsoft 365 tenant hosts collapsed to
 * `*.mail.protection.outlook.com`, duplicates removed, sorted so the text is stable.
 */
export function mxPatternsFromExchanges(domain: string, exchanges: readonly string[]): string[] {
  if (exchanges.length === 0) {
    throw new MxProblem(
      `${domain} has no MX records, so there is no mail server for senders to protect. ` +
        'Publish the MX records of your mail server first, then enable MTA-STS.',
    );
  }
  const patterns = new Set<string>();
  for (const exchange of exchanges) {
    const trimmed = exchange.endsWith('.') ? exchange.slice(0, -1) : exchange;
    if (trimmed === '') {
      // RFC 7505 null MX ("MX 0 ."): the domain accepts no mail.
      throw new MxProblem(
        `${domain} publishes a null MX record (RFC 7505): it accepts no mail, so MTA-STS does not apply.`,
      );
    }
    const ascii = domainToASCII(trimmed.toLowerCase());
    const problem = ascii === '' ? 'it is not a valid host name' : hostnameProblem(ascii);
    if (problem) {
      throw new MxProblem(`The MX host "${exchange}" of ${domain} cannot be listed in a policy: ${problem}.`);
    }
    patterns.add(isMicrosoft365Tenant(ascii) ? `*.${MICROSOFT_365_SUFFIX}` : ascii);
  }
  return [...patterns].sort();
}

/**
 * Renders the policy file byte for byte: `version` first (some clients insist), then
 * `mode`, one `mx` per pattern, `max_age`; CRLF after every line, no other whitespace,
 * no repeated keys.
 */
export function renderPolicy(policy: Policy): string {
  if (policy.mode !== 'none' && policy.mx.length === 0) {
    throw new MxProblem('A policy in testing or enforce mode needs at least one mx line.');
  }
  const lines = [
    'version: STSv1',
    `mode: ${policy.mode}`,
    ...policy.mx.map((pattern) => `mx: ${pattern}`),
    `max_age: ${policy.maxAge}`,
  ];
  return lines.map((line) => line + EOL).join('');
}

/** A policy text and the id it is announced under (see `policy-id.ts`). */
export interface RenderedPolicy {
  readonly text: string;
  readonly id: string;
}
