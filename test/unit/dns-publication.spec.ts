import { LiveRRset, PublishedType, planPublication, planWithdrawal } from '../../src/mta-sts/domain/dns-publication';
import { customerRecords, delegatedPolicyName, operatorRecords } from '../../src/mta-sts/domain/delegation';
import { expectedRecords } from '../../src/mta-sts/domain/dns-records';
import { recordStatuses } from '../../src/mta-sts/domain/record-status';
import { DomainName } from '../../src/mta-sts/domain/hostname';

const NAME = DomainName.fromValidated('example.com');
const ID = '20261126T120000n3';
const WANTED = expectedRecords(NAME, ID, { ipv4: '192.0.2.10', ipv6: '2001:db8::10' }, 'mailto:tls-reports@{domain}');
const STS = `v=STSv1; id=${ID}`;

function zone(records: Record<string, string[] | { cname: string }>) {
  return (name: string, type: PublishedType): LiveRRset => {
    const found = records[`${name} ${type}`] ?? records[name];
    if (found && !Array.isArray(found)) return { name, type, values: [], cname: found.cname };
    return { name, type, values: found ?? [] };
  };
}

describe('Planning what to publish', () => {
  it('adds every missing record, each guarded by its absence, with the TTL asked for', () => {
    const plan = planPublication(WANTED, zone({}), 300);
    expect(plan.refusals).toEqual([]);
    expect(plan.steps.map((step) => `${step.kind} ${step.name} ${step.type}`)).toEqual([
      'add _mta-sts.example.com TXT',
      'add mta-sts.example.com A',
      'add mta-sts.example.com AAAA',
      'add _smtp._tls.example.com TXT',
    ]);
    expect(plan.update.absent).toHaveLength(4);
    expect(plan.update.add?.every((rrset) => rrset.ttl === 300)).toBe(true);
    expect(plan.update.exactly).toEqual([]);
  });

  it('replaces only the v=STSv1 value, guarded by every value it read, and keeps the rest', () => {
    const live = zone({
      '_mta-sts.example.com TXT': ['google-site-verification=x', 'v=STSv1; id=old1'],
      'mta-sts.example.com A': ['192.0.2.10'],
      'mta-sts.example.com AAAA': ['2001:db8::10'],
      '_smtp._tls.example.com TXT': ['v=TLSRPTv1; rua=mailto:reports@elsewhere.example'],
    });
    const plan = planPublication(WANTED, live, 300);
    expect(plan.steps.map((step) => step.kind)).toEqual(['replace', 'keep', 'keep', 'keep']);
    expect(plan.steps[0]).toMatchObject({ from: 'v=STSv1; id=old1', to: STS });
    expect(plan.steps[3].note).toBe('An existing TLS-RPT record stays as it is: reports go where it says.');
    expect(plan.update).toEqual({
      exactly: [
        { name: '_mta-sts.example.com', type: 'TXT', values: ['google-site-verification=x', 'v=STSv1; id=old1'] },
      ],
      absent: [],
      remove: [{ name: '_mta-sts.example.com', type: 'TXT', values: ['v=STSv1; id=old1'] }],
      add: [{ name: '_mta-sts.example.com', type: 'TXT', ttl: 300, values: [STS] }],
    });
  });

  it('writes nothing when everything is live', () => {
    const live = zone({
      '_mta-sts.example.com TXT': [STS],
      'mta-sts.example.com A': ['192.0.2.10'],
      'mta-sts.example.com AAAA': ['2001:db8::10'],
      '_smtp._tls.example.com TXT': ['v=TLSRPTv1; rua=mailto:tls-reports@example.com'],
    });
    const plan = planPublication(WANTED, live, 300);
    expect(plan.steps.every((step) => step.kind === 'keep')).toBe(true);
    expect(plan.update).toEqual({});
  });

  it('refuses a CNAME, two policy records, two TLS-RPT records and another server’s address, and writes nothing at all', () => {
    const refusals = (records: Parameters<typeof zone>[0]) => planPublication(WANTED, zone(records), 300);
    expect(refusals({ '_mta-sts.example.com': { cname: 'sts.provider.example' } }).refusals[0]).toMatch(
      /^_mta-sts\.example\.com is a CNAME to sts\.provider\.example; delete it/,
    );
    expect(refusals({ '_mta-sts.example.com TXT': ['v=STSv1; id=a', 'v=STSv1; id=b'] }).refusals[0]).toContain(
      'holds 2 v=STSv1 records (v=STSv1; id=a | v=STSv1; id=b), so senders ignore them all',
    );
    expect(
      refusals({
        '_smtp._tls.example.com TXT': ['v=TLSRPTv1; rua=mailto:a@x.example', 'v=TLSRPTv1; rua=mailto:b@x.example'],
      }).refusals[0],
    ).toContain('holds 2 v=TLSRPTv1 records');
    const elsewhere = refusals({ 'mta-sts.example.com A': ['198.51.100.7'] });
    expect(elsewhere.refusals).toEqual([
      "mta-sts.example.com A points at 198.51.100.7, not at this server (192.0.2.10); senders would fetch the policy elsewhere. Delete that record at your DNS provider, or correct the server's address in the panel's settings.",
    ]);
    // One refusal stops the whole update, the missing records included.
    expect(elsewhere.update).toEqual({});
  });

  it('publishes no id for a domain that serves no policy yet (RFC 8461 §8.1), only the host and TLS-RPT', () => {
    const before = expectedRecords(NAME, undefined, { ipv4: '192.0.2.10' }, 'mailto:tls-reports@{domain}');
    const plan = planPublication(before, zone({}), 300);
    expect(plan.steps.map((step) => `${step.name} ${step.type}`)).toEqual([
      'mta-sts.example.com A',
      '_smtp._tls.example.com TXT',
    ]);
  });
});

