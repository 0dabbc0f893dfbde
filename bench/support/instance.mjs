// One instance for the benchmarks, in its own process, on the built package.
// Settings (environment):
//   ZK, NAMESPACE, INSTANCE_ID, SESSION_TIMEOUT_MS (default 4000)
//   MODE=elastic (default) | schedule (the same jobs under plain @nestjs/schedule @Cron)
//   JOBS (default 1), JOB (name, or prefix when JOBS > 1), COUNT (items), CRON
//   ITEM_MS (how long an item takes), FAILOVER, MISFIRE, MONITOR_EXECUTION (true|false)
//   EVENTS=starts: one line per item start (default); EVENTS=none: only the summary lines
//   REPORT_ASSIGNED=1: print {"event":"assigned"} once every job has an owner for every item
//   AUTO_START=false: join the cluster and fire only on the stdin command "start"
//   TRACING=postgres://...: the execution log on (its rows written there)
// Stdout: JSON lines. Commands on stdin: "stats" prints requests, memory and lateness samples.
import 'reflect-metadata';
import { createInterface } from 'node:readline';
import { Injectable, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Cron, ScheduleModule } from '@nestjs/schedule';
import { ELASTIC_JOB_REGISTRY_CENTER, ElasticJob, ElasticJobModule, JobOperator } from 'nestjs-elastic-job';

const env = process.env;
const mode = env.MODE ?? 'elastic';
const jobCount = Number(env.JOBS ?? 1);
const jobName = (index) => (jobCount === 1 ? (env.JOB ?? 'bench-job') : `${env.JOB ?? 'bench-job'}-${index}`);
const itemMs = Number(env.ITEM_MS ?? 0);
const emitStarts = (env.EVENTS ?? 'starts') === 'starts';
const bool = (value, fallback) => (value === undefined ? fallback : value === 'true');
const emit = (line) => process.stdout.write(`${JSON.stringify(line)}\n`);

/** Handler start minus scheduled fire time, per run, in ms (fractional). */
const lateness = [];
const now = () => performance.timeOrigin + performance.now();

class BenchJobs {}
for (let index = 0; index < jobCount; index += 1) {
  const name = jobName(index);
  const method = `job${index}`;
  BenchJobs.prototype[method] = async function (context) {
    const start = now();
    if (mode === 'schedule') {
      // @nestjs/schedule gives no fire time: the nearest whole second is the scheduled one.
      lateness.push(start - Math.round(start / 1000) * 1000);
    } else {
      lateness.push(start - context.fireTime.getTime());
      if (emitStarts) {
        emit({
          event: 'start',
          job: name,
          item: context.shardingItem,
          fire: context.fireTime.getTime(),
          source: context.executionSource,
          t: Math.round(start),
        });
      }
    }
    if (itemMs > 0) await new Promise((resolve) => setTimeout(resolve, itemMs));
  };
  const descriptor = Object.getOwnPropertyDescriptor(BenchJobs.prototype, method);
  if (mode === 'schedule') {
    Cron(env.CRON ?? '* * * * * *', { name })(BenchJobs.prototype, method, descriptor);
  } else {
    ElasticJob({
      name,
      cron: env.CRON ?? '* * * * * ?',
      shardingTotalCount: Number(env.COUNT ?? 1),
      failover: bool(env.FAILOVER, false),
      misfire: bool(env.MISFIRE, true),
      monitorExecution: bool(env.MONITOR_EXECUTION, true),
      overwrite: true,
    })(BenchJobs.prototype, method, descriptor);
  }
}
Injectable()(BenchJobs);

class BenchModule {}
Module({
  imports:
    mode === 'schedule'
      ? [ScheduleModule.forRoot()]
      : [
          ElasticJobModule.forRoot({
            zookeeper: {
              serverLists: env.ZK,
              namespace: env.NAMESPACE,
              sessionTimeoutMs: Number(env.SESSION_TIMEOUT_MS ?? 4000),
            },
            instanceId: env.INSTANCE_ID,
            serverIp: '127.0.0.1',
            logger: false,
            shutdownTimeoutMs: 3000,
            autoStart: env.AUTO_START !== 'false',
            ...(env.TRACING ? { tracing: { type: 'RDB', dataSource: env.TRACING } } : {}),
          }),
        ],
  providers: [BenchJobs],
})(BenchModule);

// createApplicationContext() runs init: module init registers every job in ZooKeeper.
const initStart = performance.now();
const app = await NestFactory.createApplicationContext(BenchModule, { logger: false, abortOnError: false });
await app.init();
const initMs = performance.now() - initStart;
emit({ event: 'ready', pid: process.pid, initMs });

if (mode !== 'schedule' && env.REPORT_ASSIGNED) {
  const operator = app.get(JobOperator);
  const names = operator.getJobNames();
  // From the cache: every item of every job owned by a live instance.
  const assigned = () =>
    names.every((name) => {
      const count = operator.getJobConfiguration(name).shardingTotalCount;
      return operator.getInstances(name).reduce((sum, instance) => sum + instance.items.length, 0) === count;
    });
  while (!assigned()) await new Promise((resolve) => setTimeout(resolve, 20));
  emit({ event: 'assigned', assignedMs: performance.now() - initStart, rss: process.memoryUsage().rss });
}

createInterface({ input: process.stdin }).on('line', (line) => {
  if (line.trim() === 'start') {
    app
      .get(JobOperator)
      .start()
      .then(() => emit({ event: 'started' }));
    return;
  }
  if (line.trim() !== 'stats') return;
  const registry = mode === 'schedule' ? undefined : app.get(ELASTIC_JOB_REGISTRY_CENTER);
  const memory = process.memoryUsage();
  emit({
    event: 'stats',
    requests: registry?.requestCounts?.() ?? {},
    rss: memory.rss,
    heapUsed: memory.heapUsed,
    lateness: lateness.splice(0),
  });
});

process.on('SIGTERM', async () => {
  await app.close();
  emit({ event: 'closed' });
  process.exit(0);
});
