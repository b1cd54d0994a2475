import { describe, expect, it } from 'vitest';
import { DomainName } from '../../src/mta-sts/domain/hostname';
import {
  cardAlerts,
  flashes,
  idNotVisibleAlert,
  policyChangeNote,
  publishPolicyIdSentence,
  retirementNote,
} from '../../src/mta-sts/domain/wording';

const NAME = DomainName.fromValidated('example.com');
const ID = '20261126T120000n3';
const NOW = new Date('2026-11-26T12:00:00Z');

describe('The wording an admin reads', () => {
  it('asks for the same record, spelled the same way, wherever a new id must be published', () => {
    const record = `_mta-sts.example.com TXT "v=STSv1; id=${ID}"`;
    expect(publishPolicyIdSentence(NAME, ID)).toBe(`Publish ${record} so senders fetch the new policy.`);
    expect(idNotVisibleAlert(NAME, ID)).toContain(`publish ${record} so senders fetch the new policy.`);
    expect(policyChangeNote(NAME, { newId: ID, policyChanged: true })).toContain(`Publish ${record}`);
    expect(flashes.promoted({ newId: ID, policyChanged: true })).toContain(`"v=STSv1; id=${ID}"`);
    const until = new Date(NOW.getTime() + 86_400_000);
    expect(retirementNote(NAME, ID, until, NOW)).toMatch(
      new RegExp(`^Publish _mta-sts\\.example\\.com TXT "v=STSv1; id=${ID}" now, so senders fetch mode none\\.`),
    );
  });

  it('says when a change had nothing to publish, and when it is served only from the next Enable', () => {
    expect(flashes.reverted({ newId: null, policyChanged: false })).toBe(
      'The policy is back in testing mode. Nothing changed, so there is nothing to publish.',
    );
    expect(flashes.maxAge(86_400, { newId: null, policyChanged: true })).toBe('max_age is now 86400 seconds.');
    expect(policyChangeNote(NAME, { newId: null, policyChanged: true })).toBe(
      'The policy changed; it is served from the next Enable.',
    );
  });

  it('puts the alert for an id not yet visible first on a changing card, and none on a steady one', () => {
    const changing = {
      state: 'changing',
      servedPolicyId: ID,
      retireUntil: null,
      policyVisibleAt: null,
      mxDrop: null,
    } as const;
    expect(cardAlerts(changing, NAME, [], NOW)[0]).toBe(idNotVisibleAlert(NAME, ID));
    expect(cardAlerts({ ...changing, state: 'active', policyVisibleAt: NOW }, NAME, [], NOW)).toEqual([]);
  });
});
