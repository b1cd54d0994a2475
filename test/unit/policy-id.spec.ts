import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  NO_POLICY_IDENTITY,
  POLICY_ID_PATTERN,
  PolicyIdentity,
  PolicySettings,
  mintPolicyId,
  nextPolicyIdentity,
  policyTextOf,
} from '../../src/mta-sts/domain/policy-id';

const AT = new Date('2026-11-26T09:30:15.250Z');
const later = (seconds: number) => new Date(AT.getTime() + seconds * 1000);

const testing: PolicySettings = { mode: 'testing', mx: ['mx1.example.com', 'mx2.example.com'], maxAge: 604_800 };
const enforce: PolicySettings = { ...testing, mode: 'enforce' };

/** Applies a list of settings in turn, one second apart, and returns every identity. */
function walk(settings: readonly PolicySettings[], start: PolicyIdentity = NO_POLICY_IDENTITY): PolicyIdentity[] {
  const seen: PolicyIdentity[] = [];
  let current = start;
  settings.forEach((next, index) => {
    current = nextPolicyIdentity(current, next, later(index));
    seen.push(current);
  });
  return seen;
}

describe('mintPolicyId', () => {
  it('spells the UTC time and the sequence number', () => {
    expect(mintPolicyId(7, AT)).toBe('20261126T093015n7');
    expect(mintPolicyId(1, new Date('2027-01-02T03:04:05Z'))).toBe('20270102T030405n1');
  });

  it('stays within RFC 8461 §3.1: 1 to 32 letters or digits', () => {
    for (const serial of [1, 9, 10, 99_999, Number.MAX_SAFE_INTEGER]) {
      expect(mintPolicyId(serial, AT)).toMatch(POLICY_ID_PATTERN);
    }
    expect(mintPolicyId(Number.MAX_SAFE_INTEGER, AT)).toHaveLength(32);
  });

  it('refuses a sequence number that is not a positive safe integer', () => {
    expect(() => mintPolicyId(0, AT)).toThrow(RangeError);
    expect(() => mintPolicyId(1.5, AT)).toThrow(RangeError);
    expect(() => mintPolicyId(Number.MAX_SAFE_INTEGER + 1, AT)).toThrow(RangeError);
  });

  it('never looks like an id minted by earlier versions (32 hex digits of a hash)', () => {
    expect(mintPolicyId(123, AT)).not.toMatch(/^[0-9a-f]{32}$/);
  });
});

describe('nextPolicyIdentity', () => {
  it('mints the first id for a new domain, with the golden text', () => {
    const first = nextPolicyIdentity(NO_POLICY_IDENTITY, testing, AT);
    expect(first).toEqual({
      policyId: '20261126T093015n1',
      policyText: readFileSync(join(__dirname, '..', 'golden', 'policy-testing.txt'), 'utf8'),
      policySerial: 1,
    });
  });

  it('keeps the id while the text stays byte for byte the same', () => {
    const first = nextPolicyIdentity(NO_POLICY_IDENTITY, testing, AT);
    expect(nextPolicyIdentity(first, { ...testing, mx: [...testing.mx] }, later(60))).toBe(first);
  });

  it('gives A → B → A three different ids: a mode flipped twice', () => {
    const ids = walk([testing, enforce, testing]).map((identity) => identity.policyId);
    expect(new Set(ids).size).toBe(3);
  });

  it.each<[string, PolicySettings[]]>([
    ['max_age changed and changed back', [testing, { ...testing, maxAge: 86_400 }, testing]],
    ['an MX set that goes A → B → A', [testing, { ...testing, mx: ['mx3.example.com'] }, testing]],
    ['a retirement cancelled', [testing, { mode: 'none', mx: [], maxAge: 86_400 }, testing]],
    ['enforce, revert, promote, revert', [testing, enforce, testing, enforce, testing]],
  ])('never announces an id again after it was replaced: %s', (_what, steps) => {
    const identities = walk(steps);
    const ids = identities.map((identity) => identity.policyId);
    expect(new Set(ids).size).toBe(ids.length);
    // One id names one text: the same text under a new id is fine, one id for two texts never.
    const textById = new Map(identities.map((identity) => [identity.policyId, identity.policyText]));
    expect(textById.size).toBe(ids.length);
  });

  it('keeps ids apart when the clock goes back', () => {
    const first = nextPolicyIdentity(NO_POLICY_IDENTITY, testing, AT);
    const second = nextPolicyIdentity(first, enforce, later(-3600));
    const third = nextPolicyIdentity(second, testing, later(-3600));
    expect(new Set([first.policyId, second.policyId, third.policyId]).size).toBe(3);
  });

  it('keeps ids apart after a restore from a backup, which sets the sequence back', () => {
    const backup = nextPolicyIdentity(NO_POLICY_IDENTITY, testing, AT);
    const afterBackup = nextPolicyIdentity(backup, enforce, later(10));
    // The database is restored to `backup`; the same change is made again later.
    const restored = nextPolicyIdentity(backup, enforce, later(86_400));
    expect(restored.policySerial).toBe(afterBackup.policySerial);
    expect(restored.policyId).not.toBe(afterBackup.policyId);
  });

  it('continues the sequence of a domain upgraded from hash ids', () => {
    const upgraded: PolicyIdentity = {
      policyId: '57c0b2e9044f1929fd313349db8c6c5d',
      policyText: policyTextOf(testing),
      policySerial: 0,
    };
    expect(nextPolicyIdentity(upgraded, testing, AT)).toBe(upgraded);
    expect(nextPolicyIdentity(upgraded, enforce, AT)).toMatchObject({ policyId: '20261126T093015n1', policySerial: 1 });
  });

  it('has no id while no policy can be built, and a new one after', () => {
    const first = nextPolicyIdentity(NO_POLICY_IDENTITY, testing, AT);
    const none = nextPolicyIdentity(first, { ...testing, mx: [] }, later(1));
    expect(none).toEqual({ policyId: null, policyText: null, policySerial: 1 });
    const back = nextPolicyIdentity(none, testing, later(2));
    expect(back.policyText).toBe(first.policyText);
    expect(back.policyId).not.toBe(first.policyId);
  });

  it('renders mode none without mx lines', () => {
    expect(policyTextOf({ mode: 'none', mx: [], maxAge: 86_400 })).toBe(
      'version: STSv1\r\nmode: none\r\nmax_age: 86400\r\n',
    );
  });
});
