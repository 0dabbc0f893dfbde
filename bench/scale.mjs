// Scale: 1,000 jobs in one process (boot to every job assigned, memory, ZooKeeper watches and
// nodes), and 5 instances × 200 jobs (the whole cluster resharded after one instance leaves).
import { AssignmentWatcher, Instance, openRegistry } from './support/cluster.mjs';
import { round, summarize } from './support/stats.mjs';

export const title = 'Scale: 1,000 jobs in one process; 5 instances × 200 jobs';
export const quickOptions = { jobs: 100, boots: 1, clusterInstances: 3, clusterJobs: 30 };

const NEVER_IN_THE_RUN = '0 0 3 * * ?';
const MB = 2 ** 20;

async function oneProcess(server, jobs, log) {
  const namespace = `bench-scale-${Date.now()}`;
  const before = await server.mntr();
  const instance = new Instance('127.0.0.1@-@scale', {
    ZK: server.connectString,
    NAMESPACE: namespace,
    JOBS: String(jobs),
    JOB: 'scale',
    COUNT: '3',
    CRON: NEVER_IN_THE_RUN,
    EVENTS: 'none',
    REPORT_ASSIGNED: '1',
  });
  try {
    const ready = await instance.ready(120_000);
    const assigned = await instance.next((e) => e.event === 'assigned', 120_000, 'every job assigned');
    const stats = await instance.stats();
    const after = await server.mntr();
    const requests = Object.values(stats.requests).reduce((sum, n) => sum + n, 0);
    const result = {
      jobs,
      initMs: Math.round(ready.initMs),
      initToAssignedMs: Math.round(assigned.assignedMs),
      rssMb: round(assigned.rss / MB),
      rssAfterMb: round(stats.rss / MB),
      heapUsedMb: round(stats.heapUsed / MB),
      zookeeperWatches: after.watchCount - before.watchCount,
      zookeeperNodes: after.znodeCount - before.znodeCount,
      requestsSent: requests,
      requestsByOperation: stats.requests,
    };
    log(
      `  ${jobs} jobs: initialised in ${result.initMs} ms, every job assigned ${result.initToAssignedMs} ms after init began`,
    );
    return result;
  } finally {
    await instance.stop();
  }
}

async function cluster(server, count, jobs, log) {
  const namespace = `bench-scale-cluster-${Date.now()}`;
  const registry = await openRegistry(server.connectString, namespace);
  const env = {
    ZK: server.connectString,
    NAMESPACE: namespace,
    JOBS: String(jobs),
    JOB: 'fleet',
    COUNT: '10',
    CRON: NEVER_IN_THE_RUN,
    EVENTS: 'none',
  };
  const instances = Array.from({ length: count }, (_, i) => new Instance(`127.0.0.1@-@fleet${i}`, env));
  const names = Array.from({ length: jobs }, (_, i) => `fleet-${i}`);
  try {
    const bootStarted = Date.now();
    await Promise.all(instances.map((instance) => instance.ready(180_000)));
    const watcher = await AssignmentWatcher.start(registry, '/');
    await watcher.when(
      () => names.every((job) => watcher.settled(job, (owners) => new Set(owners).size === Math.min(count, 10))),
      180_000,
      'every job assigned over every instance',
    );
    const bootMs = Date.now() - bootStarted;
    const leaver = instances[count - 1];
    const leftAt = Date.now();
    const stopped = leaver.stop();
    const reshardedAt = await watcher.when(
      () => names.every((job) => watcher.settled(job, (owners) => !owners.includes(leaver.id))),
      120_000,
      'every job resharded without the leaver',
    );
    await stopped;
    const exitedMs = Date.now() - leftAt;
    watcher.close();
    const result = {
      instances: count,
      jobsPerInstance: jobs,
      bootToAllAssignedMs: bootMs,
      leaveToAllReshardedMs: reshardedAt - leftAt,
      leaverExitedAfterMs: exitedMs,
    };
    log(`  ${count} × ${jobs}: resharded ${result.leaveToAllReshardedMs} ms after SIGTERM to one instance`);
    return result;
  } finally {
    await Promise.all(instances.map((instance) => instance.stop()));
    await registry.close();
  }
}

export async function run({ server, jobs = 1000, boots = 3, clusterInstances = 5, clusterJobs = 200, log }) {
  // Several boots (a fresh namespace each): the median and the spread, not one draw.
  const runs = [];
  for (let boot = 0; boot < boots; boot += 1) runs.push(await oneProcess(server, jobs, log));
  const byTime = [...runs].sort((a, b) => a.initToAssignedMs - b.initToAssignedMs);
  const single = byTime[Math.floor((byTime.length - 1) / 2)];
  const boot = summarize(runs.map((r) => r.initToAssignedMs));
  const rss = summarize(runs.map((r) => r.rssAfterMb));
  const fleet = await cluster(server, clusterInstances, clusterJobs, log);
  return {
    oneProcess: single,
    oneProcessRuns: runs,
    initToAssignedMs: boot,
    rssAfterMb: rss,
    cluster: fleet,
    targets: { initToAssignedMs: 10_000, rssMb: 200 },
    met: boot.p50 < 10_000 && rss.max < 200,
    figures: [
      [`${jobs} jobs: init to every job assigned (target < 10 s)`, boot],
      [`${jobs} jobs: RSS once assigned (target < 200 MB)`, rss, 'MB'],
      [`${jobs} jobs: ZooKeeper watches / nodes`, `${single.zookeeperWatches} / ${single.zookeeperNodes}`],
      [`${jobs} jobs: requests sent to boot`, `${single.requestsSent}`],
      [`${clusterInstances} × ${clusterJobs}: boot to every job assigned`, `${fleet.bootToAllAssignedMs} ms`],
      [`${clusterInstances} × ${clusterJobs}: one leaves, all resharded`, `${fleet.leaveToAllReshardedMs} ms`],
    ],
  };
}
