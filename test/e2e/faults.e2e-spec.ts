import { chmodSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as sqlite3 from 'sqlite3';
import { DomainView } from '../../src/mta-sts/services/domain-view';
import { Lab } from '../support/lab';
import { FaultMounts } from '../support/mounts';
import { Panel } from '../support/panel';

interface Answer {
  readonly status: number;
  /** The error the admin reads: the API's message, or the failed step's message. */
  readonly message: string;
}

/**
 * Faults made for real against the real panel, nginx, Pebble and dnsmasq: each is
 * injected, an action runs into it, and the test asserts that the error names the cause
 * and that the domain already enabled is served throughout, byte for byte. The fault is
 * then removed and the next action succeeds.
 */
describe('Faults against real services: what was served keeps being served, and the error names the cause', () => {
  const served = 'served.test';
  let lab: Lab;
  let panel: Panel;
  let policy: string;
  let servedRoot: string;
  const mounts = new FaultMounts();
  let next = 0;

  async function view(domain: string): Promise<DomainView> {
    return (await panel.api<DomainView>('GET', `/api/domains/${domain}`)).body;
  }

  /** A domain of its own for each Enable, with its records published. */
  async function freshDomain(): Promise<string> {
    const domain = `fault${++next}.test`;
    await lab.publishDomain(domain);
    const added = await panel.api<DomainView>('POST', '/api/domains', { domain });
    expect(added.status).toBe(201);
    return domain;
  }

  /** Enable, then wait for the outcome: the step's error when it failed. */
  async function enable(domain: string): Promise<Answer> {
    const started = await panel.api<{ message?: string }>('POST', `/api/domains/${domain}/enable`);
    if (started.status !== 202) return { status: started.status, message: started.body.message ?? '' };
    const settled = await panel.settle(domain);
    return { status: settled.state === 'active' ? 200 : 500, message: settled.error?.message ?? '' };
  }

  async function setMaxAge(maxAge: number): Promise<Answer> {
    const answer = await panel.api<{ message?: string }>('POST', `/api/domains/${served}/max-age`, { maxAge });
    return { status: answer.status, message: answer.body.message ?? '' };
  }

  /** The policy as a sender fetches it, trusting the CA that issued its certificate (Pebble's root changes at a restart). */
  async function fetchPolicy(): Promise<{ status: number; body: string }> {
    const { status, body } = await lab.fetchHttps(`mta-sts.${served}`, '/.well-known/mta-sts.txt', servedRoot);
    return { status, body };
  }

  async function expectStillServed(): Promise<void> {
    expect(await fetchPolicy()).toEqual({ status: 200, body: policy });
  }

  const readOnly = (dir: string) => mounts.readOnly(dir);
  const unmountAll = () => mounts.undo();

  const pid = (file: string) => Number(readFileSync(file, 'utf8').trim());

  beforeAll(async () => {
    lab = await Lab.start({ dns: {} });
    panel = await Panel.start(lab.env({ MTA_STS_SMTP_PROBE: 'false' }));
    await lab.publishDomain(served);
    const added = await panel.api<DomainView>('POST', '/api/domains', { domain: served });
    for (const record of added.body.records.filter((candidate) => candidate.type === 'TXT')) {
      await lab.dnsmasq.update({ txt: { [record.name]: [record.value] } });
    }
    await panel.api('POST', `/api/domains/${served}/enable`);
    const enabled = await panel.settle(served);
    if (enabled.state !== 'active') throw new Error(`enabling ${served} failed: ${JSON.stringify(enabled.error)}`);
    policy = enabled.policy!.text;
    servedRoot = readFileSync(lab.pebble.rootFile, 'utf8');
    await expectStillServed();
  }, 120_000);

  afterEach(async () => {
    unmountAll();
    await expectStillServed();
  });

  afterAll(async () => {
    unmountAll();
    await panel?.close();
    await lab?.stop();
  });

  it('nginx refuses the configuration (another site on the server is broken)', async () => {
    const broken = join(lab.nginx.sitesDir, 'zz-other-site.conf');
    writeFileSync(broken, 'this_is_not_a_directive;\n');
    try {
      const answer = await enable(await freshDomain());
      expect(answer.message).toMatch(
        /nginx rejected the new configuration \(nginx -t failed\); the previous configuration is still serving/,
      );
      expect(answer.message).toContain('unknown directive "this_is_not_a_directive"');
      await expectStillServed();
      // Monitoring sees it too: /healthz names nginx's problem.
      const health = await fetch(`${panel.url}/healthz`);
      expect(health.status).toBe(503);
      const report = (await health.json()) as { nginx: { ok: boolean; problem: string }; database: { ok: boolean } };
      expect(report.database.ok).toBe(true);
      expect(report.nginx.ok).toBe(false);
      expect(report.nginx.problem).toMatch(
        /^nginx -t fails: unknown directive "this_is_not_a_directive" in .+zz-other-site\.conf:1/,
      );
    } finally {
      rmSync(broken);
    }
  });

  it('another site on the server is already the default_server on 443', async () => {
    const other = join(lab.nginx.sitesDir, 'zz-shop.conf');
    writeFileSync(
      other,
      `server {\n    listen ${lab.address}:${lab.ports.https} ssl default_server;\n    ssl_reject_handshake on;\n}\n`,
    );
    try {
      const answer = await enable(await freshDomain());
      expect(answer.message).toContain(
        `Another server block is already the default_server for ${lab.address}:${lab.ports.https} (${other}:2). Set MTA_STS_NGINX_REJECT_UNKNOWN_SNI=false`,
      );
      await expectStillServed();
    } finally {
      rmSync(other);
    }
  });

  it('nginx’s workers cannot traverse the ACME webroot: Enable names the directory, not the include', async () => {
    const domain = await freshDomain();
    const webroot = join(lab.dataDir, 'webroot');
    chmodSync(webroot, 0o700);
    try {
      const answer = await enable(domain);
      expect(answer.message).toContain(
        `permission denied on ${webroot} (mode 0700). Make it traversable (chmod o+x ${webroot})`,
      );
      expect(answer.message).not.toContain('includes');
    } finally {
      chmodSync(webroot, 0o755);
    }
  });

  it('the certificate authority is down', async () => {
    await lab.pebble.stop();
    try {
      const answer = await enable(await freshDomain());
      expect(answer.message).toMatch(
        /^The certificate authority could not be reached at https:\/\/127\.0\.0\.1:\d+\/\S* \(connection refused\)\./,
      );
      await expectStillServed();
    } finally {
      await lab.pebble.restart();
    }
  });

  it('the certificate authority forgot the ACME account (a CA reset): registered again, audited', async () => {
    await lab.pebble.restart();
    const domain = await freshDomain();
    expect(await enable(domain)).toEqual({ status: 200, message: '' });
    const { actions } = (
      await panel.api<{ actions: Array<{ action: string; detail: string }> }>('GET', `/api/domains/${domain}/actions`)
    ).body;
    expect(actions.find((action) => action.action === 'acme-account')?.detail).toMatch(
      /no longer knew the ACME account/,
    );
  });

  it('the policy host does not point at this server', async () => {
    const domain = await freshDomain();
    await lab.dnsmasq.update({ hosts: { [`mta-sts.${domain}`]: ['192.0.2.99'] } });
    const answer = await enable(domain);
    expect(answer.message).toContain(`mta-sts.${domain}`);
    expect(answer.message).toContain('192.0.2.99');
  });

  it('the DNS server is down: the checks say so and change nothing that is served', async () => {
    await lab.dnsmasq.stop();
    try {
      const checked = await panel.api<DomainView>('POST', `/api/domains/${served}/checks`);
      expect(checked.status).toBe(200);
      const dns = checked.body.checks.find((check) => check.check === 'dns')!;
      expect(dns.status).toBe('fail');
      expect(dns.summary).toMatch(/ECONNREFUSED|ETIMEOUT|could not|failed/i);
      expect(checked.body.state).toBe('active');
      await expectStillServed();
    } finally {
      await lab.dnsmasq.update({});
    }
  });

  it('the DNS server is frozen: Add answers with the look-up failure, nothing is stored', async () => {
    const dnsPid = pid(join(lab.dir, 'dnsmasq.pid'));
    process.kill(dnsPid, 'SIGSTOP');
    try {
      const answer = await panel.api<{ message?: string }>('POST', '/api/domains', { domain: 'frozen.test' });
      expect(answer.status).not.toBe(201);
      expect(answer.body.message ?? '').toMatch(/MX|DNS|look/i);
      await expectStillServed();
    } finally {
      process.kill(dnsPid, 'SIGCONT');
    }
    expect((await panel.api('GET', '/api/domains/frozen.test')).status).toBe(404);
  });

  it('the policy directory is read-only: a max_age change is refused naming it', async () => {
    readOnly(join(lab.dataDir, 'policies'));
    const answer = await setMaxAge(86_400);
    expect(answer.status).toBe(503);
    expect(answer.message).toMatch(/is on a read-only file system\. Make the data directory writable/);
    expect((await view(served)).maxAge).toBe(604_800);
  });

  it('the disk holding the policies is full: a max_age change is refused naming it', async () => {
    const dir = join(lab.dataDir, 'policies');
    const saved = readFileSync(join(dir, `${served}.txt`));
    mounts.small(dir, '16k');
    writeFileSync(join(dir, `${served}.txt`), saved);
    try {
      writeFileSync(join(dir, 'filler'), Buffer.alloc(64 * 1024));
    } catch {
      // full now
    }
    const answer = await setMaxAge(86_400);
    expect(answer.status).toBe(503);
    expect(answer.message).toMatch(/the disk holding .+ is full\. Free some space on it/);
    // The policies' disk is full, not the database's.
    expect(answer.message).not.toContain('mta-sts.sqlite');
  });

  it('the database is locked by another program: a change waits, then is refused naming the lock', async () => {
    const other = new sqlite3.Database(join(lab.dataDir, 'mta-sts.sqlite'));
    const run = (sql: string) =>
      new Promise<void>((resolve, reject) => other.run(sql, (error) => (error ? reject(error) : resolve())));
    await run('BEGIN IMMEDIATE');
    try {
      const answer = await setMaxAge(86_400);
      expect(answer.status).toBe(503);
      expect(answer.message).toMatch(/mta-sts\.sqlite stayed locked by another program for 5 s/);
    } finally {
      await run('ROLLBACK');
      await new Promise((resolve) => other.close(resolve));
    }
    expect((await view(served)).maxAge).toBe(604_800);
  }, 30_000);

  it('the nginx sites directory is read-only: Enable stops naming it', async () => {
    const domain = await freshDomain();
    readOnly(lab.nginx.sitesDir);
    const answer = await enable(domain);
    expect(answer.message).toMatch(/read-only file system/);
    expect(answer.message).toContain(lab.nginx.sitesDir);
  });

  it('the ACME challenge directory is read-only: Enable stops before ordering, naming it', async () => {
    const domain = await freshDomain();
    readOnly(join(lab.dataDir, 'webroot', '.well-known', 'acme-challenge'));
    const answer = await enable(domain);
    expect(answer.message).toMatch(/read-only file system/);
    expect(answer.message).toContain('acme-challenge');
  });

  it('the policy file is deleted behind the panel’s back: start-up writes it again', async () => {
    rmSync(join(lab.dataDir, 'policies', `${served}.txt`));
    expect((await fetchPolicy()).status).toBe(404);
    await panel.close();
    panel = await Panel.start(lab.env({ MTA_STS_SMTP_PROBE: 'false' }));
    await expectStillServed();
  });

  it('nginx was stopped: Enable stops naming nginx, and the next start serves everything again', async () => {
    const domain = await freshDomain();
    await lab.nginx.stop();
    try {
      const answer = await enable(domain);
      expect(answer.message).toMatch(/nginx/);
    } finally {
      await lab.nginx.start();
    }
    expect(await enable(domain)).toEqual({ status: 200, message: '' });
  });
});
