import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

/**
 * Vitest global set-up: builds dist/ once before any spec runs. The end-to-end specs run
 * the panel from dist/, as an admin runs it; building in each of them would let one
 * spec's build (which empties dist/ first) pull the panel from under another.
 */
export default function buildPanel(): void {
  const root = join(__dirname, '..', '..');
  execFileSync(join(root, 'node_modules', '.bin', 'nest'), ['build'], { cwd: root, stdio: 'inherit' });
}
