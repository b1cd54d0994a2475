/**
 * The module's own error classes. Services throw these; the web layer maps them to
 * HTTP answers (see `web/mta-sts-error.filter.ts`). None of them carries a stack trace
 * to the user: `message` is written for the admin.
 */
export abstract class MtaStsError extends Error {
  abstract readonly kind: 'invalid' | 'not-found' | 'conflict' | 'failed' | 'unavailable';
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** Input that can never be accepted (a bad host name, an out-of-range max_age). */
export class InvalidInputError extends MtaStsError {
  readonly kind = 'invalid' as const;
}

export class DomainNotFoundError extends MtaStsError {
  readonly kind = 'not-found' as const;
  constructor(domain: string) {
    super(`Domain ${domain} is not managed here.`);
  }
}

/** The action is valid in general but not in the domain's current state. */
export class ConflictError extends MtaStsError {
  readonly kind = 'conflict' as const;
}

/** Enforce was refused; `reasons` lists every check that must pass first, one sentence each. */
export class PromotionRefusedError extends ConflictError {
  constructor(
    domain: string,
    readonly reasons: readonly string[],
  ) {
    super(`${domain} stays in testing mode: ${reasons.join(' ')}`);
  }
}

/** A side effect failed (nginx, the CA, DNS); the message says which and what to do. */
export class OperationFailedError extends MtaStsError {
  readonly kind = 'failed' as const;
  constructor(
    message: string,
    readonly detail?: string,
  ) {
    super(message);
  }
}

/** The certificate authority refused or failed; `retryAfter` is its Retry-After, if it sent one. */
export class CertificateAuthorityError extends OperationFailedError {
  constructor(
    message: string,
    detail?: string,
    readonly retryAfter?: Date,
  ) {
    super(message, detail);
  }
}

/**
 * The data could not be saved: a read-only or full disk, a database locked by another
 * program. The message names what failed and what to do; what was serving keeps serving.
 */
export class StorageFailedError extends MtaStsError {
  readonly kind = 'unavailable' as const;
  constructor(
    message: string,
    readonly code: string,
  ) {
    super(message);
  }
}

/** A module option (or the environment variable behind it) is invalid. */
export class InvalidOptionError extends Error {
  constructor(
    readonly option: string,
    message: string,
  ) {
    super(`${option}: ${message}`);
    this.name = 'InvalidOptionError';
  }
}

/**
 * A DNS server did not apply a change of the records; `code` is its answer (REFUSED,
 * NOTAUTH, BADSIG, BADKEY, NXRRSET, TIMEOUT, UNREACHABLE...) and the message says what to do.
 */
export class DnsUpdateError extends OperationFailedError {
  constructor(
    message: string,
    readonly code: string,
  ) {
    super(message, code);
  }
}

/** An error as the card states it: the panel's own sentence, or the cause of anything unforeseen. */
export function errorSentence(error: unknown): string {
  if (error instanceof MtaStsError) return error.message;
  return `Unexpected error: ${error instanceof Error ? error.message : String(error)}`;
}
