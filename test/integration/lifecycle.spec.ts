import 'reflect-metadata';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { INestApplication } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { PromotionRefusedError } from '../../src/mta-sts/domain/errors';
import { renderPolicy } from '../../src/mta-sts/domain/policy';
import { ScheduledJobs } from '../../src/mta-sts/jobs/scheduled-jobs';
import { MtaStsModuleOptions } from '../../src/mta-sts/mta-sts.options';
import { MtaStsDomainEntity } from '../../src/mta-sts/persistence';
import { MtaStsNotification, Notifier } from '../../src/mta-sts/ports';
import { AuditService } from '../../src/mta-sts/services/audit.service';
import { DomainsService } from '../../src/mta-sts/services/domains.service';
import { NotificationsService } from '../../src/mta-sts/services/notifications.service';
import { PolicyChange, PolicyService } from '../../src/mta-sts/services/policy.service';
import { ProvisioningService } from '../../src/mta-sts/services/provisioning.service';
import { RetirementService } from '../../src/mta-sts/services/retirement.service';
import { oneDomainFakes } from './helpers/pages-app';
import { Fakes, SERVER_IPV4, createModuleApp } from './helpers/provisioning-app';
import { FakeClock } from './helpers/renewal-app';

const DAY = 86_400_000;
const HOUR = 3_600_000;
const DOMAIN = 'example.com';
const HOST = `mta-sts.${DOMAIN}`;

/** Collects what the module sends, as a webhook or mail relay would receive it. */
class CapturingNotifier extends Notifier {
  readonly sent: MtaStsNotification[] = [];
  async notify(notification: MtaStsNotification): Promise<void> {
    this.sent.push(notification);
  }
}

