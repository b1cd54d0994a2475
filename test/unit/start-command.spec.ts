import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { panelStart } from '../../scripts/panel-start';

const readme = readFileSync(join(__dirname, '..', '..', 'README.md'), 'utf8');

/**
 * The panel's V8 options live in `npm start`; the benchmark measures the panel with them and
 * the README's commands must start it the same way, or production runs another heap.
 */
describe('The panel start command', () => {
  it('caps the V8 heap, so the first full collection comes before the heap has grown for nothing', () => {
    expect(panelStart().nodeOptions).toContainEqual(expect.stringMatching(/^--max-old-space-size=\d+$/));
    expect(panelStart().script).toBe(join(__dirname, '..', '..', 'dist', 'main.js'));
  });

  it('is what the README runs by hand and in the systemd unit', () => {
    const options = panelStart().nodeOptions;
    const commands = readme.split('\n').filter((line) => /(^|\/|\s)node (--|dist).*dist\/main\.js/.test(line));
    expect(commands.length).toBeGreaterThanOrEqual(2);
    for (const command of commands) {
      for (const option of options) expect(command).toContain(option);
    }
  });
});
