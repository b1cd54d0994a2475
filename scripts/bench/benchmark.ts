/**
 * The scale benchmark: N synthetic active domains (DNS in Knot DNS, policy files, nginx
 * sites, certificates from an in-memory CA), the standalone panel built in dist/ running
 * as a child process, and the figures the README's "Scale" section reports.
 */
import { PostgresServer } from '../../test/support/postgres';
import { ChildProcess, spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { Resolver } from 'node:dns/promises';
import { request as httpRequest } from 'node:http';
import { RequestOptions, request as httpsRequest } from 'node:https';
import { ConnectionOptions, SecureContext, createSecureContext } from 'node:tls';
import { join } from 'node:path';
import { DataSource, DataSourceOptions } from 'typeorm';
import { NginxLayout } from '../../src/mta-sts/mta-sts.options';
import { renewalDueFromLifetime } from '../../src/mta-sts/domain/renewal';
import { NO_POLICY_IDENTITY, nextPolicyIdentity } from '../../src/mta-sts/domain/policy-id';
import { describeCertificate } from '../../src/mta-sts/domain/certificate';
import { CHECKS_USER_AGENT } from '../../src/mta-sts/adapters/node-http.client';
import { MTA_STS_ENTITIES, MTA_STS_MIGRATIONS, MtaStsDomainEntity } from '../../src/mta-sts/persistence';
import { freePort, Lab } from '../../test/support/lab';
import { execFileAsync, waitFor } from '../../test/support/processes';
import { TestCa } from '../../test/support/test-ca';
import { UpdateServer } from '../../test/support/authoritative-dns';
import {
  childrenOf,
  runQueueSecondsOf,
  cpuOf,
  cpuSecondsOf,
  machineCpuSeconds,
  memoryOf,
  percentile,
  pool,
  threadCpuOf,
  threadCpuSpent,
  timed,
} from './measure';
import { panelStart } from '../panel-start';
import { reloadNginx, writeSites } from './sites';

export interface BenchmarkOptions {
  readonly size: number;
  /** nginx layout of the generated domains and of the panel. @default 'shared' */
  readonly layout?: NginxLayout;
  /** Domains checked at once, by the panel and by the baseline alike. */
  readonly concurrency: number;
  /** Page renders timed per page. */
  readonly renders: number;
  /**
   * Domains enabled one after another once the sweep is done, after one untimed (its first
   * Enable compiles the panel's code for it); the median is reported. @default 25
   */
  readonly enables?: number;
  /** Sweep and baseline rounds. @default 9 up to 1,000 domains (short runs vary most), 5 up to 10,000, 3 above (a single turn of a long sweep moved by a tenth between runs) */
  readonly rounds?: number;
  /** The panel's database: SQLite in the data directory (the default), or a private PostgreSQL. */
  readonly database?: 'sqlite' | 'postgres';
  readonly log?: (line: string) => void;
}

export interface BenchmarkResult {
  readonly size: number;
  readonly database: 'sqlite' | 'postgres';
  readonly layout: NginxLayout;
  readonly concurrency: number;
  readonly setupSeconds: number;
  /** From starting the panel's process until its API answers. */
  readonly startSeconds: number;
  /** Sweeps and baselines measured, in turns; the figures below are their medians. */
  readonly rounds: number;
  readonly sweepSeconds: number;
  readonly sweepFailed: number;
  readonly baselineSeconds: number;
  /**
   * The median over the turns of each sweep's time over the baseline run right after it:
   * the machine's load moves both of a turn alike, so a slow minute does not move the ratio.
   */
  readonly sweepRatio: number;
  /** CPU seconds (user + system) of the panel's process during the sweep. */
  readonly sweepCpuSeconds: number;
  /** CPU seconds of the baseline (this process) doing the same network work. */
  readonly baselineCpuSeconds: number;
  readonly enableSeconds: number;
  /**
   * Whether the enables reloaded nginx: in the shared layout they should not, as the
   * laboratory runs the files the panel writes; a per-domain site is a new file.
   */
  readonly enablesReloadedNginx: boolean;
  readonly nginxMasterMb: number;
  readonly nginxWorkerMb: number;
  readonly nginxReloadSeconds: number;
  readonly listP50: number;
  readonly listP95: number;
  readonly cardP50: number;
  readonly cardP95: number;
  readonly panelPeakMb: number;
}

const ZONE = 'bench.test';
/** Domains the baseline checks before it is timed (the panel has swept them all by then). */
const WARM_UP_DOMAINS = 100;
const MX = `mx.${ZONE}`;
const newDomain = (index: number) => `new${index}.bench.test`;
const domainName = (index: number) => `d${String(index).padStart(6, '0')}.bench.test`;

function httpJson(url: string, init: RequestInit = {}): Promise<Response> {
  return fetch(url, { ...init, redirect: 'manual' });
}

/**
 * POST without a time limit, for the sweep, which answers when it is done: `fetch` gives up
 * on an answer after five minutes (undici's headers timeout), a 100,000-domain sweep takes longer.
 */
function postAndWait(url: string, headers: Record<string, string>): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method: 'POST', headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        if (res.statusCode !== 200 && res.statusCode !== 201)
          reject(new Error(`${url} answered ${res.statusCode}: ${body}`));
        else resolve(JSON.parse(body));
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

/**
 * GET https://mta-sts.<domain>/.well-known/mta-sts.txt with SNI, as the sweep's HTTPS check
 * does, as cheaply as Node allows: a secure context made once and reused.
 */
function fetchPolicy(address: string, port: number, host: string, trust: SecureContext): Promise<number> {
  return new Promise((resolve, reject) => {
    // https passes tls.connect's options through; its typings do not list `secureContext`.
    const options: RequestOptions & ConnectionOptions = {
      host: address,
      port,
      path: '/.well-known/mta-sts.txt',
      servername: host,
      // The checks' User-Agent: the fetch log marks these lines as the panel's, as it does the sweep's.
      headers: { Host: host, 'User-Agent': CHECKS_USER_AGENT },
      // One secure context for every request: no trust store built per handshake.
      secureContext: trust,
      agent: false,
      timeout: 10_000,
    };
    const req = httpsRequest(options, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.end();
  });
}

interface ProbeReport {
  readonly delayMs: { readonly p50: number; readonly p99: number; readonly max: number };
  readonly gc: Record<string, { readonly count: number; readonly ms: number }>;
  readonly heapUsedMb: number;
}

/** Asks the probe in the panel (panel-probe.cjs) for its figures since the last time, and resets them. */
function readProbe(panel: ChildProcess): Promise<ProbeReport> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the panel probe did not answer')), 5000);
    const onMessage = (message: { probe?: ProbeReport }) => {
      if (!message.probe) return;
      clearTimeout(timer);
      panel.off('message', onMessage);
      resolve(message.probe);
    };
    panel.on('message', onMessage);
    panel.send('probe');
  });
}

