/**
 * `npm run bench [-- --sizes 100,1000,10000 --layout shared --concurrency 16 --renders 40 --enables 25 --publishing 1000 --out BENCHMARKS.md]`
 * `npm run bench -- --reports-only 10000 [--report-domains 10000 --days 90]`: TLS report intake, the card and the overview.
 * `npm run bench -- --db postgres [--sizes 10000]` (also `npm run bench --db postgres`): the scale figures on PostgreSQL beside
 *   SQLite's, and the several-node figures (`--cluster N`, default the largest size).
 * `npm run bench -- --cluster-only 10000 [--changes 20]`: several nodes (a change served by another node, a node's comparisons).
 * `--layout per-domain|shared` is nginx's layout (default shared); `--publishing N` publishes
 * the records of N domains into a Knot DNS zone (0 skips it); `--serving N` measures nginx's
 * handshakes per second with N domains in both layouts (0 skips it; `--serving-only N` alone,
 * with `--clients 1,2,3 --connections 16 --seconds 10`). Builds nothing itself:
 * `npm run bench` builds dist/ first. Needs root (ports 53, 80, 443). Sections of the
 * output file after its tables (## headings) are kept.
 */
import { cpus, totalmem } from 'node:os';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { BenchmarkResult, resultTable, runBenchmark } from './benchmark';
import { publishingTable, runPublishingBenchmark } from './publishing';
import { reportsTable, runReportsBenchmark } from './reports';
import { ServingOptions, runServingBenchmark, servingTable } from './serving';
import { clusterTable, runClusterBenchmark } from './cluster';

function option(name: string, fallback: string): string {
  const at = process.argv.indexOf(`--${name}`);
  return at >= 0 && process.argv[at + 1] ? process.argv[at + 1] : fallback;
}

const SCALE_INTRO =
  "The domains' DNS records are served by Knot DNS from a zone file, so a query costs the same at any size. The baseline does exactly the network work of a sweep (the same five DNS queries per domain, a TLS handshake with SNI and a GET of the policy, at the same concurrency) with one secure context reused. nginx logs every policy fetch for the panel to read, as the panel's own files do by default (the baseline sends the checks' User-Agent, so its lines count as the panel's, as the sweep's do); the panel has swept every domain once before (untimed, as on a running server: each domain has stored results) and the baseline is warmed with 100 domains; then they take turns (nine each up to 1,000 domains, five up to 10,000, three above). The times and CPU seconds shown are the medians of the turns; sweep / baseline is the median of each turn's ratio (a sweep over the baseline run right after it), so the machine's load, which moves both of a turn alike, does not move it. CPU is the panel's process during its sweep and the baseline's process during its run. Enable is the median of 25 domains enabled one after another, after one untimed (a panel's first Enable compiles its code), each polled every 20 ms until it is served; list and card are timed over HTTP; panel start is from starting its process until its API answers.";

const PUBLISHING_INTRO =
  'The records of each domain written the way the panel does it (read what is live, plan, one TSIG-signed RFC 2136 UPDATE), against the same updates sent by one `knsupdate` process without reading; then the time from sending a new id until a Knot DNS primary and its BIND secondary both answer it (loopback).';

function publishingSection(table: string, command: string): string {
  return ['## DNS publishing', '', `${PUBLISHING_INTRO} Measured with \`${command}\`.`, '', table, ''].join('\n');
}

