// One instance of the soak cluster, in its own process: a Nest app with the soak's two jobs,
// loading the built package by name. Every handler start and end is one JSON line on stdout
// (a pipe, written synchronously, so a SIGKILL loses nothing already written).
//   ZK, NAMESPACE, INSTANCE_ID, SESSION_TIMEOUT_MS, SHUTDOWN_TIMEOUT_MS, SOAK_JOBS (below), SOAK_LOG=1
import 'reflect-metadata';
import { Injectable, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ELASTIC_JOB_REGISTRY_CENTER, ElasticJob, ElasticJobModule } from 'nestjs-elastic-job';

const env = process.env;
const instance = env.INSTANCE_ID;
const emit = (line) => process.stdout.write(`${JSON.stringify(line)}\n`);
let runs = 0;

/** Sleeps `ms`, or rejects as soon as `signal` aborts (the soak's handlers honour it). */
function work(ms, signal) {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

async function recorded(job, ctx, ms) {
  const run = `${instance}#${(runs += 1)}`;
  emit({
    t: 'start',
    run,
    job,
    item: ctx.shardingItem,
    fire: ctx.fireTime.getTime(),
    source: ctx.executionSource,
    instance,
    at: Date.now(),
  });
  try {
    await work(ms, ctx.signal);
    emit({ t: 'end', run, at: Date.now(), status: 'done' });
  } catch (error) {
    emit({ t: 'end', run, at: Date.now(), status: 'aborted' });
    throw error;
  }
}

/**
 * The jobs, as JSON in SOAK_JOBS: `[{ name, cron, count, failover, itemMs, jitterMs, jobClassName }]`
 * (jobClassName: to share the job with a Java instance, bench/interop/java-mixed.mjs).
 * Default: the soak's two jobs (every second, 6 short items, no failover; every 2 s, 4 items
 * of 1.5 s, failover on).
 */
const JOBS = env.SOAK_JOBS
  ? JSON.parse(env.SOAK_JOBS)
  : [
      { name: 'soak-fast', cron: '* * * * * ?', count: 6, failover: false, itemMs: 50, jitterMs: 150 },
      { name: 'soak-slow', cron: '0/2 * * * * ?', count: 4, failover: true, itemMs: 1_500, jitterMs: 0 },
    ];

class SoakJobs {}
Injectable()(SoakJobs);
JOBS.forEach((job, index) => {
  const method = `job${index}`;
  SoakJobs.prototype[method] = async function (ctx) {
    await recorded(job.name, ctx, job.itemMs + Math.floor(Math.random() * (job.jitterMs ?? 0)));
  };
  ElasticJob({
    name: job.name,
    cron: job.cron,
    shardingTotalCount: job.count,
    failover: job.failover ?? false,
    jobErrorHandlerType: 'IGNORE',
    ...(job.jobClassName ? { jobClassName: job.jobClassName } : {}),
  })(SoakJobs.prototype, method, Object.getOwnPropertyDescriptor(SoakJobs.prototype, method));
});

class SoakModule {}
Module({
  imports: [
    ElasticJobModule.forRoot({
      zookeeper: {
        serverLists: env.ZK,
        namespace: env.NAMESPACE,
        sessionTimeoutMs: Number(env.SESSION_TIMEOUT_MS ?? 4000),
      },
      instanceId: instance,
      serverIp: '127.0.0.1',
      shutdownTimeoutMs: Number(env.SHUTDOWN_TIMEOUT_MS ?? 5_000),
      logger: env.SOAK_LOG === '1' ? undefined : false,
    }),
  ],
  providers: [SoakJobs],
})(SoakModule);

const app = await NestFactory.createApplicationContext(SoakModule, {
  logger: env.SOAK_LOG === '1' ? ['error', 'warn', 'log'] : false,
  abortOnError: false,
});
await app.init();
app
  .get(ELASTIC_JOB_REGISTRY_CENTER)
  .addConnectionStateListener((change) =>
    emit({ t: 'session', state: change.state, session: change.sessionId, instance, at: Date.now() }),
  );
emit({ t: 'ready', instance, at: Date.now() });
process.on('SIGTERM', async () => {
  emit({ t: 'stopping', instance, at: Date.now() });
  await app.close();
  emit({ t: 'closed', instance, at: Date.now() });
  process.exit(0);
});
