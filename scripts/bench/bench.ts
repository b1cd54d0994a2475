/**
 * `npm run bench [-- --sizes 100,1000,10000 --layout shared --concurrency 16 --renders 40 --enables 5 --publishing 1000 --out BENCHMARKS.md]`
 * `--layout per-domain|shared` is nginx's layout (default shared); `--publishing N` publishes
 * the records of N domains into a Knot DNS zone (0 skips it). Builds nothing itself:
 * `npm run bench` builds dist/ first. Needs root (ports 53, 80, 443). Sections of the
 * output file after its tables (## headings) are kept.
 */
import { cpus, totalmem } from 'node:os';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { BenchmarkResult, resultTable, runBenchmark } from './benchmark';
import { publishingTable, runPublishingBenchmark } from './publishing';

function option(name: string, fallback: string): string {
  const at = process.argv.indexOf(`--${name}`);
  return at >= 0 && process.argv[at + 1] ? process.argv[at + 1] : fallback;
}

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

async function main(): Promise<void> {
  const only = Number(option('publishing-only', '0'));
  if (only > 0) return publishingOnly(only, option('out', 'BENCHMARKS.md'));
  const sizes = option('sizes', '100,1000,10000').split(',').map(Number);
  const concurrency = Number(option('concurrency', '16'));
  const renders = Number(option('renders', '40'));
  const enables = Number(option('enables', '5'));
  const layout = option('layout', 'shared');
  if (layout !== 'per-domain' && layout !== 'shared') throw new Error(`--layout ${layout}: per-domain or shared`);
  const out = option('out', 'BENCHMARKS.md');
  const publishing = Number(option('publishing', '1000'));
  const results: BenchmarkResult[] = [];
  for (const size of sizes) {
    results.push(
      await runBenchmark({
        size,
        layout,
        concurrency,
        renders,
        enables,
        log: (line) => console.error(line),
      }),
    );
    console.log(resultTable(results));
  }
  const published =
    publishing > 0 ? await runPublishingBenchmark(publishing, (line) => console.error(line)) : undefined;
  if (published) console.log(publishingTable(published));
  const kept = existsSync(out) ? (/\n## [\s\S]*$/.exec(readFileSync(out, 'utf8'))?.[0] ?? '') : '';
  const machine = `${cpus().length} × ${cpus()[0]?.model ?? 'CPU'}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}`;
  const text = [
    '# Benchmarks',
    '',
    `Measured with \`npm run bench -- --sizes ${sizes.join(',')} --layout ${layout} --concurrency ${concurrency}\` on ${machine}, ${new Date().toISOString().slice(0, 10)}.`,
    '',
    resultTable(results),
    '',
    ...(published
      ? [publishingSection(publishingTable(published), `npm run bench -- --publishing ${publishing}`)]
      : []),
  ].join('\n');
  writeFileSync(out, `${text}${kept.replace(/^\n## DNS publishing[\s\S]*?(?=\n## |$)/, '')}`);
  console.error(`Wrote ${out}`);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