/** `--publishing-only N`: measures publishing alone and replaces that section of the output file. */
async function publishingOnly(domains: number, out: string): Promise<void> {
  const result = await runPublishingBenchmark(domains, (line) => console.error(line));
  const section = publishingSection(publishingTable(result), `npm run bench -- --publishing-only ${domains}`);
  const existing = existsSync(out) ? readFileSync(out, 'utf8') : '# Benchmarks\n';
  const without = existing.replace(/\n## DNS publishing\n[\s\S]*?(?=\n## |$)/, '').replace(/\n*$/, '\n');
  writeFileSync(out, `${without}\n${section}`);
  console.log(publishingTable(result));
}

const REPORTS_INTRO =
  "TLS reports: realistic reports (1–3 policies, failures now and then, Microsoft's zone-less times) taken in by the module's intake (decode within the caps, read, store once per reporter and id with daily counts and failure examples, on SQLite), against only gunzipping and `JSON.parse`-ing the same bodies; then a card (with its Reports section) and the overview across domains, over HTTP, with 90 days of daily session counts and policy fetches for every domain.";

const REPORTS_NOTES =
  "The baseline does no I/O; the intake writes each report, its daily rows, its failure examples and the domain's activity row in a SQLite transaction (several reports arriving together share one). That is most of the difference: a provider with 10,000 domains gets some 20,000 reports a day, under a minute of intake. The overview reads one activity row per domain, whose 14-day and 7-day sums are kept up to date at every write and by a job after midnight (the last line: that job for every domain).";

function reportsSection(table: string, command: string): string {
  return [
    '## TLS reports',
    '',
    `${REPORTS_INTRO} Measured with \`${command}\`.`,
    '',
    table,
    '',
    REPORTS_NOTES,
    '',
  ].join('\n');
}

/** Replaces one `## ` section of the output file (or adds it at the end). */
function replaceSection(out: string, heading: string, section: string): void {
  const existing = existsSync(out) ? readFileSync(out, 'utf8') : '# Benchmarks\n';
  const pattern = new RegExp(`\\n## ${heading}\\n[\\s\\S]*?(?=\\n## |$)`);
  const without = existing.replace(pattern, '').replace(/\n*$/, '\n');
  writeFileSync(out, `${without}\n${section}`);
}

/** `--reports-only N`: N reports ingested, then the card and overview at `--report-domains` domains. */
async function reportsOnly(reports: number, out: string): Promise<void> {
  const domains = Number(option('report-domains', '10000'));
  const days = Number(option('days', '90'));
  const result = await runReportsBenchmark(
    { reports, domains, days, samples: Number(option('renders', '40')) },
    (line) => console.error(line),
  );
  const command = `npm run bench -- --reports-only ${reports} --report-domains ${domains} --days ${days}`;
  replaceSection(out, 'TLS reports', reportsSection(reportsTable(result), command));
  console.log(reportsTable(result));
}

const SERVING_INTRO =
  'Policy serving: full TLS handshakes (no session resumed), each followed by a GET of the policy, from several client processes against nginx\'s one worker, in each layout. The shared layout names the certificate with a variable, which nginx 1.22 reads from disk at each handshake; the per-domain layout has one server block per domain with its certificate loaded at reload. "Worker busy" near 100 % means nginx, not the clients, was the limit.';

function servingSection(table: string, command: string): string {
  return ['## Policy serving', '', `${SERVING_INTRO} Measured with \`${command}\`.`, '', table, ''].join('\n');
}

function servingOptions(domains: number): ServingOptions {
  return {
    domains,
    clients: option('clients', '1,2,3').split(',').map(Number),
    connections: Number(option('connections', '16')),
    seconds: Number(option('seconds', '10')),
  };
}

function servingCommand(flag: string, options: ServingOptions): string {
  return `npm run bench -- ${flag} ${options.domains} --clients ${options.clients.join(',')} --connections ${options.connections} --seconds ${options.seconds}`;
}

/** `--serving-only N`: nginx's handshakes per second with N domains, in both layouts. */
async function servingOnly(domains: number, out: string): Promise<void> {
  const options = servingOptions(domains);
  const results = await runServingBenchmark(options, (line) => console.error(line));
  replaceSection(
    out,
    'Policy serving',
    servingSection(servingTable(results), servingCommand('--serving-only', options)),
  );
  console.log(servingTable(results));
}

const CLUSTER_INTRO =
  "Several nodes: two nodes, each in a network namespace of its own with its own nginx (shared layout) and panel, on one PostgreSQL; every domain active with a sealed certificate in the database. A policy change (max_age) is made through node a's API and timed until node b serves the new text over HTTPS (polled every 5 ms; LISTEN/NOTIFY carries the change). The first comparison is node a's at its start, when it writes every domain's policy file, certificate and site; the steady one finds every domain in line and writes nothing.";

function clusterSection(table: string, command: string): string {
  return ['## Several nodes', '', `${CLUSTER_INTRO} Measured with \`${command}\`.`, '', table, ''].join('\n');
}

/** `--cluster-only N`: several nodes at N domains (propagation, reconcile), replacing that section. */
async function clusterOnly(domains: number, out: string): Promise<void> {
  const changes = Number(option('changes', '20'));
  const result = await runClusterBenchmark({ domains, changes }, (line) => console.error(line));
  replaceSection(
    out,
    'Several nodes',
    clusterSection(clusterTable([result]), `npm run bench -- --cluster-only ${domains} --changes ${changes}`),
  );
  console.log(clusterTable([result]));
}

const POSTGRES_INTRO =
  "The same scale benchmark with the panel on PostgreSQL (a private server from Debian's package on this machine, loopback) instead of SQLite: the same seeded domains, sweeps against the same baseline, enable, list and card.";

/**
 * `--db postgres` (or `npm run bench --db postgres`): the scale figures on PostgreSQL,
 * beside SQLite's table, and the several-node figures at the largest size.
 */
async function postgresRun(sizes: readonly number[], out: string): Promise<void> {
  const results: BenchmarkResult[] = [];
  for (const size of sizes) {
    results.push(await runBenchmark({ ...scaleOptions(size), database: 'postgres' }));
    console.log(resultTable(results));
  }
  const command = `npm run bench -- --db postgres --sizes ${sizes.join(',')}`;
  replaceSection(
    out,
    'PostgreSQL',
    ['## PostgreSQL', '', `${POSTGRES_INTRO} Measured with \`${command}\`.`, '', resultTable(results), ''].join('\n'),
  );
  const domains = Number(option('cluster', String(Math.max(...sizes))));
  if (domains > 0) await clusterOnly(domains, out);
}

function scaleOptions(size: number) {
  const layout = option('layout', 'shared');
  if (layout !== 'per-domain' && layout !== 'shared') throw new Error(`--layout ${layout}: per-domain or shared`);
  return {
    size,
    layout,
    concurrency: Number(option('concurrency', '16')),
    renders: Number(option('renders', '40')),
    enables: Number(option('enables', '25')),
    ...(option('rounds', '') ? { rounds: Number(option('rounds', '')) } : {}),
    log: (line: string) => console.error(line),
  } as const;
}

async function main(): Promise<void> {
  const db = option('db', process.env.npm_config_db || 'sqlite');
  if (db !== 'sqlite' && db !== 'postgres') throw new Error(`--db ${db}: sqlite or postgres`);
  if (db === 'postgres') {
    return postgresRun(option('sizes', '10000').split(',').map(Number), option('out', 'BENCHMARKS.md'));
  }
  const clusterOnlyCount = Number(option('cluster-only', '0'));
  if (clusterOnlyCount > 0) return clusterOnly(clusterOnlyCount, option('out', 'BENCHMARKS.md'));
  const only = Number(option('publishing-only', '0'));
  if (only > 0) return publishingOnly(only, option('out', 'BENCHMARKS.md'));
  const servingOnlyCount = Number(option('serving-only', '0'));
  if (servingOnlyCount > 0) return servingOnly(servingOnlyCount, option('out', 'BENCHMARKS.md'));
  const reportsOnlyCount = Number(option('reports-only', '0'));
  if (reportsOnlyCount > 0) return reportsOnly(reportsOnlyCount, option('out', 'BENCHMARKS.md'));
  const sizes = option('sizes', '100,1000,10000').split(',').map(Number);
  const { layout, concurrency } = scaleOptions(sizes[0]);
  const out = option('out', 'BENCHMARKS.md');
  const publishing = Number(option('publishing', '1000'));
  const results: BenchmarkResult[] = [];
  for (const size of sizes) {
    results.push(await runBenchmark(scaleOptions(size)));
    console.log(resultTable(results));
  }
  const published =
    publishing > 0 ? await runPublishingBenchmark(publishing, (line) => console.error(line)) : undefined;
  if (published) console.log(publishingTable(published));
  const serving = servingOptions(Number(option('serving', '200')));
  const served = serving.domains > 0 ? await runServingBenchmark(serving, (line) => console.error(line)) : undefined;
  if (served) console.log(servingTable(served));
  const kept = existsSync(out) ? (/\n## [\s\S]*$/.exec(readFileSync(out, 'utf8'))?.[0] ?? '') : '';
  const machine = `${cpus().length} × ${cpus()[0]?.model ?? 'CPU'}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}`;
  const text = [
    '# Benchmarks',
    '',
    `Measured with \`npm run bench -- --sizes ${sizes.join(',')} --layout ${layout} --concurrency ${concurrency}\` on ${machine}, ${new Date().toISOString().slice(0, 10)}.`,
    '',
    SCALE_INTRO,
    '',
    resultTable(results),
    '',
    ...(published
      ? [publishingSection(publishingTable(published), `npm run bench -- --publishing ${publishing}`)]
      : []),
    ...(served ? [servingSection(servingTable(served), servingCommand('--serving', serving))] : []),
  ].join('\n');
  // Sections measured again in this run replace the kept ones.
  const fresh = [...(published ? ['DNS publishing'] : []), ...(served ? ['Policy serving'] : [])];
  const rest = fresh.reduce(
    (text, heading) => text.replace(new RegExp(`\\n## ${heading}\\n[\\s\\S]*?(?=\\n## |$)`), ''),
    kept,
  );
  writeFileSync(out, `${text}${rest}`);
  console.error(`Wrote ${out}`);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
