import { describe, expect, it } from 'vitest';
import { ensureBuilt } from '../support/child-instances.js';
// @ts-expect-error: a plain ES module of the bench, without type declarations
import { runSoak } from '../../bench/soak/soak.mjs';

interface SoakResult {
  ok: boolean;
  faults: Array<{ kind: string }>;
  overlaps: unknown[];
  quiet: { firesChecked: number; wrong: unknown[] };
  failover: Array<{ late: boolean }>;
  stderr: Record<string, string>;
}

// The seeded fault-injection soak (bench/soak/soak.mjs), short, with fixed seeds whose
// schedules between them draw every kind of fault: 4 instance processes, a 3-node ensemble.
describe('seeded fault-injection soak', () => {
  it.each([
    [45, 'a trigger, a graceful stop, a SIGKILL and the ensemble leader lost', ['trigger', 'graceful', 'kill']],
    [17, 'a freeze past the session and the ensemble restarted', ['freeze', 'zookeeper-restart']],
  ])(
    'seed %i (%s): no item on two live instances at once, every quiet fire exactly once, failover in time',
    async (seed, _, kinds) => {
      ensureBuilt();
      const result = (await runSoak({ seed, seconds: 40 })) as SoakResult;
      // The schedule the seed draws is the one the test is named after.
      expect(result.faults.map((fault) => fault.kind)).toEqual(expect.arrayContaining(kinds));
      expect(result.overlaps).toEqual([]);
      expect(result.quiet.wrong).toEqual([]);
      expect(result.quiet.firesChecked).toBeGreaterThan(0);
      expect(result.failover.filter((entry) => entry.late)).toEqual([]);
    },
    240_000,
  );
});
