import { execFile } from 'node:child_process';
import { existsSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import * as tar from 'tar';
import { Lab, freePort } from '../support/lab';
import { apiRequest } from '../support/panel';
import { Service, waitFor } from '../support/processes';

const ROOT = join(__dirname, '..', '..');
const MAIN = join(ROOT, 'dist', 'main.js');
const COMMAND = join(ROOT, 'dist', 'panel', 'backup-command.js');
const execFileAsync = promisify(execFile);

interface View {
  readonly state: string;
  readonly policy: { readonly id: string; readonly text: string };
  readonly certificate: { readonly notBefore: string; readonly notAfter: string } | null;
}

/**
 * Backup and restore as an admin runs them (`node dist/panel/backup-command.js`): a copy
 * taken while the panel runs and works, then a restore onto a fresh machine (an empty
 * data directory, nginx with no site of the module's) that ends with every domain served
 * again by the lab's nginx, with its certificate and policy, and accepted by mta-sts-query.
 */
describe('Backup and restore', () => {
  const domains = ['kept.test', 'also-kept.test'];
  let lab: Lab;
  let port: number;
  let panel: Service | undefined;
  let archive: string;
  let freshDataDir: string;
  const before = new Map<string, View>();

  const env = (dataDir: string) => ({
    ...lab.env({ MTA_STS_SMTP_PROBE: 'false' }),
    MTA_STS_DATA_DIR: dataDir,
    PORT: String(port),
  });
  const api = <T>(method: string, path: string, body?: unknown) =>
    apiRequest<T>(`http://127.0.0.1:${port}`, lab.apiToken, method, path, body);

  async function startPanel(dataDir: string): Promise<void> {
    panel = Service.start('panel', process.execPath, [MAIN], join(lab.dir, `panel-${Date.now()}.log`), env(dataDir));
    await waitFor('the panel to listen', async () => (await api('GET', '/api/domains')).status === 200, 30_000);
  }

  async function command(dataDir: string, ...args: string[]): Promise<{ code: number; out: string }> {
    try {
      const { stdout } = await execFileAsync(process.execPath, [COMMAND, ...args], {
        env: { ...process.env, ...env(dataDir) },
      });
      return { code: 0, out: stdout };
    } catch (error) {
      const failed = error as { code: number; stdout: string; stderr: string };
      return { code: failed.code, out: `${failed.stdout}${failed.stderr}` };
    }
  }

  async function settle(domain: string): Promise<View> {
    let view: View | undefined;
    await waitFor(
      `${domain} to be active`,
      async () => {
        view = (await api<View>('GET', `/api/domains/${domain}`)).body;
        return view.state !== 'provisioning';
      },
      60_000,
    );
    return view!;
  }

  beforeAll(async () => {
    lab = await Lab.start({ dns: {} });
    port = await freePort();
    archive = join(lab.dir, 'mta-sts-backup.tar.gz');
    freshDataDir = join(lab.dir, 'new-machine', 'mta-sts');
    for (const domain of domains) await lab.publishDomain(domain);
    await startPanel(lab.dataDir);
    for (const domain of domains) {
      const added = await api<View>('POST', '/api/domains', { domain });
      await lab.dnsmasq.update({ txt: { [`_mta-sts.${domain}`]: [`v=STSv1; id=${added.body.policy.id}`] } });
      expect((await api('POST', `/api/domains/${domain}/enable`)).status).toBe(202);
      const view = await settle(domain);
      expect(view.state).toBe('active');
      before.set(domain, view);
    }
  }, 120_000);

  afterAll(async () => {
    await panel?.stop();
    await lab?.stop();
  });

  it('takes a consistent copy while the panel runs its checks, 0600, with keys and no challenge files', async () => {
    const [sweep, backup] = await Promise.all([api('POST', '/api/checks'), command(lab.dataDir, 'backup', archive)]);
    expect(sweep.status).toBe(200);
    expect(backup).toEqual({ code: 0, out: expect.stringContaining('2 active') });
    expect(backup.out).toContain('It holds private keys');
    expect(statSync(archive).mode & 0o777).toBe(0o600);

    const entries: string[] = [];
    await tar.list({ file: archive, onReadEntry: (entry) => entries.push(entry.path) });
    expect(entries).toContain('manifest.json');
    expect(entries).toContain('mta-sts.sqlite');
    for (const domain of domains) {
      expect(entries).toContain(`certs/${domain}/certificate.pem`);
      expect(entries).toContain(`policies/${domain}.txt`);
    }
    expect(entries.filter((entry) => entry.startsWith('webroot'))).toEqual([]);

    // A second backup never overwrites the first.
    expect(await command(lab.dataDir, 'backup', archive)).toEqual({
      code: 1,
      out: expect.stringContaining('already exists'),
    });
  });

  it('restores onto a fresh machine, and every domain is served again with its certificate and policy', async () => {
    await panel!.stop();
    // The fresh machine: nginx without the module's sites, an empty data directory.
    await lab.nginx.stop();
    for (const file of readdirSync(lab.nginx.sitesDir)) rmSync(join(lab.nginx.sitesDir, file));
    await lab.nginx.start();
    await expect(lab.fetchHttps(`mta-sts.${domains[0]}`, '/.well-known/mta-sts.txt')).rejects.toThrow();

    const restored = await command(freshDataDir, 'restore', archive);
    expect(restored.code).toBe(0);
    expect(restored.out).toContain(
      `writes the nginx sites of 2 serving domain(s) again: ${[...domains].sort().join(', ')}`,
    );
    expect(statSync(join(freshDataDir, 'mta-sts.sqlite')).mode & 0o777).toBe(0o600);

    await startPanel(freshDataDir);
    for (const domain of domains) {
      const view = (await api<View>('GET', `/api/domains/${domain}`)).body;
      expect(view.state).toBe('active');
      expect(view.policy.id).toBe(before.get(domain)!.policy.id);
      // The same certificate: nothing was asked of the CA.
      expect(view.certificate).toEqual(before.get(domain)!.certificate);
      const served = await lab.fetchHttps(`mta-sts.${domain}`, '/.well-known/mta-sts.txt');
      expect(served.status).toBe(200);
      expect(served.body).toBe(view.policy.text);
      const query = await lab.mtaStsQuery(domain);
      expect(query).toContain('VALID');
    }
    expect(existsSync(join(freshDataDir, '.restored'))).toBe(false);
  }, 90_000);

  it('refuses to restore under a running panel or over a database without --force, and changes nothing', async () => {
    const running = await command(freshDataDir, 'restore', archive);
    expect(running.code).toBe(1);
    expect(running.out).toContain('Stop it first');
    await panel!.stop();

    const occupied = await command(freshDataDir, 'restore', archive);
    expect(occupied.code).toBe(1);
    expect(occupied.out).toContain('--force');

    const forced = await command(freshDataDir, 'restore', archive, '--force');
    expect(forced.code).toBe(0);
    const aside = /What was there before is in (\S+)\./.exec(forced.out)?.[1];
    expect(aside).toBeDefined();
    expect(existsSync(join(aside!, 'mta-sts.sqlite'))).toBe(true);

    // A panel on PostgreSQL: this command would copy everything but the database, so it refuses.
    const refused = await execFileAsync(process.execPath, [COMMAND, 'backup', join(lab.dir, 'never.tar.gz')], {
      env: { ...process.env, ...env(freshDataDir), MTA_STS_DATABASE_URL: 'postgres://mta_sts@127.0.0.1:1/mta_sts' },
    }).catch((error: { code: number; stderr: string }) => error);
    expect('code' in refused && refused.code).toBe(1);
    expect('stderr' in refused && refused.stderr).toContain('pg_dump');
    expect(existsSync(join(lab.dir, 'never.tar.gz'))).toBe(false);

    const notAnArchive = await command(freshDataDir, 'restore', join(lab.dir, 'nginx', 'nginx.conf'), '--force');
    expect(notAnArchive.code).toBe(1);
    expect(notAnArchive.out).toMatch(/is not a (backup archive|backup of this panel)/);
    expect(existsSync(join(freshDataDir, 'mta-sts.sqlite'))).toBe(true);
  }, 60_000);
});
