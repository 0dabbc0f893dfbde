// Ensemble leader loss: how long clients take to get their session back. A 3-node ensemble,
// clients (registry centers) with a given session timeout; the quorum leader is killed, and
// each client's time from SUSPENDED to RECONNECTED (same session) or LOST is recorded; the
// leader is restarted and the round repeats. Runs on its own ensemble: `npm run bench -- reconnect`.
import { ZookeeperRegistryCenter } from 'nestjs-elastic-job/registry';
import { ZooKeeperTestingCluster } from 'nestjs-elastic-job/testing';
import { summarize } from './support/stats.mjs';

export const title = 'Ensemble leader loss: client reconnect';
export const ownZooKeeper = true;
export const quickOptions = { rounds: 2 };

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const quiet = { log() {}, warn() {}, error() {} };

export async function run({ rounds = 6, clients = 4, sessionTimeoutMs = 6_000, followerFirst = false, log }) {
  const ensemble = await ZooKeeperTestingCluster.start();
  const reconnectMs = [];
  const lostMs = [];
  let sessionsKept = 0;
  let sessionsLost = 0;
  try {
    for (let round = 1; round <= rounds; round += 1) {
      const centers = Array.from(
        { length: clients },
        () =>
          new ZookeeperRegistryCenter(
            { serverLists: ensemble.connectString, namespace: `bench-reconnect-${round}`, sessionTimeoutMs },
            quiet,
          ),
      );
      await Promise.all(centers.map((center) => center.init()));
      const outcomes = centers.map((center) => {
        const outcome = {};
        center.addConnectionStateListener((change) => {
          const now = Date.now();
          if (change.state === 'SUSPENDED' && outcome.suspended === undefined) outcome.suspended = now;
          if (change.state === 'RECONNECTED' && !change.newSession && outcome.back === undefined) outcome.back = now;
          if (change.state === 'LOST' && outcome.lost === undefined) outcome.lost = now;
        });
        return outcome;
      });
      if (followerFirst) {
        // A follower killed and brought back first (as in the ensemble test): it is then the
        // newest member when the leader goes.
        const follower = ((await ensemble.leaderIndex()) + 1) % ensemble.servers.length;
        await ensemble.servers[follower].kill();
        await sleep(4_000);
        await ensemble.servers[follower].restart();
      }
      const leader = await ensemble.leaderIndex();
      const killedAt = Date.now();
      await ensemble.servers[leader].kill();
      // Long enough for every client to settle one way or the other.
      await sleep(sessionTimeoutMs * 2 + 2_000);
      for (const outcome of outcomes) {
        if (outcome.back !== undefined && outcome.lost === undefined) {
          sessionsKept += 1;
          reconnectMs.push(outcome.back - killedAt);
        } else {
          sessionsLost += 1;
          if (outcome.lost !== undefined) lostMs.push(outcome.lost - killedAt);
        }
      }
      log(
        `  round ${round}: ${outcomes.filter((o) => o.back !== undefined && o.lost === undefined).length}/${clients} kept their session`,
      );
      await Promise.all(centers.map((center) => center.close()));
      await ensemble.servers[leader].restart();
    }
  } finally {
    await ensemble.close();
  }
  const figures = [];
  if (reconnectMs.length) figures.push(['leader killed to the same session back', summarize(reconnectMs)]);
  if (lostMs.length) figures.push(['leader killed to the session given up', summarize(lostMs)]);
  figures.push(['sessions kept / lost', `${sessionsKept} / ${sessionsLost} (session timeout ${sessionTimeoutMs} ms)`]);
  return { sessionTimeoutMs, sessionsKept, sessionsLost, reconnectMs, lostMs, figures, met: sessionsLost === 0 };
}
