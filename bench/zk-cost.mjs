// ZooKeeper cost per fire: requests the server receives (mntr) and the requests each instance
// sends, by operation, per fire and instance, for a 10-item job on 3 instances firing every
// second, with monitorExecution off and on.
import { fireOnEvery, Instance, sleep } from './support/cluster.mjs';
import { round } from './support/stats.mjs';

export const title = 'ZooKeeper requests per fire';
export const quickOptions = { windowS: 6 };

const JOB = 'cost-bench';
const COUNT = 10;
const INSTANCES = 3;
// A long session: pings (every third of it) stay a small, measured, constant.
const SESSION_TIMEOUT_MS = 30_000;
// ElasticJob 3.x, per fire per instance (reference §3.23): about 6 fixed + 7 per local item.
const ELASTICJOB_FIXED = 6;
const ELASTICJOB_PER_ITEM = 7;

async function startCluster(server, namespace, cron, monitorExecution) {
  const env = {
    ZK: server.connectString,
    NAMESPACE: namespace,
    JOB,
    COUNT: String(COUNT),
    CRON: cron,
    MONITOR_EXECUTION: String(monitorExecution),
    SESSION_TIMEOUT_MS: String(SESSION_TIMEOUT_MS),
  };
  const instances = Array.from({ length: INSTANCES }, (_, i) => new Instance(`127.0.0.1@-@cost${i}`, env));
  await Promise.all(instances.map((instance) => instance.ready()));
  return instances;
}

/** mntr and per-instance request counts over `windowS` seconds. */
async function measure(server, instances, windowS) {
  const before = await Promise.all(instances.map((instance) => instance.stats()));
  const mntrBefore = await server.mntr();
  const t0 = Date.now();
  await sleep(windowS * 1000);
  const mntrAfter = await server.mntr();
  const after = await Promise.all(instances.map((instance) => instance.stats()));
  const t1 = Date.now();
  const fires = new Set(
    instances.flatMap((instance) =>
      instance.events.filter((e) => e.event === 'start' && e.t >= t0 && e.t <= t1).map((e) => e.fire),
    ),
  );
  const requests = instances.map((_, i) => {
    const delta = {};
    for (const [op, n] of Object.entries(after[i].requests)) {
      const d = n - (before[i].requests[op] ?? 0);
      if (d > 0) delta[op] = d;
    }
    return delta;
  });
  // Four-letter words are not packets; the mntr calls add nothing here.
  return {
    packets: mntrAfter.packetsReceived - mntrBefore.packetsReceived,
    fires: fires.size,
    requests,
    windowMs: t1 - t0,
  };
}

export async function run({ server, windowS = 20, log }) {
  const stamp = Date.now();
  // Idle: the same cluster shape with a job that never fires in the window (pings only).
  const idleCluster = await startCluster(server, `bench-cost-idle-${stamp}`, '0 0 0 1 1 ? 2099', true);
  await sleep(3_000);
  const idle = await measure(server, idleCluster, windowS);
  await Promise.all(idleCluster.map((instance) => instance.stop()));
  const idlePerSecond = idle.packets / (idle.windowMs / 1000);
  log(`  idle: ${idle.packets} packets in ${idle.windowMs} ms (pings of ${INSTANCES} sessions)`);

  const modes = {};
  for (const monitorExecution of [false, true]) {
    const instances = await startCluster(
      server,
      `bench-cost-${monitorExecution}-${stamp}`,
      '* * * * * ?',
      monitorExecution,
    );
    // Warm up: every instance has run its items in one fire, then a few more fires.
    await fireOnEvery(instances, 30_000);
    await sleep(3_000);
    const result = await measure(server, instances, windowS);
    await Promise.all(instances.map((instance) => instance.stop()));

    const netPackets = result.packets - idlePerSecond * (result.windowMs / 1000);
    const perFirePerInstance = netPackets / (result.fires * INSTANCES);
    const byOperation = {};
    for (const delta of result.requests) {
      for (const [op, n] of Object.entries(delta)) byOperation[op] = (byOperation[op] ?? 0) + n;
    }
    const perFire = Object.fromEntries(
      Object.entries(byOperation).map(([op, n]) => [op, round(n / (result.fires * INSTANCES), 2)]),
    );
    const reads = ['getData', 'getChildren', 'exists'].reduce((sum, op) => sum + (byOperation[op] ?? 0), 0);
    const localItems = COUNT / INSTANCES;
    const key = monitorExecution ? 'monitorExecutionOn' : 'monitorExecutionOff';
    modes[key] = {
      fires: result.fires,
      windowMs: result.windowMs,
      serverPackets: result.packets,
      serverPacketsPerFirePerInstance: round(perFirePerInstance, 2),
      clientRequestsPerFirePerInstance: perFire,
      readsPerFirePerInstance: round(reads / (result.fires * INSTANCES), 2),
      expectedPerFirePerInstance: monitorExecution ? round(2 * localItems, 2) : 0,
    };
    log(
      `  monitorExecution ${monitorExecution ? 'on ' : 'off'}: ${result.fires} fires, ${result.packets} packets;` +
        ` by operation per fire per instance: ${JSON.stringify(perFire)}`,
    );
  }
  const localItems = COUNT / INSTANCES;
  const elasticJob = round(ELASTICJOB_FIXED + ELASTICJOB_PER_ITEM * localItems, 1);
  const off = modes.monitorExecutionOff;
  const on = modes.monitorExecutionOn;
  return {
    job: { items: COUNT, instances: INSTANCES, cron: 'every second', sessionTimeoutMs: SESSION_TIMEOUT_MS },
    idlePacketsPerSecond: round(idlePerSecond, 2),
    ...modes,
    elasticJobPerFirePerInstance: elasticJob,
    met:
      off.readsPerFirePerInstance === 0 &&
      on.readsPerFirePerInstance === 0 &&
      off.serverPacketsPerFirePerInstance < 0.5,
    figures: [
      ['requests per fire per instance, off (server)', `${off.serverPacketsPerFirePerInstance}   target 0`],
      [
        'requests per fire per instance, on (server)',
        `${on.serverPacketsPerFirePerInstance}   target ${on.expectedPerFirePerInstance} (create + delete per local item)`,
      ],
      [
        'reads per fire per instance (off / on)',
        `${off.readsPerFirePerInstance} / ${on.readsPerFirePerInstance}   target 0`,
      ],
      ['ElasticJob 3.x, same job (§3.23, inferred)', `~${elasticJob} (6 + 7 per local item)`],
    ],
  };
}
