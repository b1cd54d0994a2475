import { expectedRecords } from '../../src/mta-sts/domain/dns-records';
import { parseDomainName } from '../../src/mta-sts/domain/hostname';
import { resolveMtaStsOptions } from '../../src/mta-sts/mta-sts.options';
import { DomainPage } from '../../src/mta-sts/services/domains.service';
import { DomainView } from '../../src/mta-sts/services/domain-view';
import { cardModel, listModel, MAX_AGE_CHOICES } from '../../src/mta-sts/web/pages/page-models';

const NOW = new Date('2025-06-01T12:00:00Z');
const DAY = 86_400_000;
const ID = '0123456789abcdef0123456789abcdef';
const NEW_ID = 'fedcba9876543210fedcba9876543210';

type Check = DomainView['checks'][number];

function check(id: Check['check'], status: Check['status'], extra: Partial<Check> = {}): Check {
  return {
    check: id,
    status,
    summary: `${id} is ${status}`,
    detail: '',
    remedy: status === 'pass' ? '' : `fix ${id}`,
    observedAt: NOW.toISOString(),
    ...extra,
  };
}

/** A domain view as the services build it; `domain` may be given in Unicode. */
function view({ domain = 'example.com', ...extra }: Partial<DomainView> = {}): DomainView {
  const name = parseDomainName(domain);
  return {
    domain: name.ascii,
    displayName: name.unicode,
    state: 'inactive',
    badge: 'inactive',
    step: null,
    stepLabel: null,
    error: null,
    mode: 'testing',
    maxAge: 604_800,
    mx: ['mx.example.com'],
    mxProblem: null,
    mxCheckedAt: null,
    policy: { text: 'version: STSv1\r\nmode: testing\r\nmx: mx.example.com\r\nmax_age: 604800\r\n', id: ID },
    servedPolicyId: null,
    dnsPublishing: null,
    records: expectedRecords(name, ID, { ipv4: '192.0.2.10' }, 'mailto:tls@{domain}'),
    certificate: null,
    checks: [],
    checksRanAt: null,
    renewal: { dueAt: null, failures: 0, nextAttemptAt: null, lastError: null, retryAfter: null },
    reissue: { limit: 3, remaining: 3, nextAllowedAt: null },
    enabledAt: null,
    lifecycle: {
      policyPublishedAt: null,
      policyVisibleAt: null,
      largestMaxAgeServed: 0,
      mxDrop: null,
      retireStartedAt: null,
      retireUntil: null,
      removedAt: null,
    },
    alerts: [],
    createdAt: NOW.toISOString(),
    updatedAt: NOW.toISOString(),
    ...extra,
  };
}

const active = (extra: Partial<DomainView> = {}) =>
  view({
    state: 'active',
    badge: 'active',
    servedPolicyId: ID,
    enabledAt: NOW.toISOString(),
    certificate: {
      issuer: "Let's Encrypt (R11)",
      notBefore: new Date(NOW.getTime() - 10 * DAY).toISOString(),
      notAfter: new Date(NOW.getTime() + 80 * DAY).toISOString(),
    },
    checks: [check('dns', 'pass'), check('policy-record', 'pass')],
    checksRanAt: '2025-06-01T11:45:07.123Z',
    ...extra,
  });

