/** The time, injected so logic and tests never call `new Date()` themselves. */
export abstract class Clock {
  abstract now(): Date;
}