function describeProbe(report: ProbeReport): string {
  const gc = Object.entries(report.gc)
    .map(([kind, { count, ms }]) => `${kind} ${count} × (${ms.toFixed(0)} ms)`)
    .join(', ');
  return `event-loop delay p50 ${report.delayMs.p50} ms, p99 ${report.delayMs.p99} ms, max ${report.delayMs.max} ms; garbage collection: ${gc || 'none'}; heap in use ${report.heapUsedMb} MB`;
}

/** The rows of a table, read beside the running panel (on SQLite, WAL lets a reader in). */
async function countRows(connection: DataSourceOptions, table: string): Promise<number> {
  const database = new DataSource(connection);
  await database.initialize();
  try {
    const [row] = (await database.query(`SELECT COUNT(*) AS n FROM ${table}`)) as { n: number }[];
    return row.n;
  } finally {
    await database.destroy();
  }
}

export async function runBenchmark(options: BenchmarkOptions): Promise<BenchmarkResult> {
  const log = options.log ?? (() => undefined);
  const { size, concurrency } = options;
  const nginxLayout = options.layout ?? 'shared';
  const setupStarted = Date.now();
  const names = Array.from({ length: size }, (_, index) => domainName(index));
  const identity = nextPolicyIdentity(NO_POLICY_IDENTITY, { mode: 'testing', mx: [MX], maxAge: 604_800 }, new Date());
  const policy = { id: identity.policyId!, text: identity.policyText! };

  log(`[${size}] starting dnsmasq, Pebble and nginx`);
  const lab = await Lab.start({ dns: {} });
  let panel: ChildProcess | undefined;
  let knot: UpdateServer | undefined;
  let postgres: PostgresServer | undefined;
  try {
    const ca = await TestCa.create('Bench CA');
    const caFile = join(lab.dir, 'bench-ca.pem');
    writeFileSync(caFile, ca.certificatePem);
    log(`[${size}] writing ${size} policies, certificates and nginx sites (${nginxLayout} layout)`);
    const rows: Partial<MtaStsDomainEntity>[] = [];
    const layout = await writeSites(lab, nginxLayout, names, ca, policy.text, (name, certificatePem) => {
      const info = describeCertificate(certificatePem);
      rows.push({
        name, state: 'active', badge: 'active', mode: 'testing', maxAge: 604_800, mx: [MX], mxProblem: null,
        ...identity, servedPolicyId: policy.id, certIssuer: info.issuer, certNotBefore: info.notBefore, certNotAfter: info.notAfter,
        certDirectoryUrl: lab.pebble.directoryUrl, enabledAt: new Date(), renewAfter: renewalDueFromLifetime(info.notBefore, info.notAfter),
        renewFailures: 0, reissues: [],
        // Already announced in DNS, as on a server that has been running for a while.
        policyPublishedAt: new Date(), policyVisibleAt: new Date(), largestMaxAgeServed: 604_800,
      }); // prettier-ignore
    });
    const databaseKind = options.database ?? 'sqlite';
    if (databaseKind === 'postgres') {
      log(`[${size}] starting a private PostgreSQL`);
      postgres = await PostgresServer.start();
    }
    const connection: DataSourceOptions = postgres
      ? { type: 'postgres', url: await postgres.createDatabase('bench') }
      : { type: 'sqlite', database: layout.databaseFile, enableWAL: true };
    const database = new DataSource({ ...connection, entities: MTA_STS_ENTITIES, migrations: MTA_STS_MIGRATIONS });
    await database.initialize();
    await database.runMigrations();
    await database.getRepository(MtaStsDomainEntity).save(rows, { chunk: 500 });
    await database.destroy();

    log(`[${size}] serving ${size * 4} DNS records from Knot DNS`);
    const enables = Math.max(1, options.enables ?? 25);
    // One more than timed: the first Enable of a panel compiles its code.
    const added = Array.from({ length: enables + 1 }, (_, index) => newDomain(index));
    // Knot DNS serves the zone from a file it indexes, so a query costs the same at any
    // size (dnsmasq scans its lists per query). The panel and the baseline ask it directly;
    // dnsmasq forwards the zone to it for Pebble's look-ups.
    const records = [`${MX}. IN A ${lab.address}`];
    for (const name of added) records.push(`mta-sts.${name}. IN A ${lab.address}`, `${name}. IN MX 10 ${MX}.`);
    for (const name of names) {
      records.push(
        `mta-sts.${name}. IN A ${lab.address}`,
        `${name}. IN MX 10 ${MX}.`,
        `_mta-sts.${name}. IN TXT "v=STSv1; id=${policy.id}"`,
        `_smtp._tls.${name}. IN TXT "v=TLSRPTv1; rua=mailto:tls-reports@${name}"`,
      );
    }
    knot = await UpdateServer.start('knot', ZONE, { address: lab.address, records });
    const dnsServer = `${knot.address}:${knot.port}`;
    await lab.dnsmasq.update({ forward: { [ZONE]: `${knot.address}#${knot.port}` } });

    log(`[${size}] loading ${size} sites into nginx`);
    const master = await reloadNginx(lab);
    const workers = childrenOf(master);
    const nginxMasterMb = memoryOf(master).rssMb;
    const nginxWorkerMb = Math.max(...workers.map((pid) => memoryOf(pid).rssMb));
    // A second reload, now that the configuration is warm, is what every change pays.
    const secondReload = await timed(() => reloadNginx(lab));
    const setupSeconds = (Date.now() - setupStarted) / 1000;

    log(`[${size}] starting the panel`);
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    const env = {
      ...process.env,
      ...lab.env({
        PORT: String(port),
        MTA_STS_CHECK_CA_FILE: caFile,
        MTA_STS_CHECK_CONCURRENCY: String(concurrency),
        MTA_STS_NGINX_LAYOUT: nginxLayout,
        MTA_STS_DNS_SERVERS: dnsServer,
        ...(connection.type === 'postgres' ? { MTA_STS_DATABASE_URL: connection.url! } : {}),
      }),
    };
    // BENCH_NODE_OPTIONS, e.g. --cpu-prof, lets a profile of the panel be taken during the run.
    const nodeOptions = (process.env.BENCH_NODE_OPTIONS ?? '').split(' ').filter(Boolean);
    const start = panelStart();
    // The probe reports the panel's event-loop delay and garbage collections per sweep.
    const probe = ['--require', join(__dirname, 'panel-probe.cjs')];
    panel = spawn(process.execPath, [...start.nodeOptions, ...probe, ...nodeOptions, start.script], {
      env,
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    });
    const auth = { Authorization: `Bearer ${lab.apiToken}` };
    const spawned = process.hrtime.bigint();
    await waitFor(
      'the panel to listen',
      async () => (await httpJson(`${base}/api/domains/${names[0]}`, { headers: auth })).status === 200,
      60_000,
    );
    const startSeconds = Number(process.hrtime.bigint() - spawned) / 1e9;

    // As on a server that has been running: the panel has swept every domain before, so its
    // code is compiled and each domain has stored results, which the measured sweeps replace
    // (recording an event only where a status changes). The baseline is warmed below.
    log(`[${size}] the previous sweep (not timed): every domain checked once`);
    const previous = (await postAndWait(`${base}/api/checks`, auth)) as { failed: number };
    if (previous.failed > 0) throw new Error(`the previous sweep failed for ${previous.failed} domains`);
    const warmUp = names.slice(0, WARM_UP_DOMAINS);
    // The lab's CPU is logged beside the panel's, so a lab at its limit shows.
    const labPids = () => [...childrenOf(master), knot!.pid];
    const labCpu = () => labPids().reduce((sum, pid) => sum + cpuSecondsOf(pid), 0);
    const resolver = new Resolver({ timeout: 3000, tries: 2 });
    resolver.setServers([dnsServer]);
    const trust = createSecureContext({ ca: ca.certificatePem });
    const baselineCheck = async (name: string) => {
      const host = `mta-sts.${name}`;
      const [a] = await Promise.all([
        resolver.resolve4(host),
        resolver.resolve6(host).catch(() => []),
        resolver.resolveTxt(`_mta-sts.${name}`),
        resolver.resolveTxt(`_smtp._tls.${name}`),
        resolver.resolveMx(name),
      ]);
      await fetchPolicy(a[0], lab.ports.https, host, trust);
    };
    await pool(warmUp, concurrency, baselineCheck);

    // Sweeps and baselines take turns, and the medians are compared: on a shared machine a
    // burst of someone else's work then moves one round, not the ratio.
    const rounds = options.rounds ?? (size <= 1_000 ? 9 : size <= 10_000 ? 5 : 3);
    const sweeps: { seconds: number; cpu: number; failed: number }[] = [];
    const baselines: { seconds: number; cpu: number }[] = [];
    for (let round = 1; round <= rounds; round++) {
      log(`[${size}] round ${round} of ${rounds}: a sweep over ${size} domains, ${concurrency} at a time`);
      const panelThreadsBefore = threadCpuOf(panel.pid!);
      const panelCpuBefore = cpuSecondsOf(panel.pid!);
      const panelWaitBefore = runQueueSecondsOf(panel.pid!);
      const labBeforeSweep = labCpu();
      const changesBefore = await countRows(connection, 'mta_sts_check_events');
      await readProbe(panel); // starts the probe's figures afresh
      const sweep = await timed(async () => postAndWait(`${base}/api/checks`, auth));
      const inside = await readProbe(panel);
      const sweepCpu = cpuSecondsOf(panel.pid!) - panelCpuBefore;
      const changes = (await countRows(connection, 'mta_sts_check_events')) - changesBefore;
      sweeps.push({ seconds: sweep.ms / 1000, cpu: sweepCpu, failed: (sweep.value as { failed: number }).failed });
      log(
        `[${size}] sweep ${(sweep.ms / 1000).toFixed(1)} s; panel threads (CPU s): ${threadCpuSpent(panelThreadsBefore, threadCpuOf(panel.pid!))}; main thread waiting for a CPU ${(runQueueSecondsOf(panel.pid!) - panelWaitBefore).toFixed(2)} s; nginx and Knot ${(labCpu() - labBeforeSweep).toFixed(2)} s; ${changes} status changes`,
      );
      log(`[${size}] the panel during that sweep: ${describeProbe(inside)}`);
      const labBeforeBaseline = labCpu();
      const baselineWaitBefore = runQueueSecondsOf(process.pid);
      const baseline = await timed(() => cpuOf(() => pool(names, concurrency, baselineCheck)));
      baselines.push({ seconds: baseline.ms / 1000, cpu: baseline.value.cpuSeconds });
      log(
        `[${size}] baseline (the same DNS queries, TLS handshakes and HTTPS GETs) ${(baseline.ms / 1000).toFixed(1)} s, ${baseline.value.cpuSeconds.toFixed(2)} CPU s, waiting for a CPU ${(runQueueSecondsOf(process.pid) - baselineWaitBefore).toFixed(2)} s; nginx and Knot ${(labCpu() - labBeforeBaseline).toFixed(2)} s; this turn's sweep / baseline ${(sweep.ms / baseline.ms).toFixed(3)}`,
      );
    }
    const median = (values: number[]) => percentile(values, 50);
    const panelPeakMb = memoryOf(panel.pid!).peakMb;

    log(`[${size}] page renders`);
    const login = await httpJson(`${base}/login`);
    const csrf = /mta_sts_csrf=([a-f0-9]+)/.exec(login.headers.get('set-cookie') ?? '')![1];
    // The form's token is signed for that cookie; a browser posts what the form holds.
    const token = /name="_csrf" value="([^"]+)"/.exec(await login.text())![1];
    const signedIn = await httpJson(`${base}/login`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', Cookie: `mta_sts_csrf=${csrf}` },
      body: new URLSearchParams({
        _csrf: token,
        username: lab.users.viewer.name,
        password: lab.users.viewer.password,
        next: '/mta-sts',
      }),
    });
    const session = /mta_sts_session=([^;]+)/.exec(signedIn.headers.get('set-cookie') ?? '')![1];
    const cookie = { Cookie: `mta_sts_session=${session}; mta_sts_csrf=${csrf}` };
    const renderTimes = async (path: (i: number) => string) => {
      const times: number[] = [];
      for (let i = 0; i < options.renders; i++) {
        const { ms, value } = await timed(async () => {
          const response = await httpJson(`${base}${path(i)}`, { headers: cookie });
          await response.text();
          return response.status;
        });
        if (value !== 200) throw new Error(`${path(i)} answered ${value}`);
        times.push(ms);
      }
      return times;
    };
    const pages = Math.max(1, Math.ceil(size / 50));
    const list = await renderTimes((i) =>
      i % 3 === 0
        ? `/mta-sts?page=${(i % pages) + 1}`
        : i % 3 === 1
          ? '/mta-sts?q=d00&badge=active'
          : `/mta-sts?page=${pages}`,
    );
    const card = await renderTimes((i) => `/mta-sts/domains/${names[(i * 7919) % size]}`);

    log(`[${size}] enabling ${enables} more domains with Pebble certificates, one after another, after one untimed`);
    const pebbleRoot = (await execFileAsync('cat', [lab.pebble.rootFile])).stdout;
    const pebbleTrust = createSecureContext({ ca: pebbleRoot });
    const workersBeforeEnable = childrenOf(master);
    const enableTimes: number[] = [];
    // What the enables cost the panel and the machine, so a slow enable can be told from a busy machine.
    await readProbe(panel);
    const panelThreadsBeforeEnable = threadCpuOf(panel.pid!);
    const machineBeforeEnable = machineCpuSeconds();
    for (const name of added) {
      await httpJson(`${base}/api/domains`, {
        method: 'POST',
        headers: { ...auth, 'Content-Type': 'application/json' },
        body: JSON.stringify({ domain: name }),
      });
      const enable = await timed(async () => {
        await httpJson(`${base}/api/domains/${name}/enable`, { method: 'POST', headers: auth });
        await waitFor(
          'the new domain to be served',
          async () =>
            (await fetchPolicy(lab.address, lab.ports.https, `mta-sts.${name}`, pebbleTrust).catch(() => 0)) === 200,
          600_000,
          // A domain is served about 0.2 s after the click: 50 ms steps would be a quarter of
          // it, and 5 ms steps (200 handshakes a second) slowed the Pebble and nginx they wait on.
          20,
        );
      });
      enableTimes.push(enable.ms / 1000);
    }
    const [firstEnable, ...timedEnables] = enableTimes;
    const reloaded = childrenOf(master).some((pid) => !workersBeforeEnable.includes(pid));
    const machineAfterEnable = machineCpuSeconds();
    log(
      `[${size}] enabled in ${timedEnables.map((seconds) => seconds.toFixed(2)).join(', ')} s (the untimed first: ${firstEnable.toFixed(2)} s); nginx ${reloaded ? 'reloaded' : 'did not reload'}`,
    );
    log(
      `[${size}] during the enables: panel threads (CPU s) ${threadCpuSpent(panelThreadsBeforeEnable, threadCpuOf(panel.pid!))}; the machine's CPUs ${((100 * (machineAfterEnable.busy - machineBeforeEnable.busy)) / (machineAfterEnable.total - machineBeforeEnable.total)).toFixed(0)} % busy; the panel: ${describeProbe(await readProbe(panel))}`,
    );

    return {
      size,
      database: databaseKind,
      layout: nginxLayout,
      concurrency,
      setupSeconds,
      startSeconds,
      rounds,
      sweepSeconds: median(sweeps.map((sweep) => sweep.seconds)),
      sweepFailed: Math.max(...sweeps.map((sweep) => sweep.failed)),
      baselineSeconds: median(baselines.map((baseline) => baseline.seconds)),
      sweepRatio: median(sweeps.map((sweep, turn) => sweep.seconds / baselines[turn].seconds)),
      sweepCpuSeconds: median(sweeps.map((sweep) => sweep.cpu)),
      baselineCpuSeconds: median(baselines.map((baseline) => baseline.cpu)),
      enableSeconds: percentile(timedEnables, 50),
      enablesReloadedNginx: reloaded,
      nginxMasterMb,
      nginxWorkerMb,
      nginxReloadSeconds: secondReload.ms / 1000,
      listP50: percentile(list, 50),
      listP95: percentile(list, 95),
      cardP50: percentile(card, 50),
      cardP95: percentile(card, 95),
      panelPeakMb,
    };
  } finally {
    if (panel && panel.exitCode === null) {
      const exited = new Promise((resolve) => panel!.once('exit', resolve));
      panel.kill('SIGTERM');
      await exited;
    }
    await lab.stop();
    await knot?.stop();
    await postgres?.stop();
  }
}

