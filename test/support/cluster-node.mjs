// One instance of a test cluster in its own process (built package, real ZooKeeper).
// Prints one JSON line per executed item, and {"event": ...} lines for the parent test.
//   ZK, NAMESPACE, INSTANCE_ID, SERVER_IP, JOB, COUNT, CRON, SESSION_TIMEOUT_MS, FAILOVER, ITEM_MS
//   HANG_ON_SHARDING=n: on its n-th resharding as leader, stop right before clearing the
//   resharding flag (assignments written) and wait to be killed.
//   ITEM_MS_STEP: item i takes ITEM_MS + i * ITEM_MS_STEP (uneven items); ends are told too.
//   LISTEN_ONCE=true: a distribute-once listener (STARTED_TIMEOUT_MS, COMPLETED_TIMEOUT_MS)
//   telling each call; errors given to the job's error handler are told.
import 'reflect-metadata';
import { Injectable, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ELASTIC_JOB_REGISTRY_CENTER, ElasticJob, ElasticJobModule, JobListener } from '../../dist/index.js';
import { ZookeeperRegistryCenter } from '../../dist/registry/index.js';

const env = process.env;
const instanceId = env.INSTANCE_ID;
const emit = (line) => process.stdout.write(`${JSON.stringify(line)}\n`);
const itemMs = Number(env.ITEM_MS ?? 0);
const itemMsStep = Number(env.ITEM_MS_STEP ?? 0);

class Job {
  async run(ctx) {
    emit({
      fire: ctx.fireTime.getTime(),
      item: ctx.shardingItem,
      instance: instanceId,
      source: ctx.executionSource,
      start: Date.now(),
    });
    const ms = itemMs + ctx.shardingItem * itemMsStep;
    if (ms > 0) await new Promise((resolve) => setTimeout(resolve, ms));
    if (itemMsStep > 0) {
      emit({
        event: 'item-end',
        fire: ctx.fireTime.getTime(),
        item: ctx.shardingItem,
        instance: instanceId,
        at: Date.now(),
      });
    }
  }
}
Injectable()(Job);

class TellErrors {
  handleException(_job, error) {
    emit({ event: 'job-error', instance: instanceId, message: String(error?.message ?? error), at: Date.now() });
  }
}
Injectable()(TellErrors);

ElasticJob({
  name: env.JOB ?? 'cluster-job',
  cron: env.CRON ?? '* * * * * ?',
  shardingTotalCount: Number(env.COUNT ?? 6),
  failover: env.FAILOVER === 'true',
  ...(env.LISTEN_ONCE === 'true' ? { jobErrorHandlerType: TellErrors } : {}),
})(Job.prototype, 'run', Object.getOwnPropertyDescriptor(Job.prototype, 'run'));

class OnceListener {
  beforeJobExecuted(contexts) {
    emit({ event: 'once-before', fire: contexts.fireTime.getTime(), instance: instanceId, at: Date.now() });
  }
  afterJobExecuted(contexts) {
    emit({ event: 'once-after', fire: contexts.fireTime.getTime(), instance: instanceId, at: Date.now() });
  }
}
Injectable()(OnceListener);
JobListener({
  distributeOnce: {
    startedTimeoutMs: Number(env.STARTED_TIMEOUT_MS ?? 5000),
    completedTimeoutMs: Number(env.COMPLETED_TIMEOUT_MS ?? 60000),
  },
})(OnceListener);
const extraProviders = env.LISTEN_ONCE === 'true' ? [OnceListener, TellErrors] : [];

const zookeeper = {
  serverLists: env.ZK,
  namespace: env.NAMESPACE,
  sessionTimeoutMs: Number(env.SESSION_TIMEOUT_MS ?? 4000),
};

class HangingRegistry extends ZookeeperRegistryCenter {
  shardings = 0;
  async removeIfVersion(key, version) {
    if (key.endsWith('/leader/sharding/necessary')) {
      this.shardings += 1;
      if (this.shardings === Number(env.HANG_ON_SHARDING)) {
        emit({ event: 'about-to-clear-flag' });
        await new Promise(() => undefined);
      }
    }
    return super.removeIfVersion(key, version);
  }
}

class AppModule {}
Module({
  imports: [
    ElasticJobModule.forRoot({
      zookeeper,
      instanceId,
      serverIp: env.SERVER_IP ?? '127.0.0.1',
      logger: false,
      shutdownTimeoutMs: 3000,
    }),
  ],
  providers: [Job, ...extraProviders],
})(AppModule);

const app = await NestFactory.createApplicationContext(AppModule, {
  logger: false,
  abortOnError: false,
  preview: false,
});
if (env.HANG_ON_SHARDING) {
  // Swap the registry center before init: same options, plus the hang.
  const registry = app.get(ELASTIC_JOB_REGISTRY_CENTER);
  Object.setPrototypeOf(registry, HangingRegistry.prototype);
  registry.shardings = 0;
}
await app.init();
emit({ event: 'ready' });
process.on('SIGTERM', async () => {
  await app.close();
  emit({ event: 'closed' });
});