describe('cardModel', () => {
  const actionsOf = (domain: DomainView) => cardModel(domain, 'admin', NOW).actions;

  it('offers an inactive domain Enable, the settings and Delete, but not Promote before it serves', () => {
    expect(actionsOf(view())).toEqual({
      enable: true,
      cancelRetirement: false,
      retire: false,
      removeNow: false,
      promote: false,
      revert: false,
      settings: true,
      checks: false,
      reissue: false,
      remove: true,
    });
  });

  it('offers a removed domain Enable, the settings and Delete', () => {
    expect(actionsOf(view({ state: 'removed' }))).toEqual({
      enable: true,
      cancelRetirement: false,
      retire: false,
      removeNow: false,
      promote: false,
      revert: false,
      settings: true,
      checks: false,
      reissue: false,
      remove: true,
    });
  });

  it('offers nothing while provisioning (no Actions at all), shows every step, and refreshes the page', () => {
    const model = cardModel(
      view({ state: 'provisioning', badge: 'verifying', step: 'certificate', stepLabel: 'Obtaining the certificate' }),
      'admin',
      NOW,
      [
        {
          action: 'enable',
          actor: 'alice',
          at: new Date(NOW.getTime() - 60_000).toISOString(),
          policyIdBefore: null,
          policyIdAfter: 'x1',
          detail: '',
        },
      ],
    );
    expect(model.actions).toBeNull();
    expect(model.progress).toEqual({
      elapsed: '60 s',
      steps: expect.arrayContaining([
        { label: 'Looking up the MX records', status: 'done', key: 'done' },
        { label: 'Obtaining the certificate', status: 'running', key: 'running' },
        { label: 'Fetching the policy over HTTPS', status: 'to come', key: 'pending' },
      ]),
    });
    expect(model.progress!.steps).toHaveLength(8);
    expect(model.policyServed).toBe(false);
    expect(model.refreshing).toBe(true);
    expect(model.stepLabel).toBe('Obtaining the certificate');
    expect(cardModel(view(), 'admin', NOW).refreshing).toBe(false);
    expect(cardModel(active(), 'admin', NOW).refreshing).toBe(false);
  });

  it('offers an active or changing domain Retire, Remove now, checks, re-issue and the policy changes, not Enable or Delete', () => {
    for (const state of ['active', 'changing'] as const) {
      expect(actionsOf(active({ state }))).toEqual({
        enable: false,
        cancelRetirement: false,
        retire: true,
        removeNow: true,
        promote: true,
        revert: false,
        settings: true,
        checks: true,
        reissue: true,
        remove: false,
      });
    }
  });

  it('offers a retiring domain Cancel retirement, Remove now, checks and re-issue, but no policy changes', () => {
    expect(actionsOf(active({ state: 'retiring', badge: 'retiring', mode: 'none', maxAge: 86_400 }))).toEqual({
      enable: false,
      cancelRetirement: true,
      retire: false,
      removeNow: true,
      promote: false,
      revert: false,
      settings: false,
      checks: true,
      reissue: true,
      remove: false,
    });
  });

  it('offers Revert instead of Promote in enforce mode', () => {
    expect(actionsOf(active({ mode: 'enforce' }))).toMatchObject({ promote: false, revert: true });
    expect(actionsOf(view({ mode: 'enforce' }))).toMatchObject({ promote: false, revert: true });
  });

  it('hides re-issue when the week’s allowance is used up', () => {
    const used = active({ reissue: { limit: 3, remaining: 0, nextAllowedAt: '2025-06-03T09:30:00.000Z' } });
    const model = cardModel(used, 'admin', NOW);
    expect(model.actions?.reissue).toBe(false);
    expect(model.reissue).toEqual({ limit: 3, remaining: 0, nextAllowedAt: '2025-06-03 09:30 UTC' });
  });

  it('offers a failed domain Enable again and Remove now, but not Promote, checks, re-issue or Delete', () => {
    const failed = view({ state: 'error', badge: 'error', error: { step: 'certificate', message: 'The CA said no.' } });
    expect(actionsOf(failed)).toEqual({
      enable: true,
      cancelRetirement: false,
      retire: false,
      removeNow: true,
      promote: false,
      revert: false,
      settings: true,
      checks: false,
      reissue: false,
      remove: false,
    });
    expect(cardModel(failed, 'admin', NOW).error).toEqual({
      step: 'certificate',
      stepLabel: 'Obtaining the certificate',
      message: 'The CA said no.',
    });
  });

  it('gives a viewer no actions in any state', () => {
    for (const domain of [
      view(),
      active(),
      view({ state: 'error', badge: 'error' }),
      view({ state: 'provisioning', badge: 'verifying' }),
      active({ state: 'changing' }),
      active({ state: 'retiring', badge: 'retiring' }),
      view({ state: 'removed' }),
    ]) {
      const model = cardModel(domain, 'viewer', NOW);
      expect(model.canAct).toBe(false);
      expect(model.actions).toBeNull();
    }
    expect(cardModel(view(), 'admin', NOW).canAct).toBe(true);
  });

  it('shows the view’s alerts, the policy times, and a retirement countdown only while retiring', () => {
    const alert = `New policy id ${NEW_ID} not yet visible in DNS: publish _mta-sts.example.com TXT "v=STSv1; id=${NEW_ID}" so senders fetch the new policy.`;
    const changing = cardModel(
      active({
        state: 'changing',
        servedPolicyId: NEW_ID,
        alerts: [alert],
        lifecycle: { ...view().lifecycle, policyPublishedAt: '2025-06-01T11:30:00.000Z', largestMaxAgeServed: 604_800 },
      }),
      'viewer',
      NOW,
    );
    expect(changing.alerts).toEqual([alert]);
    expect(changing.policyTimes).toEqual({
      published: '2025-06-01 11:30 UTC',
      publishedIso: '2025-06-01T11:30:00.000Z',
      visible: null,
      visibleIso: null,
    });
    expect(changing.retirement).toBeNull();
    expect(cardModel(active(), 'viewer', NOW).alerts).toEqual([]);

    const retiring = cardModel(
      active({
        state: 'retiring',
        badge: 'retiring',
        mode: 'none',
        lifecycle: {
          ...view().lifecycle,
          policyPublishedAt: '2025-06-01T11:00:00.000Z',
          policyVisibleAt: '2025-06-01T11:10:00.000Z',
          retireStartedAt: '2025-06-01T11:00:00.000Z',
          retireUntil: new Date(NOW.getTime() + DAY + 3 * 3_600_000).toISOString(),
        },
      }),
      'viewer',
      NOW,
    );
    expect(retiring.retirement).toEqual({
      until: '2025-06-02 15:00 UTC',
      untilIso: '2025-06-02T15:00:00.000Z',
      left: '1 day 3 h',
    });
    expect(retiring.policyTimes).toMatchObject({ published: '2025-06-01 11:00 UTC', visible: '2025-06-01 11:10 UTC' });
    expect(retiring.badge).toEqual({ key: 'retiring', label: 'Retiring', symbol: '↘' });
  });

  it('counts the certificate’s whole days left and gives its dates', () => {
    const model = cardModel(
      active({
        certificate: {
          issuer: "Let's Encrypt (R11)",
          notBefore: '2025-05-22T12:00:00.000Z',
          notAfter: new Date(NOW.getTime() + 10.9 * DAY).toISOString(),
        },
      }),
      'viewer',
      NOW,
    );
    expect(model.certificateDetail).toEqual({
      issuer: "Let's Encrypt (R11)",
      issued: '2025-05-22',
      expires: '2025-06-12',
      daysLeft: 10,
    });
    expect(model.certificate).toEqual({ expires: '2025-06-12', daysLeft: 10, soon: true });
    expect(cardModel(active(), 'viewer', NOW).certificate).toEqual({
      expires: '2025-08-20',
      daysLeft: 80,
      soon: false,
    });
    const boundary = (days: number) =>
      cardModel(
        active({
          certificate: {
            issuer: 'x',
            notBefore: NOW.toISOString(),
            notAfter: new Date(NOW.getTime() + days * DAY).toISOString(),
          },
        }),
        'viewer',
        NOW,
      ).certificate?.soon;
    expect(boundary(14)).toBe(false);
    expect(boundary(13.99)).toBe(true);
    expect(cardModel(view(), 'viewer', NOW).certificateDetail).toBeNull();
  });

  it('selects the current max_age among the choices and names it', () => {
    const model = cardModel(view({ maxAge: 86_400 }), 'admin', NOW);
    expect(model.maxAge).toEqual({ seconds: 86_400, label: '1 day' });
    expect(model.maxAgeChoices).toEqual([
      { value: 86_400, label: '1 day', selected: true },
      { value: 604_800, label: '1 week', selected: false },
      { value: 2_592_000, label: '30 days', selected: false },
      { value: 31_557_600, label: '1 year', selected: false },
    ]);
    expect(
      cardModel(view(), 'admin', NOW)
        .maxAgeChoices.filter((c) => c.selected)
        .map((c) => c.label),
    ).toEqual(['1 week']);
    expect(cardModel(view({ maxAge: 1_209_600 }), 'admin', NOW).maxAge.label).toBe('1209600 seconds');
  });

  it('keeps a max_age that is not one of the choices selectable and selected, so "Set max age" does not change it', () => {
    // defaultMaxAge accepts any value from one day to one year, so a domain can start with two weeks.
    expect(resolveMtaStsOptions({ serverIpv4: '192.0.2.10', defaultMaxAge: 1_209_600 }).defaultMaxAge).toBe(1_209_600);
    const choices = cardModel(view({ maxAge: 1_209_600 }), 'admin', NOW).maxAgeChoices;
    expect(choices.filter((choice) => choice.selected).map((choice) => choice.value)).toEqual([1_209_600]);
    expect(MAX_AGE_CHOICES.map((choice) => choice.value)).not.toContain(1_209_600);
  });

  it('spells out each check with its title and status word', () => {
    const model = cardModel(
      active({ checks: [check('dns', 'pass'), check('tls-rpt', 'warn'), check('policy-record', 'fail')] }),
      'viewer',
      NOW,
    );
    expect(model.checks.map((c) => [c.title, c.status, c.summary, c.remedy])).toEqual([
      ['DNS resolves to this server', { key: 'pass', label: 'Pass', symbol: '✓' }, 'dns is pass', ''],
      ['TLS reporting record', { key: 'warn', label: 'Warning', symbol: '!' }, 'tls-rpt is warn', 'fix tls-rpt'],
      [
        'Policy id in DNS matches',
        { key: 'fail', label: 'Fail', symbol: '✕' },
        'policy-record is fail',
        'fix policy-record',
      ],
    ]);
    expect(model.failing).toEqual({ title: 'Policy id in DNS matches', summary: 'policy-record is fail' });
    expect(model.checksRanAt).toBe('2025-06-01 11:45 UTC');
  });

  it('labels the record visibility in words and gives the zone lines', () => {
    const model = cardModel(
      active({
        checks: [
          check('dns', 'pass', { observed: { A: ['192.0.2.10'] } }),
          check('policy-record', 'fail', { observed: { TXT: ['v=STSv1; id=old1'] } }),
          check('tls-rpt', 'warn', { observed: { TXT: [] } }),
        ],
      }),
      'viewer',
      NOW,
    );
    expect(model.records.map((r) => [r.type, r.visibility, r.visibilityLabel, r.found])).toEqual([
      ['TXT', 'mismatch', 'Mismatch', '"v=STSv1; id=old1"'],
      ['A', 'live', 'Live', undefined],
      ['TXT', 'not-published', 'Not published', undefined],
    ]);
    // Before Enable nothing checks the records yet: say when they will be.
    expect(cardModel(view(), 'viewer', NOW).records.map((r) => r.visibilityLabel)).toEqual([
      'Checked once enabled',
      'Checked once enabled',
      'Checked once enabled',
    ]);
    expect(model.zone.split('\n')[1]).toBe('mta-sts.example.com.\t3600\tIN\tA\t192.0.2.10');
  });

  it('titles the card with the Unicode name and shows the A-label beside it', () => {
    const model = cardModel(view({ domain: 'bücher.example' }), 'viewer', NOW);
    expect(model.title).toBe('MTA-STS for bücher.example');
    expect([model.displayName, model.domain, model.showAscii]).toEqual([
      'bücher.example',
      'xn--bcher-kva.example',
      true,
    ]);
    expect(cardModel(view(), 'viewer', NOW).showAscii).toBe(false);
  });

  it('formats renewal times in UTC', () => {
    const model = cardModel(
      active({
        renewal: {
          dueAt: '2025-07-31T12:00:00.000Z',
          failures: 2,
          nextAttemptAt: '2025-06-01T18:30:59.000Z',
          lastError: 'rate limited',
          retryAfter: null,
        },
      }),
      'viewer',
      NOW,
    );
    expect(model.renewal).toEqual({
      dueAt: '2025-07-31 12:00 UTC',
      failures: 2,
      nextAttemptAt: '2025-06-01 18:30 UTC',
      lastError: 'rate limited',
      retryAfter: null,
    });
  });
});

