import { defineConfig } from 'vitest/config';

/**
 * Unit specs (test/unit) run in parallel; end-to-end specs (test/e2e) start real nginx,
 * Pebble and dnsmasq, each file on a loopback address of its own.
 */
export default defineConfig({
  test: {
    globals: true,
    include: ['test/**/*.spec.ts', 'test/**/*.e2e-spec.ts'],
    testTimeout: 60_000,
    hookTimeout: 90_000,
    pool: 'forks',
    maxWorkers: 2,
    // dist/ is built once, before any spec: the end-to-end specs run the panel from it.
    globalSetup: ['test/support/build-panel.ts', 'test/support/postgres-setup.ts'],
  },
});
