import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const ROOT = join(__dirname, '..', '..');
const SRC = join(ROOT, 'src');

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sources(path);
    return path.endsWith('.ts') ? [path] : [];
  });
}

/** Relative imports of a file (`import … from './x'`, `export … from '../y'`). */
function relativeImports(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(/^(?:import|export)\b[^;]*?from '(\.[^']+)';/gms)].map((match) => match[1]);
}

/** The file a relative import names (`./x` is `./x.ts` or `./x/index.ts`). */
function resolveImport(from: string, path: string): string {
  const base = resolve(dirname(from), path);
  return existsSync(`${base}.ts`) ? `${base}.ts` : join(base, 'index.ts');
}

/** Every cycle of relative imports, type-only imports included, as a list of files. */
function importCycles(files: string[]): string[][] {
  const cycles: string[][] = [];
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const visit = (file: string) => {
    state.set(file, 'open');
    stack.push(file);
    for (const next of relativeImports(file).map((path) => resolveImport(file, path))) {
      if (state.get(next) === 'open') cycles.push(stack.slice(stack.indexOf(next)).map((f) => relative(SRC, f)));
      else if (!state.has(next)) visit(next);
    }
    stack.pop();
    state.set(file, 'done');
  };
  for (const file of files) if (!state.has(file)) visit(file);
  return cycles;
}

/** The rules of the source tree's shape, checked on every run. */
describe('The source tree', () => {
  it('has no import cycle', () => {
    expect(importCycles(sources(SRC))).toEqual([]);
  });

  it('lets the standalone panel use the module through its public index only', () => {
    const panelFiles = [...sources(join(SRC, 'panel')), join(SRC, 'app.module.ts'), join(SRC, 'main.ts')];
    const reaching = panelFiles.flatMap((file) =>
      relativeImports(file)
        .filter((path) => /(^|\/)mta-sts\//.test(path) || path.endsWith('/mta-sts'))
        .map((path) => `${relative(ROOT, file)} imports ${path}`),
    );
    expect(reaching).toEqual([]);
  });

  it('keeps the module free of the panel', () => {
    const reaching = sources(join(SRC, 'mta-sts')).flatMap((file) =>
      relativeImports(file)
        .filter((path) => /(^|\/)panel\//.test(path))
        .map((path) => `${relative(ROOT, file)} imports ${path}`),
    );
    expect(reaching).toEqual([]);
  });

  it('reaches the file system and child processes through one adapter each', () => {
    const importers = (pattern: RegExp) =>
      sources(join(SRC, 'mta-sts'))
        .filter((file) => pattern.test(readFileSync(file, 'utf8')))
        .map((file) => relative(SRC, file));
    expect(importers(/from 'node:fs(\/promises)?'/)).toEqual(['mta-sts/adapters/fs.file-store.ts']);
    expect(importers(/from 'node:child_process'/)).toEqual(['mta-sts/adapters/child-process.runner.ts']);
  });

  it('keeps every source file under 350 lines', () => {
    const long = sources(SRC)
      .map((file) => ({ file: relative(SRC, file), lines: readFileSync(file, 'utf8').split('\n').length - 1 }))
      .filter(({ lines }) => lines > 350);
    expect(long).toEqual([]);
  });

  it('keeps TypeORM repositories in the persistence adapters', () => {
    const users = sources(join(SRC, 'mta-sts'))
      .filter((file) => /Repository</.test(readFileSync(file, 'utf8')))
      .map((file) => relative(SRC, file))
      .filter((file) => !file.startsWith('mta-sts/persistence/'));
    expect(users).toEqual([]);
  });

  it('compares lifecycle states in domain/ only, where the rules of the lifecycle live', () => {
    const comparing = sources(join(SRC, 'mta-sts'))
      .filter((file) => !relative(SRC, file).startsWith('mta-sts/domain/'))
      .filter((file) =>
        /\bstate\s*[!=]==|[!=]==\s*'(inactive|provisioning|changing|retiring|removed)'/.test(
          readFileSync(file, 'utf8'),
        ),
      )
      .map((file) => relative(SRC, file));
    expect(comparing).toEqual([]);
  });

  it('gives no class more than seven collaborators', () => {
    const crowded = sources(SRC).flatMap((file) =>
      [...readFileSync(file, 'utf8').matchAll(/constructor\(([^)]*(?:\([^)]*\)[^)]*)*)\)\s*\{/g)]
        .map(
          (match) =>
            match[1].match(/(?:^|\n)\s*(?:@\w+\([^)]*\)\s*)*(?:private |public |protected |readonly )*\w+\??:/g)
              ?.length ?? 0,
        )
        .filter((count) => count > 7)
        .map((count) => `${relative(SRC, file)}: ${count}`),
    );
    expect(crowded).toEqual([]);
  });

  it('keeps domain/ free of everything outside it: the rules import only rules', () => {
    const domain = join(SRC, 'mta-sts', 'domain');
    const leaving = sources(domain).flatMap((file) =>
      relativeImports(file)
        .filter((path) => relative(domain, resolve(dirname(file), path)).startsWith('..'))
        .map((path) => `${relative(SRC, file)} imports ${path}`),
    );
    expect(leaving).toEqual([]);
  });

  it('words what admins read in domain/wording/ alone, and spells the TXT value once', () => {
    const wording = join(SRC, 'mta-sts', 'domain', 'wording');
    const outside = sources(join(SRC, 'mta-sts')).filter((file) => !file.startsWith(wording));
    // Asking for the policy record, or saying what the trail records (check verdicts are worded beside their rules).
    const asking = outside
      .filter((file) => /TXT "|detail: [`'][A-Z]/.test(readFileSync(file, 'utf8')))
      .map((file) => relative(SRC, file));
    expect(asking).toEqual([]);
    const spelling = sources(SRC)
      .filter((file) => /v=STSv1; id=\$\{/.test(readFileSync(file, 'utf8')))
      .map((file) => relative(SRC, file));
    expect(spelling).toEqual(['mta-sts/domain/dns-records.ts']);
  });
});