const f = (value: number, digits = 1) => (Number.isFinite(value) ? value.toFixed(digits) : 'n/a');

/** The results as a Markdown table (what BENCHMARKS.md and the README show). */
export function resultTable(results: readonly BenchmarkResult[]): string {
  const header =
    '| domains | database | nginx layout | sweep (s) | domains/s | baseline (s) | sweep / baseline | sweep / baseline CPU (s) | enable one more, median (s) | nginx master / worker RSS (MB) | nginx reload (s) | list p50 / p95 (ms) | card p50 / p95 (ms) | panel start (s) | panel peak RSS (MB) |';
  const rule = '|' + ' --- |'.repeat(15);
  const rows = results.map(
    (r) =>
      `| ${r.size} | ${r.database === 'postgres' ? 'PostgreSQL' : 'SQLite'} | ${r.layout} | ${f(r.sweepSeconds)}${r.sweepFailed ? ` (${r.sweepFailed} failed)` : ''} | ${f(r.size / r.sweepSeconds, 0)} | ${f(r.baselineSeconds)} | ${f(r.sweepRatio, 2)} | ${f(r.sweepCpuSeconds)} / ${f(r.baselineCpuSeconds)} | ${f(r.enableSeconds, 2)} | ${f(r.nginxMasterMb, 0)} / ${f(r.nginxWorkerMb, 0)} | ${f(r.nginxReloadSeconds, 2)} | ${f(r.listP50)} / ${f(r.listP95)} | ${f(r.cardP50)} / ${f(r.cardP95)} | ${f(r.startSeconds)} | ${f(r.panelPeakMb, 0)} |`,
  );
  return [header, rule, ...rows].join('\n');
}
