import 'reflect-metadata';
import { appendFileSync, mkdirSync, mkdtempSync, renameSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FetchActivity } from '../../src/mta-sts/services/fetch-activity';
import { PolicyFetches } from '../../src/mta-sts/ports/policy-fetches.port';
import { oneDomainFakes } from './helpers/pages-app';
import { TestApp, createTestApp } from './helpers/provisioning-app';

const DOMAIN = 'example.com';
/** 2026-11-26 00:00:00 UTC. */
const DAY = 1_795_651_200;

const line = (offsetSeconds: number, address: string, status = 200, host = `mta-sts.${DOMAIN}`) =>
  `${DAY + offsetSeconds}.123 ${host} ${address} ${status}\n`;

/** Fetch activity from a real log file through the real module and SQLite; DNS is a fake. */
describe('Reading policy fetches from the nginx log', () => {
  let dataDir: string;
  let log: string;
  let app: TestApp;

  const start = async () => {
    const fakes = oneDomainFakes(dataDir, DOMAIN);
    fakes.dns.ptr.set('209.85.220.41', ['mail-sor-f41.google.com']);
    fakes.dns.addresses.set('mail-sor-f41.google.com', { 4: ['209.85.220.41'], 6: [] });
    // Claims to be Google, but the name does not lead back to the address.
    fakes.dns.ptr.set('198.51.100.9', ['mail.google.com']);
    fakes.dns.addresses.set('mail.google.com', { 4: ['142.250.1.1'], 6: [] });
    app = await createTestApp(dataDir, fakes, { options: { reports: { fetchLog: log } } });
  };
  const ingest = () => app.app.get(FetchActivity).ingest();
  const days = () => app.app.get(PolicyFetches).days(DOMAIN, '2026-01-01');

  beforeEach(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'mta-sts-fetches-'));
    mkdirSync(join(dataDir, 'logs'));
    log = join(dataDir, 'logs', 'policy-fetches.log');
    await start();
    await app.domains.add(DOMAIN, 'alice');
  });

  afterEach(async () => {
    await app.app.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('counts fetches per day and distinct fetchers, for served domains only, and names confirmed senders', async () => {
    writeFileSync(
      log,
      [
        line(10, '209.85.220.41'),
        line(20, '209.85.220.41'),
        line(30, '198.51.100.9'),
        line(40, '198.51.100.9', 404),
        line(86_400 + 5, '209.85.220.41'),
        line(50, '192.0.2.99', 200, 'mta-sts.not-served.test'),
        'garbage that is not a fetch line\n',
      ].join(''),
    );
    expect(await ingest()).toEqual({ counted: 5, skipped: 2, named: 2 });
    expect(await days()).toEqual([
      { day: '2026-11-26', fetches: 4, failures: 1, fetchers: 2 },
      { day: '2026-11-27', fetches: 1, failures: 0, fetchers: 1 },
    ]);
    expect(await app.app.get(PolicyFetches).fetchers(DOMAIN, '2026-01-01', 10)).toEqual([
      { address: '209.85.220.41', fetches: 3, lastDay: '2026-11-27', ptr: 'mail-sor-f41.google.com', sender: 'Google' },
      { address: '198.51.100.9', fetches: 2, lastDay: '2026-11-26', ptr: null, sender: null },
    ]);
    // Named once: the next run looks up nobody again.
    appendFileSync(log, line(60, '209.85.220.41'));
    expect(await ingest()).toEqual({ counted: 1, skipped: 0, named: 0 });
  });

  it('never counts a line twice, across runs and a restart, and waits for a line nginx has not finished', async () => {
    writeFileSync(log, line(10, '192.0.2.1') + line(11, '192.0.2.1'));
    await ingest();
    appendFileSync(log, line(12, '192.0.2.1') + `${DAY + 13}.1 mta-sts.${DOMAIN} 192.0`);
    await ingest();
    expect((await days())[0].fetches).toBe(3);

    await app.app.close();
    await start();
    appendFileSync(log, '.2.1 200\n');
    expect(await ingest()).toMatchObject({ counted: 1 });
    expect(await days()).toEqual([{ day: '2026-11-26', fetches: 4, failures: 0, fetchers: 1 }]);
  });

  it('reads a rotated log to its end before the new one, and a truncated one from its start', async () => {
    writeFileSync(log, line(10, '192.0.2.1'));
    await ingest();
    // logrotate: the file moves to .1, nginx writes a little more there, then reopens.
    appendFileSync(log, line(11, '192.0.2.2'));
    renameSync(log, `${log}.1`);
    appendFileSync(`${log}.1`, line(12, '192.0.2.3'));
    writeFileSync(log, line(13, '192.0.2.4'));
    expect(await ingest()).toMatchObject({ counted: 3 });
    expect(await days()).toEqual([{ day: '2026-11-26', fetches: 4, failures: 0, fetchers: 4 }]);

    // copytruncate: the same file, emptied and written again.
    truncateSync(log, 0);
    appendFileSync(log, line(14, '192.0.2.5'));
    expect(await ingest()).toMatchObject({ counted: 1 });
    expect((await days())[0]).toMatchObject({ fetches: 5, fetchers: 5 });
  });

  it('reads nothing and fails nothing when there is no log yet', async () => {
    expect(await ingest()).toEqual({ counted: 0, skipped: 0, named: 0 });
  });
});
