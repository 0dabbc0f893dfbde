// Join and leave: time from an instance joining (its instance node appears) or leaving
// gracefully (SIGTERM, app.close()) to the new assignment being complete in ZooKeeper, and
// whether the next fire ran with it.
import { AssignmentWatcher, Instance, openRegistry, sleep } from './support/cluster.mjs';
import { summarize } from './support/stats.mjs';

export const title = 'Join and leave to a complete assignment';
export const quickOptions = { rounds: 2 };

const JOB = 'membership-bench';
const COUNT = 6;
const MARGIN_MS = 500;

export async function run({ server, rounds = 10, log }) {
  const namespace = `bench-membership-${Date.now()}`;
  const env = {
    ZK: server.connectString,
    NAMESPACE: namespace,
    JOB,
    COUNT: String(COUNT),
    CRON: '* * * * * ?',
    ITEM_MS: '20',
  };
  const registry = await openRegistry(server.connectString, namespace);
  const steady = ['a', 'b', 'c'].map((name) => new Instance(`127.0.0.1@-@${name}`, env));
  const joins = [];
  const leaves = [];
  const leavesFromNodeGone = [];
  const nextFireUsedJoin = [];
  const nextFireUsedLeave = [];
  const joinMarginMs = [];
  const appliedOnTime = [];
  try {
    await Promise.all(steady.map((instance) => instance.ready()));
    const watcher = await AssignmentWatcher.start(registry, `/${JOB}`);
    await watcher.when(() => watcher.settled(JOB, (owners) => new Set(owners).size === 3), 30_000, '3 owners');

    for (let round = 1; round <= rounds; round += 1) {
      // Join at a random point of the second, as a real deployment would.
      await sleep(1_500 + Math.random() * 1_000);
      const id = `127.0.0.1@-@joiner${round}`;
      const joinedAt = watcher.when(() => watcher.live(JOB).includes(id), 60_000, `${id} registered`);
      const joiner = new Instance(id, env);
      const registeredAt = await joinedAt;
      const assignedAt = await watcher.when(
        () => watcher.settled(JOB, (owners) => owners.includes(id)),
        30_000,
        `an assignment with ${id}`,
      );
      joins.push(assignedAt - registeredAt);
      const nextFire = Math.ceil((assignedAt + 1) / 1000) * 1000;
      joinMarginMs.push(nextFire - assignedAt);
      // An assignment applies from the first fire at least 500 ms after the leader wrote it.
      const applyFire = Math.ceil((assignedAt + MARGIN_MS) / 1000) * 1000;
      const firstRun = await joiner
        .next((event) => event.event === 'start', 10_000, 'a first run')
        .then((event) => event.fire)
        .catch(() => undefined);
      nextFireUsedJoin.push(firstRun === nextFire);
      appliedOnTime.push(firstRun !== undefined && firstRun <= applyFire);

      await sleep(1_000 + Math.random() * 1_000);
      const leftAt = Date.now();
      const nodeGone = watcher.when(() => !watcher.live(JOB).includes(id), 30_000, `${id} gone`);
      const stopped = joiner.stop();
      const reassignedAt = await watcher.when(
        () => watcher.settled(JOB, (owners) => !owners.includes(id)),
        30_000,
        `an assignment without ${id}`,
      );
      const goneAt = await nodeGone;
      leaves.push(reassignedAt - leftAt);
      leavesFromNodeGone.push(reassignedAt - goneAt);
      const fireAfter = Math.ceil((reassignedAt + 1) / 1000) * 1000;
      await sleep(Math.max(0, fireAfter - Date.now()) + 400);
      // The next fire ran every item exactly once (the leaver runs its old items until the
      // assignment without it applies).
      const items = [...steady, joiner].flatMap((instance) =>
        instance.events.filter((event) => event.event === 'start' && event.fire === fireAfter).map((e) => e.item),
      );
      nextFireUsedLeave.push(new Set(items).size === COUNT && items.length === COUNT);
      await stopped;
      log(
        `  round ${round}: join ${joins.at(-1)} ms (next fire ${nextFireUsedJoin.at(-1) ? 'used it' : 'did not'}),` +
          ` leave ${leaves.at(-1)} ms from SIGTERM (next fire ran every item once: ${nextFireUsedLeave.at(-1)})`,
      );
    }
    watcher.close();
  } finally {
    await Promise.all(steady.map((instance) => instance.stop()));
    await registry.close();
  }
  const join = summarize(joins);
  const leave = summarize(leaves);
  const count = (flags) => `${flags.filter(Boolean).length}/${flags.length}`;
  return {
    rounds,
    joinToAssignedMs: join,
    leaveToAssignedMs: leave,
    instanceNodeGoneToAssignedMs: summarize(leavesFromNodeGone),
    assignedBeforeNextFireMarginMs: summarize(joinMarginMs),
    nextFireUsedJoin: count(nextFireUsedJoin),
    joinerRanByFirstFireAfterMargin: count(appliedOnTime),
    nextFireCompleteAfterLeave: count(nextFireUsedLeave),
    targetMs: 1_000,
    met: join.max < 1_000 && leave.max < 1_000 && nextFireUsedLeave.every(Boolean) && appliedOnTime.every(Boolean),
    figures: [
      ['join: instance node to assignment complete', join],
      ['leave: SIGTERM to assignment complete', leave],
      ['leave: instance node gone to assignment complete', summarize(leavesFromNodeGone)],
      ['join: assignment complete before next fire by', summarize(joinMarginMs)],
      ['next fire ran on the joiner', count(nextFireUsedJoin)],
      ['joiner ran by the first fire 500 ms after', count(appliedOnTime)],
      ['next fire after a leave: every item once', count(nextFireUsedLeave)],
    ],
  };
}
