import 'reflect-metadata';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { INestApplication } from '@nestjs/common';
import * as sqlite3 from 'sqlite3';
import request from 'supertest';
import { DomainsService } from '../../src/mta-sts/services/domains.service';
import { ProvisioningService } from '../../src/mta-sts/services/provisioning.service';
import { FaultMounts } from '../support/mounts';
import { oneDomainFakes } from './helpers/pages-app';
import { Fakes, createModuleApp } from './helpers/provisioning-app';
import { TEST_DATABASE } from '../support/test-database';

const DOMAIN = 'example.com';
const TOKEN = 'storage-faults-token-0123456789';
const root = process.getuid?.() === 0;

/**
 * Storage faults made for real (as root): a database locked by another program, a data
 * directory remounted read-only, a file system that is full. Each change is refused with a
 * message that names the cause and what to do, nothing is half-written, and the policy
 * that was served keeps being served.
 */
describe.skipIf(!root)('Storage faults through the real MtaStsModule', () => {
  let dataDir: string;
  let fakes: Fakes;
  let app: INestApplication | undefined;
  const mounts = new FaultMounts();

  beforeEach(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'mta-sts-storage-'));
    fakes = oneDomainFakes(dataDir, DOMAIN);
  });

  afterEach(async () => {
    mounts.undo();
    await app?.close();
    app = undefined;
    rmSync(dataDir, { recursive: true, force: true });
  });

  async function activeApp(options: { busyTimeout?: number } = {}) {
    app = await createModuleApp(dataDir, fakes, { options: { apiToken: TOKEN }, busyTimeout: options.busyTimeout });
    await app.get(DomainsService).add(DOMAIN);
    await app.get(ProvisioningService).enable(DOMAIN);
    await app.get(ProvisioningService).settled(DOMAIN);
    const view = await app.get(DomainsService).get(DOMAIN);
    expect(view.state).toBe('active');
    return view;
  }

  const api = (method: 'get' | 'post', path: string, body?: object) =>
    request(app!.getHttpServer())[method](path).set('Authorization', `Bearer ${TOKEN}`).send(body);
  const policyFile = () => readFileSync(join(dataDir, 'policies', `${DOMAIN}.txt`), 'utf8');

  const readOnly = (dir: string) => mounts.readOnly(dir);

  it('answers 503 naming the read-only file system when the policy file cannot be written, and keeps serving the old policy', async () => {
    const before = await activeApp();
    const served = policyFile();
    readOnly(join(dataDir, 'policies'));
    const answer = await api('post', `/api/domains/${DOMAIN}/max-age`, { maxAge: 86_400 });
    expect(answer.status).toBe(503);
    expect(answer.body.message).toMatch(
      new RegExp(
        `^Saving failed: ${join(dataDir, 'policies')}/.+ is on a read-only file system\\. Make the data directory writable`,
      ),
    );
    expect(answer.body.message).toContain('what was serving keeps serving');
    expect(policyFile()).toBe(served);
    const after = (await api('get', `/api/domains/${DOMAIN}`)).body;
    expect([after.maxAge, after.servedPolicyId, after.state]).toEqual([before.maxAge, before.servedPolicyId, 'active']);
  });

  it('answers 503 naming the full disk when the policy file cannot be written, and the next attempt works once there is room', async () => {
    await activeApp();
    const served = policyFile();
    const policies = join(dataDir, 'policies');
    // A tiny file system of its own, holding the served policy and then filled up.
    mounts.small(policies, '16k');
    writeFileSync(join(policies, `${DOMAIN}.txt`), served);
    try {
      writeFileSync(join(policies, 'filler'), Buffer.alloc(64 * 1024));
    } catch {
      // full: what the test wants
    }
    const answer = await api('post', `/api/domains/${DOMAIN}/max-age`, { maxAge: 86_400 });
    expect(answer.status).toBe(503);
    expect(answer.body.message).toMatch(/^Saving failed: the disk holding .+ is full\. Free some space on it/);
    // The policies' disk is full, not the database's.
    expect(answer.body.message).not.toContain('mta-sts.sqlite');
    expect(policyFile()).toBe(served);
    rmSync(join(policies, 'filler'));
    expect((await api('post', `/api/domains/${DOMAIN}/max-age`, { maxAge: 86_400 })).status).toBe(200);
    expect(policyFile()).toContain('max_age: 86400');
  });

  it.skipIf(TEST_DATABASE !== 'sqlite')(
    'waits for a database locked by another program, then answers 503 naming the lock; nothing changes',
    async () => {
      const before = await activeApp({ busyTimeout: 1_000 });
      const other = new sqlite3.Database(join(dataDir, 'mta-sts.sqlite'));
      const run = (sql: string) =>
        new Promise<void>((resolve, reject) => other.run(sql, (error) => (error ? reject(error) : resolve())));
      await run('BEGIN IMMEDIATE');
      try {
        const started = Date.now();
        const answer = await api('post', `/api/domains/${DOMAIN}/max-age`, { maxAge: 86_400 });
        expect(Date.now() - started).toBeGreaterThanOrEqual(900);
        expect(answer.status).toBe(503);
        expect(answer.body.message).toBe(
          `Saving failed: the database ${join(dataDir, 'mta-sts.sqlite')} stayed locked by another program for 1 s (a backup, or an sqlite3 shell with an open transaction). Try again once it has finished. Nothing was changed, and what was serving keeps serving.`,
        );
      } finally {
        await run('ROLLBACK');
        await new Promise((resolve) => other.close(resolve));
      }
      const after = (await api('get', `/api/domains/${DOMAIN}`)).body;
      expect([after.maxAge, after.servedPolicyId]).toEqual([before.maxAge, before.servedPolicyId]);
      expect(policyFile()).toContain(`max_age: ${before.maxAge}`);
      expect((await api('post', `/api/domains/${DOMAIN}/max-age`, { maxAge: 86_400 })).status).toBe(200);
    },
  );

  it('creates the database and its journal files readable by the owner only', async () => {
    // The standalone panel prepares the file; a host panel owns its own database.
    const { prepareDatabaseFile } = await import('../../src/panel/database-file');
    const file = join(dataDir, 'panel.sqlite');
    prepareDatabaseFile(file);
    const db = new sqlite3.Database(file);
    await new Promise<void>((resolve, reject) =>
      db.exec('PRAGMA journal_mode = WAL; CREATE TABLE t (x); INSERT INTO t VALUES (1);', (error) =>
        error ? reject(error) : resolve(),
      ),
    );
    const modes = ['', '-wal', '-shm'].map((suffix) =>
      execFileSync('stat', ['-c', '%a', `${file}${suffix}`])
        .toString()
        .trim(),
    );
    await new Promise((resolve) => db.close(resolve));
    expect(modes).toEqual(['600', '600', '600']);
  });
});
