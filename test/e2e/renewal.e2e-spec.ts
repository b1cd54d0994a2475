import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { connect } from 'node:tls';
import { ScheduledJobs } from '../../src/mta-sts/jobs/scheduled-jobs';
import { DomainView } from '../../src/mta-sts/services/domain-view';
import { Lab } from '../support/lab';
import { Panel } from '../support/panel';
import { waitFor } from '../support/processes';

/** Pebble's certificates live this long here, so renewal (at half the lifetime) comes within seconds. */
const VALIDITY_SECONDS = 12;

/**
 * Renewals against Pebble with short-lived certificates: the certificate on disk and the
 * one nginx serves change with no moment where HTTPS fails; a CA that is down leaves the
 * old certificate serving and schedules a retry.
 */
describe('Certificate renewal against Pebble', () => {
  const domain = 'renew.test';
  let lab: Lab;
  let panel: Panel;

  const bundleFile = () => join(lab.dataDir, 'certs', domain, 'certificate.pem');
  const view = async () => (await panel.api<DomainView>('GET', `/api/domains/${domain}`)).body;

  /** The fingerprint of the certificate nginx presents for the policy host. */
  function servedFingerprint(): Promise<string> {
    return new Promise((resolve, reject) => {
      const socket = connect(
        { host: lab.address, port: lab.ports.https, servername: `mta-sts.${domain}`, rejectUnauthorized: false },
        () => {
          resolve(socket.getPeerCertificate().fingerprint256);
          socket.destroy();
        },
      );
      socket.once('error', reject);
    });
  }

  beforeAll(async () => {
    lab = await Lab.start({ dns: {}, certificateValidity: VALIDITY_SECONDS });
    await lab.publishDomain(domain);
    panel = await Panel.start(lab.env());
    await panel.api('POST', '/api/domains', { domain });
    await panel.api('POST', `/api/domains/${domain}/enable`);
    const enabled = await panel.settle(domain);
    if (enabled.state !== 'active') throw new Error(`enable failed: ${JSON.stringify(enabled.error)}`);
  }, 90_000);

  afterAll(async () => {
    await panel?.close();
    await lab?.stop();
  });

  it('schedules the renewal at half the lifetime of a short-lived certificate', async () => {
    const { certificate, renewal } = await view();
    const notBefore = Date.parse(certificate!.notBefore);
    const notAfter = Date.parse(certificate!.notAfter);
    expect(Date.parse(renewal.dueAt!)).toBe(notBefore + (notAfter - notBefore) / 2);
  });

  it('does nothing before the certificate is due', async () => {
    const before = readFileSync(bundleFile(), 'utf8');
    const due = Date.parse((await view()).renewal.dueAt!);
    if (Date.now() >= due) return; // the machine was too slow to observe this; the next test still runs
    const report = await panel.app.get(ScheduledJobs).runRenewals();
    expect(report?.processed).toBe(1);
    expect(readFileSync(bundleFile(), 'utf8')).toBe(before);
  });

  it('renews a due certificate while HTTPS keeps answering with no gap', async () => {
    const old = await servedFingerprint();
    const oldBundle = readFileSync(bundleFile(), 'utf8');
    const due = Date.parse((await view()).renewal.dueAt!);
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, due - Date.now() + 200)));

    // A sender fetching the policy the whole time never sees a failure.
    const outcomes: string[] = [];
    let polling = true;
    const poller = (async () => {
      while (polling) {
        const answer = await lab
          .fetchHttps(`mta-sts.${domain}`, '/.well-known/mta-sts.txt')
          .then((r) => String(r.status))
          .catch((error: Error) => `error: ${error.message}`);
        outcomes.push(answer);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    })();

    const report = await panel.app.get(ScheduledJobs).runRenewals();
    await waitFor('nginx to present the new certificate', async () => (await servedFingerprint()) !== old);
    polling = false;
    await poller;

    expect(report).toMatchObject({ processed: 1, failed: 0 });
    expect(readFileSync(bundleFile(), 'utf8')).not.toBe(oldBundle);
    expect(outcomes.length).toBeGreaterThan(5);
    expect(outcomes.filter((outcome) => outcome !== '200')).toEqual([]);
    const after = await view();
    expect(after.renewal.failures).toBe(0);
    expect(Date.parse(after.certificate!.notAfter)).toBeGreaterThan(Date.parse(after.renewal.dueAt!));
    // The certificate check ran again after the renewal (a 12-second certificate always has
    // fewer than 14 days left, hence the warning).
    const check = after.checks.find((c) => c.check === 'certificate')!;
    expect(check.status).toBe('warn');
    expect(Date.parse(check.observedAt)).toBeGreaterThanOrEqual(due);
  }, 60_000);

  it('keeps the current certificate serving and schedules a retry when the CA is down', async () => {
    const served = await servedFingerprint();
    const bundle = readFileSync(bundleFile(), 'utf8');
    await lab.pebble.stop();
    const due = Date.parse((await view()).renewal.dueAt!);
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, due - Date.now() + 200)));

    const started = Date.now();
    const report = await panel.app.get(ScheduledJobs).runRenewals();
    expect(report).toMatchObject({ processed: 1, failed: 0 });
    const after = await view();
    expect(after.renewal.failures).toBe(1);
    // Which URL failed and why, in words, with what to check; no internal error text.
    expect(after.renewal.lastError).toMatch(
      /^The certificate authority could not be reached at https:\/\/127\.0\.0\.1:\d+\/\S* \(connection refused\)\. Check that this server can open HTTPS connections to it/,
    );
    expect(after.renewal.lastError).not.toMatch(/Cannot read properties|config/);
    const next = Date.parse(after.renewal.nextAttemptAt!);
    expect(next).toBeGreaterThanOrEqual(started + 60_000);
    expect(next).toBeLessThanOrEqual(Date.now() + 60_000);
    expect(readFileSync(bundleFile(), 'utf8')).toBe(bundle);
    expect(await servedFingerprint()).toBe(served);
    expect((await lab.fetchHttps(`mta-sts.${domain}`, '/.well-known/mta-sts.txt')).status).toBe(200);

    // Before the retry time, the next sweep leaves it alone.
    await panel.app.get(ScheduledJobs).runRenewals();
    expect((await view()).renewal.failures).toBe(1);
  }, 60_000);

  it('reports an expired certificate', async () => {
    const notAfter = Date.parse((await view()).certificate!.notAfter);
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, notAfter - Date.now() + 1_500)));
    const checked = await panel.api<DomainView>('POST', `/api/domains/${domain}/checks`);
    const certificate = checked.body.checks.find((check) => check.check === 'certificate')!;
    expect(certificate.status).toBe('fail');
    expect(certificate.summary).toMatch(/expired/);
    expect(checked.body.badge).toBe('error');
  }, 60_000);

  it('registers the ACME account again when the CA no longer knows it, and records it in the audit trail', async () => {
    // A CA reset or restored from a backup forgets every account (RFC 8555 §7.3.1
    // accountDoesNotExist); Pebble does so at every restart.
    await lab.pebble.restart();
    const second = 'forgotten.test';
    await lab.publishDomain(second);
    expect((await panel.api('POST', '/api/domains', { domain: second })).status).toBe(201);
    expect((await panel.api('POST', `/api/domains/${second}/enable`)).status).toBe(202);
    const enabled = await panel.settle(second);
    expect({ state: enabled.state, error: enabled.error }).toEqual({ state: 'active', error: null });
    const { actions } = (
      await panel.api<{ actions: Array<{ action: string; actor: string; detail: string }> }>(
        'GET',
        `/api/domains/${second}/actions`,
      )
    ).body;
    const recovery = actions.find((action) => action.action === 'acme-account');
    expect(recovery).toMatchObject({ actor: 'system' });
    expect(recovery!.detail).toMatch(
      /^The certificate authority at https:\/\/127\.0\.0\.1:\d+\/dir no longer knew the ACME account \(https:\/\/.+\); the account was registered again\.$/,
    );
  }, 60_000);
});
