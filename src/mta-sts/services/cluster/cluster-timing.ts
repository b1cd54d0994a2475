/** How often each node says it is alive. */
export const HEARTBEAT_MS = 5_000;
/** A node not heard from for this long is taken for gone: challenge answers no longer wait for it. */
export const ALIVE_SECONDS = 15;
