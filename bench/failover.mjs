// Crash to failover: SIGKILL an instance in the middle of an item of a `failover: true` job,
// time from the kill to that item starting on a survivor (source FAILOVER).
import { fireOnEvery, Instance } from './support/cluster.mjs';
import { summarize } from './support/stats.mjs';

export const title = 'Crash to failover';

export const quickOptions = { rounds: 2 };

export async function run({ server, rounds = 10, sessionTimeoutMs = 4_000, log }) {
  const samples = [];
  for (let round = 1; round <= rounds; round += 1) {
    const namespace = `bench-failover-${Date.now()}-${round}`;
    const env = {
      ZK: server.connectString,
      NAMESPACE: namespace,
      JOB: 'failover-bench',
      COUNT: '3',
      CRON: '0/2 * * * * ?',
      ITEM_MS: '30000',
      AUTO_START: 'false',
      FAILOVER: 'true',
      MISFIRE: 'false',
      SESSION_TIMEOUT_MS: String(sessionTimeoutMs),
    };
    const instances = ['a', 'b', 'c'].map((name) => new Instance(`127.0.0.1@-@${name}${round}`, env));
    try {
      await Promise.all(instances.map((instance) => instance.ready()));
      // All three join together, so the first fire already spreads the items.
      await Promise.all(instances.map((instance) => instance.start()));
      // A fire in which each instance runs one item: all three are mid-item.
      const fire = await fireOnEvery(instances, 75_000);
      // Killed at a random point of the item: the session ends a session timeout after the
      // instance's last request or heartbeat (every third of it), so when matters.
      await new Promise((resolve) => setTimeout(resolve, 300 + Math.random() * 1_700));
      const victim = instances[round % 3];
      const item = victim.events.find((event) => event.event === 'start' && event.fire === fire).item;
      const survivors = instances.filter((instance) => instance !== victim);
      const failedOver = Promise.race(
        survivors.map((survivor) =>
          survivor.next(
            (event) => event.event === 'start' && event.source === 'FAILOVER' && event.item === item,
            sessionTimeoutMs + 30_000,
            `failover of item ${item}`,
          ),
        ),
      );
      const killedAt = Date.now();
      victim.kill('SIGKILL');
      const started = await failedOver;
      const ms = started.t - killedAt;
      samples.push(ms);
      log(`  round ${round}: item ${item} restarted ${ms} ms after the kill`);
    } finally {
      for (const instance of instances) instance.kill('SIGKILL');
      await Promise.all(instances.map((instance) => instance.exited));
    }
  }
  const summary = summarize(samples);
  const targetMs = sessionTimeoutMs + 1_000;
  return {
    sessionTimeoutMs,
    serverTickTimeMs: 200,
    targetMs,
    killToFailoverStartMs: summary,
    samplesMs: samples,
    withinTarget: samples.filter((ms) => ms <= targetMs).length,
    met: summary.max <= targetMs,
    figures: [
      [`kill -9 to FAILOVER start (session ${sessionTimeoutMs} ms)`, summary],
      [`  minus the session timeout`, summarize(samples.map((ms) => ms - sessionTimeoutMs))],
    ],
  };
}
