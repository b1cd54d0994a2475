/**
 * `npm run bench [-- --sizes 100,1000,10000 --layout shared --concurrency 16 --renders 40 --enables 5 --out BENCHMARKS.md]`
 * `--layout per-domain|shared` is nginx's layout (default shared). Builds nothing itself:
 * `npm run bench` builds dist/ first. Needs root (ports 53, 80, 443).
 */
import { cpus, totalmem } from 'node:os';
import { writeFileSync } from 'node:fs';
import { BenchmarkResult, resultTable, runBenchmark } from './benchmark';

function option(name: string, fallback: string): string {
  const at = process.argv.indexOf(`--${name}`);
  return at >= 0 && process.argv[at + 1] ? process.argv[at + 1] : fallback;
}

async function main(): Promise<void> {
  const sizes = option('sizes', '100,1000,10000').split(',').map(Number);
  const concurrency = Number(option('concurrency', '16'));
  const renders = Number(option('renders', '40'));
  const enables = Number(option('enables', '5'));
  const layout = option('layout', 'shared');
  if (layout !== 'per-domain' && layout !== 'shared') throw new Error(`--layout ${layout}: per-domain or shared`);
  const out = option('out', 'BENCHMARKS.md');
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
  const machine = `${cpus().length} × ${cpus()[0]?.model ?? 'CPU'}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}`;
  const text = [
    '# Benchmarks',
    '',
    `Measured with \`npm run bench -- --sizes ${sizes.join(',')} --layout ${layout} --concurrency ${concurrency}\` on ${machine}, ${new Date().toISOString().slice(0, 10)}.`,
    '',
    resultTable(results),
    '',
  ].join('\n');
  writeFileSync(out, text);
  console.error(`Wrote ${out}`);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
