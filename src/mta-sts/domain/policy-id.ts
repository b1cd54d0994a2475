import type { RenderedPolicy } from './policy';
import type { DomainPatch, DomainRecord } from './domain-record';
import { Policy, renderPolicy } from './policy';

/**
 * The policy id (RFC 8461 §3.1): it "identifies one instance of a policy". A sender
 * refetches the policy only when the `_mta-sts` TXT record announces an id that differs
 * from the one it cached, and a sender that fetched while DNS still announced the
 * previous id caches the new text under that previous id (facts §5). So an id is never
 * announced again once it was replaced, even when a change returns to a text that was
 * served before: "Revert to testing" must release every sender at once.
 *
 * An id is minted per domain from a persisted sequence number and the time:
 * `<UTC date>T<UTC time>n<sequence>`, e.g. `20261126T093015n7`. The sequence keeps ids
 * apart across restarts and a clock that goes back; the time keeps them apart after a
 * database is restored from a backup (its sequence restarts lower, its clock does not).
 * Ids minted by earlier versions (32 hex digits of a hash) never contain `T` or `n`, so
 * they can never collide with minted ones.
 */

/** §3.1: 1 to 32 letters or digits. */
export const POLICY_ID_PATTERN = /^[A-Za-z0-9]{1,32}$/;

/** What a domain keeps of its current policy instance (persisted with the domain). */
export interface PolicyIdentity {
  /** The id of `policyText`; null while no policy can be built (no usable MX). */
  readonly policyId: string | null;
  /** The exact text the id names, byte for byte. */
  readonly policyText: string | null;
  /** How many ids this domain has minted so far. */
  readonly policySerial: number;
}

/** The settings a policy text is rendered from. */
export interface PolicySettings {
  readonly mode: Policy['mode'];
  readonly mx: readonly string[];
  readonly maxAge: number;
}

const pad = (value: number, width: number) => String(value).padStart(width, '0');

/** The id for a domain's `serial`-th policy instance, minted at `at`. */
export function mintPolicyId(serial: number, at: Date): string {
  if (!Number.isSafeInteger(serial) || serial < 1)
    throw new RangeError(`policy serial ${serial} is not a positive whole number`);
  const stamp =
    pad(Math.min(Math.max(at.getUTCFullYear(), 0), 9999), 4) +
    pad(at.getUTCMonth() + 1, 2) +
    pad(at.getUTCDate(), 2) +
    'T' +
    pad(at.getUTCHours(), 2) +
    pad(at.getUTCMinutes(), 2) +
    pad(at.getUTCSeconds(), 2);
  const id = `${stamp}n${serial}`;
  if (!POLICY_ID_PATTERN.test(id)) throw new RangeError(`policy serial ${serial} is too large for a 32-character id`);
  return id;
}

/** The policy text of some settings, or null when they cannot make a policy (no `mx` outside mode none). */
export function policyTextOf(settings: PolicySettings): string | null {
  if (settings.mode !== 'none' && settings.mx.length === 0) return null;
  return renderPolicy({ mode: settings.mode, mx: [...settings.mx], maxAge: settings.maxAge });
}

/**
 * The policy instance for new settings: the current one while the text stays byte for
 * byte the same, otherwise a new id that this domain never used, whatever texts it
 * served before.
 */
export function nextPolicyIdentity(current: PolicyIdentity, settings: PolicySettings, at: Date): PolicyIdentity {
  const text = policyTextOf(settings);
  if (text === null) return { policyId: null, policyText: null, policySerial: current.policySerial };
  if (current.policyId !== null && current.policyText === text) return current;
  const serial = current.policySerial + 1;
  return { policyId: mintPolicyId(serial, at), policyText: text, policySerial: serial };
}

/** A domain that has never had a policy instance. */
export const NO_POLICY_IDENTITY: PolicyIdentity = { policyId: null, policyText: null, policySerial: 0 };

/** The domain's current policy instance: the text and the id that names it (see `policy-id.ts`). */
export function policyOf(entity: Pick<DomainRecord, 'policyId' | 'policyText'>): RenderedPolicy | null {
  return entity.policyId && entity.policyText !== null ? { id: entity.policyId, text: entity.policyText } : null;
}

/**
 * A patch to a domain, with the policy instance its mode, mx and max_age give: the same
 * id while the text stays the same, a new one whenever it changes. Every write of those
 * settings goes through here, so no text is ever served under another text's id.
 */
export function withPolicyIdentity(
  entity: Pick<DomainRecord, 'mode' | 'mx' | 'maxAge' | 'policyId' | 'policyText' | 'policySerial'>,
  patch: DomainPatch,
  now: Date,
): DomainPatch {
  const merged = { ...entity, ...patch };
  const identity = nextPolicyIdentity({ ...merged, policySerial: merged.policySerial ?? 0 }, merged, now);
  return { ...patch, ...identity };
}
