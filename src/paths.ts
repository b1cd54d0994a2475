import { resolve } from 'node:path';

/** The package root, the same from `src/` (tests) and from `dist/` (built). */
export const PACKAGE_ROOT = resolve(__dirname, '..');
export const TEMPLATES_DIR = resolve(PACKAGE_ROOT, 'templates');
export const VIEWS_DIR = resolve(PACKAGE_ROOT, 'views');
