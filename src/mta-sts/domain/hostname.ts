import { isIP } from 'node:net';
import { domainToASCII, domainToUnicode } from 'node:url';
import { InvalidInputError } from './errors';

/** RFC 1035 §2.3.4 / RFC 1123: a label is 1-63 octets, a name at most 253 in text form. */
const MAX_LABEL = 63;
export const MAX_NAME = 253;
const LDH_LABEL = /^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$/;

/** The longest prefix the module puts in front of a domain (`_smtp._tls.`, RFC 8460 §3). */
const LONGEST_RECORD_PREFIX = '_smtp._tls.';

/**
 * A mail domain the module manages, already validated and in A-label form.
 * Only `parseDomainName` creates one, so everything downstream (nginx configuration,
 * file paths, DNS names) can rely on it holding letters, digits, hyphens and dots only.
 */
export class DomainName {
  private constructor(readonly ascii: string) {}

  /** The name as people read it (U-labels), for display only. */
  get unicode(): string {
    return domainToUnicode(this.ascii) || this.ascii;
  }

  /** `mta-sts.<domain>`: the policy host (RFC 8461 §3.3). */
  get policyHost(): string {
    return `mta-sts.${this.ascii}`;
  }

  /** `_mta-sts.<domain>`: the policy indicator TXT record (RFC 8461 §3.1). */
  get policyRecordName(): string {
    return `_mta-sts.${this.ascii}`;
  }

  /** `_smtp._tls.<domain>`: the TLS reporting TXT record (RFC 8460 §3). */
  get tlsRptRecordName(): string {
    return `_smtp._tls.${this.ascii}`;
  }

  toString(): string {
    return this.ascii;
  }

  /** @internal used by `parseDomainName` only. */
  static fromValidated(ascii: string): DomainName {
    return new DomainName(ascii);
  }
}

function refuse(input: string, why: string): never {
  // JSON quoting shows control characters as escapes, so the message cannot forge log lines.
  const shown = JSON.stringify(input.length > 80 ? `${input.slice(0, 80)}…` : input);
  throw new InvalidInputError(`${shown} is not a valid domain name: ${why}.`);
}

/**
 * Checks a host name that is already ASCII: lower-case LDH labels, lengths, no IP
 * literal. Used for MX host names from DNS as well as for converted user input.
 * Returns a reason when the name is not acceptable.
 */
export function hostnameProblem(ascii: string): string | undefined {
  if (ascii.length === 0) return 'it is empty';
  if (isIP(ascii) !== 0) return 'it is an IP address, not a host name';
  if (ascii.length > MAX_NAME) return `it is longer than ${MAX_NAME} characters`;
  const labels = ascii.split('.');
  for (const label of labels) {
    if (label.length === 0) return 'it has an empty label (two dots in a row, or a leading dot)';
    if (label.length > MAX_LABEL) return `the label "${label.slice(0, 20)}…" is longer than ${MAX_LABEL} characters`;
    if (!LDH_LABEL.test(label)) {
      return `the label "${label}" may hold only letters, digits and inner hyphens`;
    }
  }
  if (labels.length < 2) return 'it needs at least two labels, such as example.com';
  if (/^[0-9]+$/.test(labels[labels.length - 1])) return 'its last label is all digits';
  return undefined;
}

/**
 * Parses what an admin typed into a `DomainName`: trims, strips one trailing dot,
 * lower-cases, converts internationalized names to A-labels, and refuses anything that
 * is not a plain host name. The refusal message says why.
 */
export function parseDomainName(input: unknown): DomainName {
  if (typeof input !== 'string') {
    // Never String() an object from a request body: `{toString: "x"}` would throw.
    const shown =
      input === null || typeof input !== 'object' ? String(input) : Array.isArray(input) ? 'A list' : 'An object';
    throw new InvalidInputError(
      `${shown} is not a valid domain name: a domain name must be a string, e.g. example.com.`,
    );
  }
  const raw = input.trim();
  if (raw.length === 0) refuse(input, 'it is empty');
  // Invisible characters that IDNA mapping drops (a zero-width space, a soft hyphen, a byte
  // order mark) or that reorder what people read (bidi controls) would make one name look
  // like another: refused, whatever they map to.
  if (/[\u00ad\u200b\u200e\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]/u.test(input)) {
    refuse(input, 'it contains invisible characters (zero-width spaces or direction marks)');
  }
  // Anything outside printable characters, and characters that URL host parsing would
  // silently drop or reinterpret, are refused before conversion.
  if (/[\s\u0000-\u001f\u007f/\\:@[\]%?#<>^|*;'"`{}(),=!$&+~]/u.test(raw)) {
    refuse(raw, 'only letters, digits, hyphens and dots are allowed');
  }
  const withoutDot = raw.endsWith('.') ? raw.slice(0, -1) : raw;
  if (isIP(withoutDot) !== 0) refuse(raw, 'it is an IP address, not a host name');
  const lastLabel = withoutDot.split('.').pop() ?? '';
  if (/^(0x[0-9a-f]*|[0-9]+)$/i.test(lastLabel)) {
    refuse(raw, 'its last label is numeric, so it reads as an IP address');
  }
  if (withoutDot.split('.').some((label) => label.length === 0)) {
    refuse(raw, 'it has an empty label (two dots in a row, or a leading dot)');
  }
  const ascii = domainToASCII(withoutDot.toLowerCase());
  if (ascii === '') refuse(raw, 'it is not a valid internationalized domain name');
  const problem = hostnameProblem(ascii);
  if (problem) refuse(raw, problem);
  if (LONGEST_RECORD_PREFIX.length + ascii.length > MAX_NAME) {
    refuse(
      raw,
      `the record name ${LONGEST_RECORD_PREFIX}${ascii.slice(0, 20)}… would be longer than ${MAX_NAME} characters`,
    );
  }
  return DomainName.fromValidated(ascii);
}
