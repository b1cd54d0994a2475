import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

interface PackedFile {
  readonly path: string;
}

/**
 * What `npm pack` ships: the compiled module with its types, the page views and the nginx
 * templates it reads at run time, and no tests or sources. dist/ is built once by the
 * suite's global set-up; `prepack` builds it for a real `npm pack`, so it is not run here
 * (a build empties dist/ under the specs that run the panel from it).
 */
describe('The npm package', () => {
  const root = join(__dirname, '..', '..');
  let files: string[];

  beforeAll(() => {
    const output = execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], {
      cwd: root,
      encoding: 'utf8',
    });
    files = (JSON.parse(output) as Array<{ files: PackedFile[] }>)[0].files.map((file) => file.path);
  });

  it('holds the compiled module, its types, the views and the nginx templates', () => {
    for (const path of [
      'package.json',
      'README.md',
      'CHANGELOG.md',
      '.env.example',
      'dist/index.js',
      'dist/index.d.ts',
      'dist/main.js',
      'dist/mta-sts/mta-sts.module.js',
      'views/domain.hbs',
      'views/layouts/main.hbs',
      'views/assets/panel.js',
      'views/assets/panel.css',
      'templates/nginx/site.conf.hbs',
      'templates/nginx/shared.conf.hbs',
      'templates/nginx/default-server.conf.hbs',
    ]) {
      expect(files).toContain(path);
    }
  });

  it('ships no tests, sources, scripts or build state', () => {
    expect(files.filter((path) => /^(test|src|scripts|docs|\.ci)\/|\.spec\.|\.tsbuildinfo$/.test(path))).toEqual([]);
  });

  it('declares Nest, TypeORM, reflect-metadata and rxjs as peers, so a host keeps one copy of each', () => {
    const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
      private?: boolean;
      exports: Record<string, unknown>;
      peerDependencies: Record<string, string>;
      dependencies: Record<string, string>;
      devDependencies: Record<string, string>;
    };
    expect(manifest.private).toBeUndefined();
    expect(manifest.exports['.']).toEqual({ types: './dist/index.d.ts', default: './dist/index.js' });
    for (const peer of [
      '@nestjs/common',
      '@nestjs/core',
      '@nestjs/schedule',
      '@nestjs/typeorm',
      'typeorm',
      'reflect-metadata',
      'rxjs',
    ]) {
      expect(manifest.peerDependencies[peer]).toBeDefined();
      expect(manifest.dependencies[peer]).toBeUndefined();
      // The project's own build and tests use the same version.
      expect(manifest.devDependencies[peer]).toBe(manifest.peerDependencies[peer]);
    }
  });

  it('resolves its views and templates from where it is installed, whatever the working directory', async () => {
    const paths = (await import(join(root, 'dist', 'paths.js'))) as { VIEWS_DIR: string; TEMPLATES_DIR: string };
    expect(paths.VIEWS_DIR).toBe(join(root, 'views'));
    expect(paths.TEMPLATES_DIR).toBe(join(root, 'templates'));
  });
});
