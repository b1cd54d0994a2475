import { SignInThrottle, delayAfter, describeWait } from '../../src/panel/auth/sign-in-throttle';

describe('SignInThrottle', () => {
  let now = Date.parse('2026-11-26T09:00:00Z');
  const clock = () => now;

  it('lets 5 failures pass, then waits 2 s, 4 s, 8 s … up to 15 minutes', () => {
    expect([1, 5, 6, 7, 8, 10, 30].map(delayAfter)).toEqual([0, 0, 2_000, 4_000, 8_000, 32_000, 900_000]);
    expect([describeWait(1_500), describeWait(119_000), describeWait(900_000)]).toEqual(['2 s', '119 s', '15 min']);
  });

  it('locks the account, also for the right password, until the wait is over', () => {
    const throttle = new SignInThrottle(clock);
    for (let attempt = 1; attempt <= 5; attempt++) {
      expect(throttle.check('Alice', '192.0.2.1')).toEqual({ allowed: true });
      expect(throttle.failed('Alice', `192.0.2.${attempt}`)).toEqual({ failures: attempt, lockedForMs: 0 });
    }
    expect(throttle.failed('alice', '192.0.2.9')).toEqual({ failures: 6, lockedForMs: 2_000 });
    // Names are compared without case; the lock holds from any address.
    expect(throttle.check('ALICE', '198.51.100.1')).toEqual({ allowed: false, by: 'account', retryAfterMs: 2_000 });
    now += 2_001;
    expect(throttle.check('alice', '198.51.100.1')).toEqual({ allowed: true });
  });

  it('locks an address that tries many accounts', () => {
    const throttle = new SignInThrottle(clock);
    for (let attempt = 1; attempt <= 6; attempt++) throttle.failed(`user${attempt}`, '203.0.113.5');
    expect(throttle.check('someone', '203.0.113.5')).toMatchObject({ allowed: false, by: 'address' });
    expect(throttle.check('someone', '203.0.113.6')).toEqual({ allowed: true });
  });

  it('forgets failures after a day and after a successful sign-in', () => {
    const throttle = new SignInThrottle(clock);
    for (let attempt = 1; attempt <= 4; attempt++) throttle.failed('bob', '192.0.2.1');
    throttle.succeeded('bob', '192.0.2.1');
    expect(throttle.failed('bob', '192.0.2.1').failures).toBe(1);
    now += 25 * 3_600_000;
    expect(throttle.failed('bob', '192.0.2.1').failures).toBe(1);
  });

  it('tracks a bounded number of accounts', () => {
    const throttle = new SignInThrottle(clock);
    for (let index = 0; index < 10_050; index++) throttle.failed(`name${index}`, `10.0.${index >> 8}.${index & 255}`);
    // The oldest were dropped to keep memory bounded; the newest are still counted.
    expect(throttle.failed('name10049', '10.0.0.1').failures).toBe(2);
    expect(throttle.failed('name0', '10.0.0.2').failures).toBe(1);
  });
});
