import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadPanelConfig, startupWarnings } from '../../src/panel/env';

const ROOT = join(__dirname, '..', '..');
const read = (name: string) => readFileSync(join(ROOT, name), 'utf8');
const variables = (text: string) => new Set(text.match(/MTA_STS_[A-Z0-9_]+/g) ?? []);

/** The variables `.env.example` sets (uncommented `KEY=value` lines). */
function exampleEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const line of read('.env.example').split('\n')) {
    const match = /^([A-Z0-9_]+)=(.*)$/.exec(line.trim());
    if (match) env[match[1]] = match[2];
  }
  return env;
}

describe('.env.example', () => {
  it('names every setting the README and the code know', () => {
    const example = variables(read('.env.example'));
    const known = new Set([
      ...variables(read('README.md')),
      ...variables(read('src/panel/env.ts')),
      ...variables(read('src/panel/notify-env.ts')),
    ]);
    // MTA_STS_ENTITIES and MTA_STS_MIGRATIONS are exports a host imports, not settings;
    // MTA_STS_TEST_DATABASE chooses the test suite's database.
    const notSettings = ['MTA_STS_ENTITIES', 'MTA_STS_MIGRATIONS', 'MTA_STS_TEST_DATABASE'];
    const settings = [...known].filter((name) => !notSettings.includes(name));
    expect(settings.filter((name) => !example.has(name)).sort()).toEqual([]);
  });

  it('starts a panel that says at start-up who cannot get in, as it is', () => {
    const config = loadPanelConfig({ ...exampleEnv(), MTA_STS_DATA_DIR: '/tmp/mta-sts-example' });
    const warnings = startupWarnings(config);
    expect(warnings).toHaveLength(3);
    expect(warnings[0]).toMatch(/^No one can sign in to the pages: MTA_STS_USERS is empty\./);
    expect(warnings[1]).toMatch(/^The JSON API refuses every request: MTA_STS_API_TOKEN is not set/);
    expect(warnings[2]).toMatch(/^MTA_STS_SESSION_SECRET is not set/);
  });

  it('says nothing once users, a token and a secret are set', () => {
    const config = loadPanelConfig({
      ...exampleEnv(),
      MTA_STS_DATA_DIR: '/tmp/mta-sts-example',
      MTA_STS_USERS: 'alice:admin:scrypt$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA',
      MTA_STS_API_TOKEN: 't'.repeat(32),
      MTA_STS_SESSION_SECRET: 's'.repeat(32),
    });
    expect(startupWarnings(config)).toEqual([]);
  });
});