describe('Planning the withdrawal of a domain’s policy', () => {
  const host = { name: 'mta-sts.example.com', ipv4: '192.0.2.10', ipv6: '2001:db8::10' };

  it('removes its v=STSv1 record and this server’s addresses only, guarded by what it read', () => {
    const live = zone({
      '_mta-sts.example.com TXT': ['google-site-verification=x', STS],
      'mta-sts.example.com A': ['192.0.2.10', '198.51.100.7'],
      'mta-sts.example.com AAAA': [],
    });
    const plan = planWithdrawal('_mta-sts.example.com', host, live);
    expect(plan.steps.map((step) => `${step.kind} ${step.name} ${step.type} ${step.from}`)).toEqual([
      `remove _mta-sts.example.com TXT ${STS}`,
      'remove mta-sts.example.com A 192.0.2.10',
    ]);
    expect(plan.update.remove).toEqual([
      { name: '_mta-sts.example.com', type: 'TXT', values: [STS] },
      { name: 'mta-sts.example.com', type: 'A', values: ['192.0.2.10'] },
    ]);
    expect(plan.update.exactly).toHaveLength(2);
  });

  it('does nothing where nothing of its own is left', () => {
    expect(planWithdrawal('_mta-sts.example.com', host, zone({}))).toEqual({ steps: [], refusals: [], update: {} });
  });
});

describe('Delegated hosting (RFC 8461 §8.2)', () => {
  const delegation = { zone: 'sts.provider.example', hostName: 'mta-sts-host.sts.provider.example' };

  it('asks the customer for two CNAMEs once, and keeps the id and the host in the operator’s zone', () => {
    expect(
      customerRecords(NAME, delegation, 'mailto:tls-reports@{domain}').map((r) => `${r.name} ${r.type} ${r.value}`),
    ).toEqual([
      '_mta-sts.example.com CNAME example.com.sts.provider.example',
      'mta-sts.example.com CNAME mta-sts-host.sts.provider.example',
      '_smtp._tls.example.com TXT v=TLSRPTv1; rua=mailto:tls-reports@example.com',
    ]);
    expect(
      operatorRecords(NAME, delegation, ID, { ipv4: '192.0.2.10' }).map((r) => `${r.name} ${r.type} ${r.value}`),
    ).toEqual([`example.com.sts.provider.example TXT ${STS}`, 'mta-sts-host.sts.provider.example A 192.0.2.10']);
    // No id before the policy is served (§8.1).
    expect(operatorRecords(NAME, delegation, undefined, { ipv4: '192.0.2.10' })).toHaveLength(1);
  });

  it('shows the CNAMEs as live once the checks saw them, and what is there instead otherwise', () => {
    const records = customerRecords(NAME, delegation, 'mailto:tls-reports@{domain}').slice(0, 2);
    const checks = [
      { check: 'policy-record' as const, observed: { CNAME: ['example.com.sts.provider.example'] } },
      { check: 'dns' as const, observed: { CNAME: ['elsewhere.example'] } },
    ];
    expect(recordStatuses(records, checks).map((r) => [r.visibility, r.found])).toEqual([
      ['live', undefined],
      ['mismatch', 'elsewhere.example'],
    ]);
    expect(recordStatuses(records, []).map((r) => r.visibility)).toEqual(['unknown', 'unknown']);
  });

  it('leaves a domain whose delegated name would pass 253 characters to the admin', () => {
    const long = DomainName.fromValidated(
      `${'a'.repeat(63)}.${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(50)}.example`,
    );
    expect(delegatedPolicyName(long, delegation.zone)).toBeUndefined();
    expect(delegatedPolicyName(NAME, delegation.zone)).toBe('example.com.sts.provider.example');
  });
});
