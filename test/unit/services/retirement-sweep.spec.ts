import { DomainLocks, HeldLock } from '../../../src/mta-sts/services/domain-locks';
import type { NotificationsService } from '../../../src/mta-sts/services/notifications.service';
import type { RetirementService } from '../../../src/mta-sts/services/retirement.service';
import { RetirementSweep } from '../../../src/mta-sts/services/retirement-sweep';
import { FakeDomainStore } from './fake-domain-store';

const NOW = new Date('2026-11-26T12:00:00Z');
const hour = (h: number) => new Date(NOW.getTime() + h * 3_600_000);

/** RetirementSweep against an in-memory store and stand-ins that record what they are asked. */
describe('RetirementSweep', () => {
  let store: FakeDomainStore;
  let removed: string[];
  let notices: Array<{ kind: string; domain: string; subject: string; text: string }>;
  let failOn: string | undefined;

  function sweep(): RetirementSweep {
    const retirement = {
      removeHostLocked: async (held: HeldLock, entity: { name: string }) => {
        held.assertHolds(entity.name);
        if (entity.name === failOn) throw new Error('nginx refused the change');
        removed.push(entity.name);
        return {
          recordsToRemove: [{ name: `_mta-sts.${entity.name}`, type: 'TXT', value: 'v=STSv1; id=x' }],
          note: 'Remove the TXT record first.',
        };
      },
    } as unknown as RetirementService;
    const notifications = { send: (notice: (typeof notices)[number]) => notices.push(notice) };
    return new RetirementSweep(
      store,
      { now: () => NOW },
      new DomainLocks(),
      retirement,
      notifications as unknown as NotificationsService,
    );
  }

  beforeEach(() => {
    store = new FakeDomainStore();
    removed = [];
    notices = [];
    failOn = undefined;
  });

  it('removes the hosts whose retirement has ended, and tells the admin which records to delete', async () => {
    store.put({ name: 'due.example', state: 'retiring', retireUntil: hour(-1) });
    store.put({ name: 'later.example', state: 'retiring', retireUntil: hour(5) });
    store.put({ name: 'active.example', state: 'active', retireUntil: null });
    expect(await sweep().finishDue()).toBe(1);
    expect(removed).toEqual(['due.example']);
    expect(notices).toEqual([
      expect.objectContaining({
        kind: 'retired',
        domain: 'due.example',
        subject: 'due.example: MTA-STS retirement finished',
        text: expect.stringContaining('- _mta-sts.due.example TXT v=STSv1; id=x'),
      }),
    ]);
  });

  it('leaves a domain Enable brought back meanwhile, and goes on past a domain whose removal fails', async () => {
    const back = store.put({ name: 'back.example', state: 'retiring', retireUntil: hour(-1) });
    store.put({ name: 'broken.example', state: 'retiring', retireUntil: hour(-2) });
    store.put({ name: 'fine.example', state: 'retiring', retireUntil: hour(-3) });
    failOn = 'broken.example';
    const run = sweep();
    // Enable cancelled the retirement between the query and the lock.
    const original = store.findById.bind(store);
    store.findById = async (id) => {
      const row = await original(id);
      return row && row.id === back.id ? { ...row, state: 'changing' } : row;
    };
    expect(await run.finishDue()).toBe(1);
    expect(removed).toEqual(['fine.example']);
    expect(notices.map((notice) => notice.domain)).toEqual(['fine.example']);
  });
});
