/**
 * Loaded into the panel's process by the scale benchmark (`node --require`): its event
 * loop's delay and its garbage collections, sent to the benchmark and reset each time it
 * asks, so it reads them for exactly one sweep.
 */
/* eslint-disable @typescript-eslint/no-require-imports */
/* global process, require */
const { monitorEventLoopDelay, PerformanceObserver, constants } = require('node:perf_hooks');

const KINDS = {
  [constants.NODE_PERFORMANCE_GC_MINOR]: 'scavenge',
  [constants.NODE_PERFORMANCE_GC_MAJOR]: 'mark-compact',
  [constants.NODE_PERFORMANCE_GC_INCREMENTAL]: 'incremental marking',
  [constants.NODE_PERFORMANCE_GC_WEAKCB]: 'weak callbacks',
};
const RESOLUTION_MS = 10;
const delay = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
delay.enable();
let collections = {};
new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) {
    const kind = KINDS[entry.detail?.kind] ?? 'other';
    const seen = (collections[kind] ??= { count: 0, ms: 0 });
    seen.count++;
    seen.ms += entry.duration;
  }
}).observe({ entryTypes: ['gc'] });

// Asked over the IPC channel the benchmark opens (a signal would be taken for a shutdown).
process.on('message', (message) => {
  if (message !== 'probe') return;
  // The histogram holds the intervals of a 10 ms timer: the delay is what exceeds 10 ms.
  const ms = (ns) => Math.max(0, Math.round((ns - RESOLUTION_MS * 1e6) / 1e4) / 100);
  process.send({
    probe: {
      delayMs: { p50: ms(delay.percentile(50)), p99: ms(delay.percentile(99)), max: ms(delay.max) },
      gc: collections,
      heapUsedMb: Math.round(process.memoryUsage().heapUsed / 2 ** 20),
    },
  });
  delay.reset();
  collections = {};
});
// The channel must not keep the panel running once it is asked to stop.
process.channel?.unref();