describe('listModel', () => {
  const page = (extra: Partial<DomainPage> = {}): DomainPage => ({
    items: [],
    total: 0,
    page: 1,
    pages: 1,
    pageSize: 50,
    ...extra,
  });
  const query = { search: '', badge: '' as const };

  it('has no pagination when everything fits on one page', () => {
    expect(listModel(page({ items: [view()], total: 1 }), query, 'admin', NOW).pagination).toBeNull();
  });

  it('links to the previous and next pages', () => {
    expect(listModel(page({ page: 1, pages: 3, total: 120 }), query, 'admin', NOW).pagination).toEqual({
      page: 1,
      pages: 3,
      previous: null,
      next: '?page=2',
    });
    expect(listModel(page({ page: 2, pages: 3, total: 120 }), query, 'admin', NOW).pagination).toEqual({
      page: 2,
      pages: 3,
      previous: '?',
      next: '?page=3',
    });
    expect(listModel(page({ page: 3, pages: 3, total: 120 }), query, 'admin', NOW).pagination).toEqual({
      page: 3,
      pages: 3,
      previous: '?page=2',
      next: null,
    });
  });

  it('keeps the search and the badge in the page links, encoded', () => {
    const model = listModel(page({ page: 2, pages: 3 }), { search: 'bü&x', badge: 'error' }, 'viewer', NOW);
    expect(model.pagination).toMatchObject({
      previous: '?q=b%C3%BC%26x&badge=error',
      next: '?q=b%C3%BC%26x&badge=error&page=3',
    });
    expect(new URLSearchParams(model.pagination!.next!.slice(1)).get('q')).toBe('bü&x');
    expect(model.filtered).toBe(true);
  });

  it('marks the chosen badge and says whether a filter is on', () => {
    const model = listModel(page(), { search: '', badge: 'verifying' }, 'viewer', NOW);
    expect(model.badges).toEqual([
      { key: 'active', label: 'Active', selected: false },
      { key: 'verifying', label: 'Verifying', selected: true },
      { key: 'retiring', label: 'Retiring', selected: false },
      { key: 'error', label: 'Error', selected: false },
      { key: 'inactive', label: 'Inactive', selected: false },
    ]);
    expect(model.filtered).toBe(true);
    expect(listModel(page(), query, 'viewer', NOW).filtered).toBe(false);
    expect(listModel(page(), { search: 'ex', badge: '' }, 'viewer', NOW).filtered).toBe(true);
  });

  it('lets only an admin act', () => {
    expect(listModel(page(), query, 'admin', NOW).canAct).toBe(true);
    expect(listModel(page(), query, 'viewer', NOW).canAct).toBe(false);
  });

  it('sums up each domain: badge word and symbol, mode, first failing check, certificate expiry', () => {
    const failing = active({
      domain: 'bücher.example',
      badge: 'verifying',
      mode: 'enforce',
      checks: [
        check('dns', 'pass'),
        check('tls-rpt', 'warn'),
        check('policy-record', 'fail'),
        check('mx-coverage', 'fail'),
      ],
    });
    const model = listModel(page({ items: [failing, view()], total: 2 }), query, 'admin', NOW);
    expect(model.total).toBe(2);
    expect(model.domains[0]).toEqual({
      domain: 'xn--bcher-kva.example',
      displayName: 'bücher.example',
      showAscii: true,
      nodes: null,
      badge: { key: 'verifying', label: 'Verifying', symbol: '…' },
      mode: { key: 'enforce', label: 'Enforce' },
      stepLabel: null,
      error: null,
      certificate: { expires: '2025-08-20', daysLeft: 80, soon: false },
      failing: { title: 'Policy id in DNS matches', summary: 'policy-record is fail' },
    });
    expect(model.domains[1]).toMatchObject({
      badge: { key: 'inactive', label: 'Inactive', symbol: '○' },
      mode: { key: 'testing', label: 'Testing' },
      certificate: null,
      failing: null,
    });
  });
});
