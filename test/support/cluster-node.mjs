// One instance of a test cluster in its own process (built package, real ZooKeeper).
// Prints one JSON line per executed item, and {"event": ...} lines for the parent test.
//   ZK, NAMESPACE, INSTANCE_ID, SERVER_IP, JOB, COUNT, CRON, SESSION_TIMEOUT_MS, FAILOVER, ITEM_MS
//   HANG_ON_SHARDING=n: on its n-th resharding as leader, stop right before clearing the
//   resharding flag (assignments written) and wait to be killed.
import 'reflect-metadata';
import { Injectable, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ELASTIC_JOB_REGISTRY_CENTER, ElasticJob, ElasticJobModule } from '../../dist/index.js';
import { ZookeeperRegistryCenter } from '../../dist/registry/index.js';

const env = process.env;
const instanceId = env.INSTANCE_ID;
const emit = (line) => process.stdout.write(`${JSON.stringify(line)}\n`);
const itemMs = Number(env.ITEM_MS ?? 0);

class Job {
  async run(ctx) {
    emit({
      fire: ctx.fireTime.getTime(),
      item: ctx.shardingItem,
      instance: instanceId,
      source: ctx.executionSource,
      start: Date.now(),
    });
    if (itemMs > 0) await new Promise((resolve) => setTimeout(resolve, itemMs));
  }
}
Injectable()(Job);
ElasticJob({
  name: env.JOB ?? 'cluster-job',
  cron: env.CRON ?? '* * * * * ?',
  shardingTotalCount: Number(env.COUNT ?? 6),
  failover: env.FAILOVER === 'true',
})(Job.prototype, 'run', Object.getOwnPropertyDescriptor(Job.prototype, 'run'));

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
  providers: [Job],
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