describe('Lifecycle safety through the real MtaStsModule (fake clock, fake ports)', () => {
  let dataDir: string;
  let fakes: Fakes;
  let clock: FakeClock;
  let notifier: CapturingNotifier;
  let app: INestApplication | undefined;

  beforeEach(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'mta-sts-lifecycle-'));
    fakes = oneDomainFakes(dataDir, DOMAIN);
    clock = new FakeClock(new Date(Date.now() + 60_000));
    notifier = new CapturingNotifier();
    app = undefined;
  });

  afterEach(async () => {
    await app?.close();
    rmSync(dataDir, { recursive: true, force: true });
    expect(fakes.unexpected.calls).toEqual([]);
  });

  async function start(options: Partial<MtaStsModuleOptions> = {}) {
    app = await createModuleApp(dataDir, fakes, { clock, notifier, options });
    return {
      domains: app.get(DomainsService),
      provisioning: app.get(ProvisioningService),
      policies: app.get(PolicyService),
      retirement: app.get(RetirementService),
      audit: app.get(AuditService),
      jobs: app.get(ScheduledJobs),
      notifications: app.get(NotificationsService),
      rows: app.get(DataSource).getRepository(MtaStsDomainEntity),
    };
  }
  type Ctx = Awaited<ReturnType<typeof start>>;

  const policyFile = () => readFileSync(join(dataDir, 'policies', `${DOMAIN}.txt`), 'utf8');
  const publishId = (id: string) => fakes.dns.txt.set(`_mta-sts.${DOMAIN}`, [`v=STSv1; id=${id}`]);

  /** Adds and enables DOMAIN, then publishes its id so the checks pass: state active. */
  async function activeDomain(ctx: Ctx, actor = 'alice'): Promise<string> {
    await ctx.domains.add(DOMAIN, actor);
    await ctx.provisioning.enable(DOMAIN, actor);
    await ctx.provisioning.settled(DOMAIN);
    const view = await ctx.domains.get(DOMAIN);
    expect(view.state).toBe('active');
    publishId(view.servedPolicyId!);
    await ctx.domains.runChecks(DOMAIN);
    const checked = await ctx.domains.get(DOMAIN);
    expect(checked.checks.filter((check) => check.status !== 'pass')).toEqual([]);
    expect(checked.lifecycle.policyVisibleAt).not.toBeNull();
    return view.servedPolicyId!;
  }

  describe('changes in the right order (RFC 8461 §8.1)', () => {
    it('publishes the new file first, shows the id as not visible until a check sees it, and records when it did', async () => {
      const ctx = await start();
      const oldId = await activeDomain(ctx);
      clock.advance(HOUR);
      const change = await ctx.policies.setMaxAge(DOMAIN, 86_400, 'alice');
      const newId = change.domain.servedPolicyId!;
      expect(newId).not.toBe(oldId);
      expect(policyFile()).toContain('max_age: 86400');
      expect(change.domain.policy).toEqual({ id: newId, text: policyFile() });
      expect(change.domain.state).toBe('changing');
      expect(change.domain.lifecycle.policyVisibleAt).toBeNull();
      expect(change.domain.alerts.join(' ')).toMatch(
        new RegExp(
          `New policy id ${newId} not yet visible in DNS: publish _mta-sts.example.com TXT "v=STSv1; id=${newId}"`,
        ),
      );
      // The old id still in DNS: no change yet, and the badge says Verifying, not Error.
      await ctx.jobs.runChecks();
      expect((await ctx.domains.get(DOMAIN)).state).toBe('changing');
      expect((await ctx.domains.get(DOMAIN)).badge).toBe('verifying');

      clock.advance(HOUR);
      publishId(newId);
      await ctx.jobs.runChecks();
      const seen = await ctx.domains.get(DOMAIN);
      expect(seen.state).toBe('active');
      expect(seen.badge).toBe('active');
      expect(seen.lifecycle.policyVisibleAt).toBe(clock.now().toISOString());
      const actions = await ctx.audit.recent(DOMAIN);
      expect(actions[0]).toMatchObject({ action: 'id-visible', actor: 'system', policyIdAfter: newId });
      expect(actions[1]).toMatchObject({
        action: 'max-age',
        actor: 'alice',
        policyIdBefore: oldId,
        policyIdAfter: newId,
      });
    });
  });

  describe('a policy id is never announced again once replaced (RFC 8461 §3.1)', () => {
    /** Asserts what the admin is asked after a change of the served text, everywhere it is said. */
    async function expectPublishAsked(ctx: Ctx, change: PolicyChange, previousIds: readonly string[]) {
      const id = change.domain.servedPolicyId!;
      expect(previousIds).not.toContain(id);
      expect(change.idChanged).toBe(true);
      expect(change.domain.state).toBe('changing');
      expect(change.domain.policy).toEqual({ id, text: policyFile() });
      expect(change.publish).toEqual({
        name: `_mta-sts.${DOMAIN}`,
        type: 'TXT',
        value: `v=STSv1; id=${id}`,
        purpose: expect.any(String),
      });
      expect(change.note).toContain(
        `Publish _mta-sts.${DOMAIN} TXT "v=STSv1; id=${id}" so senders fetch the new policy.`,
      );
      expect(change.domain.alerts).toContain(
        `New policy id ${id} not yet visible in DNS: publish _mta-sts.${DOMAIN} TXT "v=STSv1; id=${id}" so senders fetch the new policy.`,
      );
      expect(change.domain.records.find((record) => record.name === `_mta-sts.${DOMAIN}`)?.value).toBe(
        `v=STSv1; id=${id}`,
      );
      // The old id still in DNS: the policy-record check says the new one is missing.
      const checked = await ctx.domains.runChecks(DOMAIN);
      expect(checked.state).toBe('changing');
      expect(checked.checks.find((check) => check.check === 'policy-record')?.status).toBe('fail');
      const [action] = await ctx.audit.recent(DOMAIN);
      expect(action.policyIdAfter).toBe(id);
      expect(action.policyIdBefore).toBe(previousIds.at(-1));
      return id;
    }

    it('Revert to testing after a promotion whose id was never published announces a third id', async () => {
      const ctx = await start();
      const testingId = await activeDomain(ctx);
      const testingText = policyFile();
      const promoted = await ctx.policies.setMode(DOMAIN, 'enforce', 'alice');
      const enforceId = await expectPublishAsked(ctx, promoted, [testingId]);
      // A sender may now hold the enforce text under the testing id; only a new id releases it.
      clock.advance(60_000);
      const reverted = await ctx.policies.setMode(DOMAIN, 'testing', 'alice');
      expect(policyFile()).toBe(testingText);
      const revertId = await expectPublishAsked(ctx, reverted, [testingId, enforceId]);
      publishId(revertId);
      await ctx.jobs.runChecks();
      expect((await ctx.domains.get(DOMAIN)).state).toBe('active');
    });

    it('Cancel retirement serves the testing text under an id never used before', async () => {
      const ctx = await start();
      const testingId = await activeDomain(ctx);
      const testingText = policyFile();
      const retiring = await ctx.retirement.retire(DOMAIN, 'alice');
      const noneId = retiring.domain.servedPolicyId!;
      expect(noneId).not.toBe(testingId);
      publishId(noneId);
      await ctx.jobs.runChecks();
      const { domain } = await ctx.provisioning.enable(DOMAIN, 'alice');
      expect(policyFile()).toBe(testingText);
      expect([testingId, noneId]).not.toContain(domain.servedPolicyId);
      expect(domain.state).toBe('changing');
      expect(domain.alerts).toContain(
        `New policy id ${domain.servedPolicyId} not yet visible in DNS: publish _mta-sts.${DOMAIN} TXT "v=STSv1; id=${domain.servedPolicyId}" so senders fetch the new policy.`,
      );
    });

    it('a max_age changed and changed back gives three ids, and setting the same value changes nothing', async () => {
      const ctx = await start();
      const first = await activeDomain(ctx);
      const text = policyFile();
      const shorter = await expectPublishAsked(ctx, await ctx.policies.setMaxAge(DOMAIN, 86_400, 'alice'), [first]);
      const back = await ctx.policies.setMaxAge(DOMAIN, 604_800, 'alice');
      expect(policyFile()).toBe(text);
      const third = await expectPublishAsked(ctx, back, [first, shorter]);

      const actions = (await ctx.audit.recent(DOMAIN)).length;
      const same = await ctx.policies.setMaxAge(DOMAIN, 604_800, 'alice');
      expect(same).toMatchObject({ idChanged: false, policyChanged: false, publish: null });
      expect(same.note).toBe('Nothing changed: the policy and its id stay as they were.');
      expect(same.domain.servedPolicyId).toBe(third);
      expect((await ctx.audit.recent(DOMAIN)).length).toBe(actions + 1);
    });

    it('an MX set that goes A → B → A gives three ids (MX watch and Refresh MX)', async () => {
      const ctx = await start();
      const first = await activeDomain(ctx);
      const text = policyFile();
      fakes.dns.mx.set(DOMAIN, [{ exchange: 'mx2.example.com', priority: 10 }]);
      await ctx.jobs.runChecks();
      const second = (await ctx.domains.get(DOMAIN)).servedPolicyId!;
      expect(policyFile()).toContain('mx: mx2.example.com');
      expect(second).not.toBe(first);
      await ctx.notifications.drained();
      const notice = notifier.sent.find((sent) => sent.kind === 'mx-changed');
      expect(notice?.text).toContain(
        `Publish _mta-sts.${DOMAIN} TXT "v=STSv1; id=${second}" so senders fetch the new policy.`,
      );

      fakes.dns.mx.set(DOMAIN, [{ exchange: 'mx1.example.com', priority: 10 }]);
      const back = await ctx.policies.refreshMx(DOMAIN, 'alice');
      expect(policyFile()).toBe(text);
      await expectPublishAsked(ctx, back, [first, second]);
    });

    it('keeps ids unique across a restart, and the database holds the exact text of each', async () => {
      let ctx = await start();
      const first = await activeDomain(ctx);
      const second = (await ctx.policies.setMode(DOMAIN, 'enforce', 'alice')).domain.servedPolicyId!;
      await app!.close();
      app = undefined;
      ctx = await start();
      const third = (await ctx.policies.setMode(DOMAIN, 'testing', 'alice')).domain.servedPolicyId!;
      expect(new Set([first, second, third]).size).toBe(3);
      const row = await ctx.rows.findOneByOrFail({ name: DOMAIN });
      expect({ id: row.policyId, text: row.policyText, serial: row.policySerial }).toEqual({
        id: third,
        text: policyFile(),
        serial: 3,
      });
    });
  });

  describe('promotion to enforce', () => {
    it('is refused with every reason while an MX host fails the STARTTLS probe and the id is not in DNS', async () => {
      const ctx = await start();
      await activeDomain(ctx);
      fakes.dns.txt.set(`_mta-sts.${DOMAIN}`, []);
      fakes.smtp.fail('mx1.example.com', 'mx1.example.com (192.0.2.25) does not offer STARTTLS');
      const before = policyFile();
      const refused = await ctx.policies.setMode(DOMAIN, 'enforce', 'alice').catch((error: unknown) => error);
      expect(refused).toBeInstanceOf(PromotionRefusedError);
      const reasons = (refused as PromotionRefusedError).reasons;
      expect(reasons).toHaveLength(2);
      expect(reasons[0]).toMatch(/^Policy id in DNS matches: /);
      expect(reasons[1]).toBe(
        'MX hosts accept TLS (STARTTLS probe): mx1.example.com (192.0.2.25) does not offer STARTTLS.',
      );
      // Nothing changed: same file, same mode, and the probe result is stored with the checks.
      expect(policyFile()).toBe(before);
      const view = await ctx.domains.get(DOMAIN);
      expect(view.mode).toBe('testing');
      expect(view.checks.find((check) => check.check === 'mx-tls')).toMatchObject({
        status: 'warn',
        detail: '✗ mx1.example.com (192.0.2.25) does not offer STARTTLS',
      });
    });

    it('runs a fresh probe of every MX host and promotes when all checks pass; revert is immediate even when checks fail', async () => {
      const ctx = await start();
      await activeDomain(ctx);
      fakes.dns.mx.set(DOMAIN, [
        { exchange: 'mx1.example.com', priority: 10 },
        { exchange: 'mx2.example.com', priority: 20 },
      ]);
      await ctx.policies.refreshMx(DOMAIN, 'alice');
      publishId((await ctx.domains.get(DOMAIN)).servedPolicyId!);
      fakes.smtp.probed.length = 0;
      const promoted = await ctx.policies.setMode(DOMAIN, 'enforce', 'alice');
      expect([...fakes.smtp.probed].sort()).toEqual(['mx1.example.com', 'mx2.example.com']);
      expect(promoted.domain.mode).toBe('enforce');
      expect(policyFile()).toContain('mode: enforce');

      // The emergency brake works whatever the checks say.
      fakes.smtp.fail(
        'mx2.example.com',
        'mx2.example.com (192.0.2.25) presents a certificate that expired on 2026-01-02',
      );
      fakes.dns.txt.set(`_mta-sts.${DOMAIN}`, []);
      const reverted = await ctx.policies.setMode(DOMAIN, 'testing', 'bob');
      expect(reverted.domain.mode).toBe('testing');
      expect(policyFile()).toContain('mode: testing');
      expect((await ctx.audit.recent(DOMAIN))[0]).toMatchObject({
        action: 'mode',
        actor: 'bob',
        detail: 'Mode enforce → testing.',
      });
    });

    it('is refused for a domain that does not serve its testing policy yet', async () => {
      const ctx = await start();
      await ctx.domains.add(DOMAIN);
      await expect(ctx.policies.setMode(DOMAIN, 'enforce')).rejects.toThrow(/Enable the domain in testing mode first/);
      expect((await ctx.domains.get(DOMAIN)).mode).toBe('testing');
    });
  });

  describe('retire instead of vanish (RFC 8461 §8.3)', () => {
    it('serves mode none with a short max_age and a new id, counts down, then removes the host and names the records', async () => {
      const ctx = await start({ retirement: { txtTtlSeconds: 3600 } });
      await activeDomain(ctx);
      // The largest max_age ever served is a month, even though the policy now says a week.
      await ctx.policies.setMaxAge(DOMAIN, 2_592_000, 'alice');
      await ctx.policies.setMaxAge(DOMAIN, 604_800, 'alice');
      clock.advance(HOUR);
      const startedAt = clock.now().getTime();
      const result = await ctx.retirement.retire(DOMAIN, 'alice');
      expect(policyFile()).toBe(renderPolicy({ mode: 'none', mx: ['mx1.example.com'], maxAge: 86_400 }));
      expect(result.domain.state).toBe('retiring');
      expect(result.domain.badge).toBe('retiring');
      expect(result.removeAt).toBe(new Date(startedAt + 30 * DAY + HOUR).toISOString());
      expect(result.publish).toEqual({
        name: `_mta-sts.${DOMAIN}`,
        type: 'TXT',
        value: `v=STSv1; id=${result.domain.servedPolicyId}`,
        purpose: expect.any(String),
      });
      expect(result.domain.policy).toEqual({ id: result.domain.servedPolicyId, text: policyFile() });
      expect(result.domain.alerts[0]).toMatch(
        /^Retiring: mode none is served; the policy host is removed in 30 days 1 h/,
      );
      // Asking again changes nothing.
      expect((await ctx.retirement.retire(DOMAIN, 'alice')).removeAt).toBe(result.removeAt);

      // Still serving the day before the deadline, through restarts of the sweep.
      clock.set(new Date(startedAt + 30 * DAY));
      await ctx.jobs.runChecks();
      expect(fakes.web.removed).toEqual([]);
      expect((await ctx.domains.get(DOMAIN)).alerts[0]).toMatch(/removed in 1 h/);

      clock.set(new Date(startedAt + 30 * DAY + HOUR));
      await ctx.jobs.runChecks();
      expect(fakes.web.removed).toEqual([HOST]);
      expect(existsSync(join(dataDir, 'policies', `${DOMAIN}.txt`))).toBe(false);
      const removed = await ctx.domains.get(DOMAIN);
      expect(removed.state).toBe('removed');
      expect(removed.badge).toBe('inactive');
      expect(removed.alerts[0]).toMatch(
        /^Retired: delete _mta-sts.example.com TXT, then the mta-sts.example.com address records/,
      );
      // The certificate stays for a later Enable.
      expect(existsSync(join(dataDir, 'certs', DOMAIN, 'certificate.pem'))).toBe(true);
      await ctx.notifications.drained();
      const retired = notifier.sent.filter((notice) => notice.kind === 'retired');
      expect(retired).toHaveLength(1);
      expect(retired[0].text).toContain(`_mta-sts.${DOMAIN} TXT`);
      expect(retired[0].text).toContain(`${HOST} A ${SERVER_IPV4}`);
      expect((await ctx.audit.recent(DOMAIN)).map((action) => action.action).slice(0, 2)).toEqual([
        'retired',
        'retire',
      ]);
    });

    it('finishes a retirement that came due while the panel was stopped, at start-up', async () => {
      let ctx = await start();
      await activeDomain(ctx);
      await ctx.retirement.retire(DOMAIN, 'alice');
      await app!.close();
      clock.advance(8 * DAY + 2 * HOUR);
      ctx = await start();
      expect(fakes.web.removed).toEqual([HOST]);
      expect((await ctx.domains.get(DOMAIN)).state).toBe('removed');
    });

    it('cancels a retirement with Enable: testing again with a new id', async () => {
      const ctx = await start();
      await activeDomain(ctx);
      const retiring = await ctx.retirement.retire(DOMAIN, 'alice');
      publishId(retiring.domain.servedPolicyId!);
      const { domain } = await ctx.provisioning.enable(DOMAIN, 'alice');
      expect(domain.state).toBe('changing');
      expect(domain.mode).toBe('testing');
      expect(domain.servedPolicyId).not.toBe(retiring.domain.servedPolicyId);
      expect(policyFile()).toContain('mode: testing');
      expect(fakes.web.removed).toEqual([]);
    });

    it('cancels a retirement with the max_age the domain had before retiring, and says so', async () => {
      const ctx = await start();
      await activeDomain(ctx);
      await ctx.policies.setMaxAge(DOMAIN, 1_209_600, 'alice');
      await ctx.retirement.retire(DOMAIN, 'alice');
      expect((await ctx.domains.get(DOMAIN)).maxAge).toBe(86_400);
      const { domain, cancelledRetirement } = await ctx.provisioning.enable(DOMAIN, 'alice');
      expect(cancelledRetirement).toBe(true);
      expect([domain.mode, domain.maxAge]).toEqual(['testing', 1_209_600]);
      expect(policyFile()).toContain('max_age: 1209600\r\n');
      const [action] = await ctx.audit.recent(DOMAIN);
      expect(action).toMatchObject({
        action: 'cancel-retire',
        detail: 'Retirement cancelled; the policy is back in testing mode with max_age 1209600 seconds.',
      });
    });

    it('an Enable queued behind a Disable cancels the retirement it finds, never answering with nothing done', async () => {
      const ctx = await start();
      await activeDomain(ctx);
      const [retired, first, second] = await Promise.all([
        ctx.retirement.retire(DOMAIN, 'alice'),
        ctx.provisioning.enable(DOMAIN, 'bob'),
        ctx.provisioning.enable(DOMAIN, 'carol'),
      ]);
      expect(retired.domain.state).toBe('retiring');
      expect(first).toMatchObject({ started: false, cancelledRetirement: true });
      expect(first.domain.mode).toBe('testing');
      // The second finds the domain serving again: nothing left to do, and it says so.
      expect(second.cancelledRetirement).toBeUndefined();
      const view = await ctx.domains.get(DOMAIN);
      expect([view.state, view.mode]).toEqual(['changing', 'testing']);
      expect((await ctx.audit.recent(DOMAIN)).map((action) => action.action).slice(0, 2)).toEqual([
        'cancel-retire',
        'retire',
      ]);
    });

    it('removes at once on request, and names how long senders may hold the policy', async () => {
      const ctx = await start();
      await activeDomain(ctx);
      const result = await ctx.retirement.removeNow(DOMAIN, 'alice');
      expect(fakes.web.removed).toEqual([HOST]);
      expect(result.domain.state).toBe('removed');
      expect(result.recordsToRemove.map((record) => `${record.name} ${record.type}`)).toEqual([
        `_mta-sts.${DOMAIN} TXT`,
        `${HOST} A`,
      ]);
      const [action] = await ctx.audit.recent(DOMAIN);
      expect(action).toMatchObject({ action: 'remove-now', actor: 'alice', policyIdAfter: null });
      expect(action.detail).toMatch(/senders may apply a cached policy until \d{4}-/);
    });
  });

  describe('MX watch', () => {
    it('in testing mode, follows the live MX records with a new policy and id', async () => {
      const ctx = await start();
      await activeDomain(ctx);
      fakes.dns.mx.set(DOMAIN, [{ exchange: 'mx2.example.com', priority: 10 }]);
      await ctx.jobs.runChecks();
      const view = await ctx.domains.get(DOMAIN);
      expect(view.mx).toEqual(['mx2.example.com']);
      expect(policyFile()).toContain('mx: mx2.example.com');
      expect(policyFile()).not.toContain('mx1');
      expect(view.state).toBe('changing');
      await ctx.notifications.drained();
      expect(notifier.sent.filter((notice) => notice.kind === 'mx-changed')).toHaveLength(1);
    });

    it('in enforce mode, serves old and new hosts, and drops the old one only after the previous max_age', async () => {
      const ctx = await start();
      await activeDomain(ctx);
      await ctx.policies.setMode(DOMAIN, 'enforce', 'alice');
      publishId((await ctx.domains.get(DOMAIN)).servedPolicyId!);
      const movedAt = clock.now().getTime();
      fakes.dns.mx.set(DOMAIN, [{ exchange: 'mx2.example.com', priority: 10 }]);
      await ctx.jobs.runChecks();
      let view = await ctx.domains.get(DOMAIN);
      expect(view.mx).toEqual(['mx1.example.com', 'mx2.example.com']);
      expect(policyFile()).toContain('mx: mx1.example.com\r\nmx: mx2.example.com');
      expect(view.lifecycle.mxDrop).toEqual({
        hosts: ['mx1.example.com'],
        after: new Date(movedAt + 7 * DAY).toISOString(),
      });
      expect(view.alerts.join(' ')).toMatch(/mx1.example.com stays in the enforce policy until/);

      publishId(view.servedPolicyId!);
      clock.set(new Date(movedAt + 7 * DAY - HOUR));
      await ctx.jobs.runChecks();
      expect((await ctx.domains.get(DOMAIN)).mx).toEqual(['mx1.example.com', 'mx2.example.com']);

      clock.set(new Date(movedAt + 7 * DAY));
      await ctx.jobs.runChecks();
      view = await ctx.domains.get(DOMAIN);
      expect(view.mx).toEqual(['mx2.example.com']);
      expect(view.lifecycle.mxDrop).toBeNull();
      expect(policyFile()).not.toContain('mx1');
      expect(policyFile()).toContain('mode: enforce');
    });
  });

  describe('certificate trouble under enforce', () => {
    async function enforcing(ctx: Ctx) {
      await activeDomain(ctx);
      await ctx.policies.setMode(DOMAIN, 'enforce', 'alice');
      publishId((await ctx.domains.get(DOMAIN)).servedPolicyId!);
      await ctx.jobs.runChecks();
    }

    it('raises an alert and keeps enforce when auto-downgrade is off', async () => {
      const ctx = await start();
      await enforcing(ctx);
      fakes.smtp.fail(
        'mx1.example.com',
        'mx1.example.com (192.0.2.25) presents a certificate that is for mail.other.net, not mx1.example.com',
      );
      // Scheduled runs reuse a host's probe result for 10 minutes.
      clock.advance(11 * 60_000);
      await ctx.jobs.runChecks();
      const view = await ctx.domains.get(DOMAIN);
      expect(view.mode).toBe('enforce');
      expect(view.badge).toBe('error');
      expect(view.alerts.join(' ')).toMatch(
        /Under enforce, mail may bounce: MX TLS: mx1.example.com .* is for mail.other.net/,
      );
      await ctx.notifications.drained();
      const notices = notifier.sent.filter(
        (notice) => notice.kind === 'badge-changed' && notice.details?.after === 'error',
      );
      expect(notices.map((notice) => notice.subject)).toEqual(['example.com: MTA-STS is now failing (was active)']);
      // Once per change: another failing run sends nothing new.
      await ctx.jobs.runChecks();
      await ctx.notifications.drained();
      expect(
        notifier.sent.filter((notice) => notice.kind === 'badge-changed' && notice.details?.after === 'error'),
      ).toHaveLength(1);
    });

    it('reverts to testing by itself with MTA_STS_AUTO_DOWNGRADE, and says so', async () => {
      const ctx = await start({ autoDowngrade: true });
      await enforcing(ctx);
      fakes.smtp.fail(
        'mx1.example.com',
        'mx1.example.com (192.0.2.25) presents a certificate that expired on 2026-01-02',
      );
      clock.advance(11 * 60_000);
      await ctx.jobs.runChecks();
      const view = await ctx.domains.get(DOMAIN);
      expect(view.mode).toBe('testing');
      expect(policyFile()).toContain('mode: testing');
      const [action] = (await ctx.audit.recent(DOMAIN)).filter((entry) => entry.action === 'downgrade');
      expect(action).toMatchObject({ actor: 'system' });
      expect(action.detail).toMatch(/expired on 2026-01-02/);
      await ctx.notifications.drained();
      const downgraded = notifier.sent.filter((notice) => notice.kind === 'downgraded');
      expect(downgraded).toHaveLength(1);
      expect(downgraded[0].text).toContain(`id=${view.servedPolicyId}`);
    });
  });

  describe('robustness', () => {
    it('rewrites a policy file the database is ahead of at start-up (a crash between the two writes)', async () => {
      let ctx = await start();
      await activeDomain(ctx);
      await ctx.policies.setMaxAge(DOMAIN, 86_400, 'alice');
      const wanted = policyFile();
      await app!.close();
      // The process died after recording the change and before the file was renamed in place.
      writeFileSync(
        join(dataDir, 'policies', `${DOMAIN}.txt`),
        renderPolicy({ mode: 'testing', mx: ['mx1.example.com'], maxAge: 604_800 }),
      );
      ctx = await start();
      expect(policyFile()).toBe(wanted);
      const restored = await ctx.domains.get(DOMAIN);
      expect(restored.policy).toEqual({ id: restored.servedPolicyId, text: wanted });
    });

    it('serializes concurrent actions on one domain, and a repeated request is harmless', async () => {
      const ctx = await start();
      await activeDomain(ctx);
      const results = await Promise.allSettled([
        ctx.policies.setMaxAge(DOMAIN, 86_400, 'alice'),
        ctx.retirement.retire(DOMAIN, 'bob'),
        ctx.retirement.retire(DOMAIN, 'bob'),
        ctx.policies.setMaxAge(DOMAIN, 2_592_000, 'carol'),
      ]);
      expect(results.map((result) => result.status)).toEqual(['fulfilled', 'fulfilled', 'fulfilled', 'rejected']);
      expect((results[3] as PromiseRejectedResult).reason.message).toMatch(/is retiring/);
      const view = await ctx.domains.get(DOMAIN);
      expect(view.state).toBe('retiring');
      expect(view.policy).toEqual({ id: view.servedPolicyId, text: policyFile() });
      const retires = (await ctx.audit.recent(DOMAIN)).filter((action) => action.action === 'retire');
      expect(retires).toHaveLength(1);
    });
  });
});
