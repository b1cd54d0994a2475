import 'reflect-metadata';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { INestApplication } from '@nestjs/common';
import request from 'supertest';
import { ScheduledJobs } from '../../src/mta-sts/jobs/scheduled-jobs';
import { DomainsService } from '../../src/mta-sts/services/domains.service';
import { ProvisioningService } from '../../src/mta-sts/services/provisioning.service';
import { oneDomainFakes } from './helpers/pages-app';
import { Fakes, createModuleApp } from './helpers/provisioning-app';

const DOMAIN = 'example.com';
const TOKEN = 'operations-api-token-0123456789';

describe('Health and metrics through the real MtaStsModule', () => {
  let dataDir: string;
  let fakes: Fakes;
  let app: INestApplication;

  beforeEach(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'mta-sts-operations-'));
    fakes = oneDomainFakes(dataDir, DOMAIN);
    app = await createModuleApp(dataDir, fakes, { options: { apiToken: TOKEN } });
  });

  afterEach(async () => {
    await app.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('answers 200 at /healthz when the database answers, nginx -t passes and both jobs are scheduled', async () => {
    const answer = await request(app.getHttpServer()).get('/healthz');
    expect(answer.status).toBe(200);
    expect(answer.headers['cache-control']).toBe('no-store');
    expect(answer.body).toEqual({
      ok: true,
      database: { ok: true },
      nginx: { ok: true },
      scheduler: { ok: true },
    });
  });

  it('answers 503 naming the part that fails', async () => {
    fakes.web.configurationError = 'nginx -t fails: unknown directive "oops" in /etc/nginx/conf.d/x.conf:1';
    const answer = await request(app.getHttpServer()).get('/healthz');
    expect(answer.status).toBe(503);
    expect(answer.body).toMatchObject({ ok: false, nginx: { ok: false, problem: fakes.web.configurationError } });

    app.get(ScheduledJobs).onModuleDestroy();
    const unscheduled = await request(app.getHttpServer()).get('/healthz');
    expect(unscheduled.body.scheduler).toEqual({ ok: false, problem: 'the mta-sts-checks job is not scheduled' });
  });

  it('serves Prometheus metrics to the API token only, with the domains, checks, certificates and sweeps', async () => {
    expect((await request(app.getHttpServer()).get('/metrics')).status).toBe(401);
    await app.get(DomainsService).add(DOMAIN);
    await app.get(ProvisioningService).enable(DOMAIN);
    await app.get(ProvisioningService).settled(DOMAIN);
    await app.get(ScheduledJobs).runChecks();

    const answer = await request(app.getHttpServer()).get('/metrics').set('Authorization', `Bearer ${TOKEN}`);
    expect(answer.status).toBe(200);
    expect(answer.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = answer.text;
    // Active, but the _mta-sts record does not announce the id yet: Verifying, one failing check.
    expect(text).toContain('mta_sts_domains{badge="verifying",state="active"} 1');
    expect(text).toContain('mta_sts_checks_failing{check="policy-record"} 1');
    const expiry = Number(/^mta_sts_certificate_expiry_days (\S+)$/m.exec(text)![1]);
    expect(expiry).toBeGreaterThan(88);
    expect(expiry).toBeLessThan(91);
    expect(text).toContain('mta_sts_renewals_failing 0');
    expect(text).toMatch(/^mta_sts_checks_sweep_seconds \d/m);
    expect(text).toMatch(/^mta_sts_checks_sweep_last_success_timestamp_seconds \d{10}/m);
    expect(text).toContain('mta_sts_notification_failures 0');
  });
});
