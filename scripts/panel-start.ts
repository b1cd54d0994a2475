import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = join(__dirname, '..');

export interface PanelStart {
  /** The V8 options `npm start` gives node. */
  readonly nodeOptions: string[];
  /** The panel's entry point, an absolute path. */
  readonly script: string;
}

/**
 * How `npm start` runs the panel, so the demo and the benchmark run it as production does;
 * the README's commands use the same options.
 */
export function panelStart(): PanelStart {
  const start = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: { start: string } }).scripts
    .start;
  const [command, ...args] = start.split(/\s+/);
  if (command !== 'node' || args.at(-1) !== 'dist/main.js') {
    throw new Error(`npm start should be "node [options] dist/main.js", not "${start}"`);
  }
  return { nodeOptions: args.slice(0, -1), script: join(ROOT, args.at(-1)!) };
}
