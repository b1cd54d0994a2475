import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The arguments `npm start` gives node (V8 options, then the script), so the demo and the
 * benchmark run the panel as production does; the README's commands use the same options.
 */
export function panelStartArguments(): string[] {
  const start = (
    JSON.parse(readFileSync(join(__dirname, '..', 'package.json'), 'utf8')) as { scripts: { start: string } }
  ).scripts.start;
  const [command, ...args] = start.split(/\s+/);
  if (command !== 'node' || args.at(-1) !== 'dist/main.js') {
    throw new Error(`npm start should be "node [options] dist/main.js", not "${start}"`);
  }
  return args;
}
