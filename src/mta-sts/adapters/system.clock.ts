import { Clock } from '../ports/clock.port';

export class SystemClock extends Clock {
  now(): Date {
    return new Date();
  }
}
