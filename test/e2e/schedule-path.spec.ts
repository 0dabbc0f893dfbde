import { Injectable, type Type } from '@nestjs/common';
import { Cron, CronExpression, ScheduleModule, SchedulerRegistry } from '@nestjs/schedule';
import { Test } from '@nestjs/testing';
import { describe, expect, it } from 'vitest';
import { ElasticJob } from '../../lib/decorators/elastic-job.decorator.js';
import { ElasticJobModule } from '../../lib/elastic-job.module.js';
import { InvalidJobOptionsError } from '../../lib/errors/invalid-job-options.error.js';
import type { ShardingContext } from '../../lib/interfaces/sharding-context.interface.js';
import { JobOperator } from '../../lib/job.operator.js';
import { RecordingLogger } from '../support/registry.js';
import { useZooKeeperServer } from '../support/suite.js';
import { uniqueNamespace, waitFor } from '../support/wait.js';

// From @nestjs/schedule: an existing @Cron() method made cluster-wide by @ElasticJob() written
// above it, in apps that also run ScheduleModule.forRoot() with other @Cron() methods.

const zookeeper = useZooKeeperServer();

interface Run {
  instance: string;
  method: 'heartbeat' | 'local';
  at: number;
  fireTime?: number;
  item?: number;
}

function tasks(runs: Run[], instance: string) {
  @Injectable()
  class Tasks {
    /** Was `@Cron(CronExpression.EVERY_SECOND, { name: 'heartbeat' })` on every replica. */
    @ElasticJob({ shardingTotalCount: 2 })
    @Cron(CronExpression.EVERY_SECOND, { name: 'heartbeat', timeZone: 'Europe/Paris' })
    heartbeat(context: ShardingContext) {
      runs.push({
        instance,
        method: 'heartbeat',
        at: Date.now(),
        fireTime: context.fireTime.getTime(),
        item: context.shardingItem,
      });
    }

    /** Still @nestjs/schedule's: runs on every replica. */
    @Cron(CronExpression.EVERY_SECOND)
    local() {
      runs.push({ instance, method: 'local', at: Date.now() });
    }
  }
  return Tasks;
}

async function app(namespace: string, instance: string, runs: Run[]) {
  const moduleRef = await Test.createTestingModule({
    imports: [
      ScheduleModule.forRoot(),
      ElasticJobModule.forRoot({
        zookeeper: { serverLists: zookeeper.server().connectString, namespace, sessionTimeoutMs: 4_000 },
        instanceId: instance,
        serverIp: '127.0.0.1',
        logger: new RecordingLogger(),
        shutdownTimeoutMs: 2_000,
      }),
    ],
    providers: [tasks(runs, instance)],
  }).compile();
  const nest = moduleRef.createNestApplication({ logger: false });
  await nest.init();
  return nest;
}

describe('a @Cron() method made cluster-wide', () => {
  it('runs once per fire across 3 instances, while the other @Cron() methods still run on every one', async () => {
    const namespace = uniqueNamespace('schedule');
    const runs: Run[] = [];
    const ids = ['127.0.0.1@-@cron-a', '127.0.0.1@-@cron-b', '127.0.0.1@-@cron-c'];
    const nests = [];
    try {
      for (const id of ids) nests.push(await app(namespace, id, runs));
      const operator = nests[0]!.get(JobOperator);
      // Cron, name and zone came from @Cron(), in Quartz form with the same meaning.
      expect(operator.getJobConfiguration('heartbeat')).toMatchObject({
        cron: '* * * * * ?',
        timeZone: 'Europe/Paris',
        shardingTotalCount: 2,
      });
      // @nestjs/schedule holds only the other method.
      for (const nest of nests)
        expect([...nest.get(SchedulerRegistry).getCronJobs().keys()]).not.toContain('heartbeat');
      await waitFor('all 3 instances joined', () => operator.getInstances('heartbeat').length === 3);
      const from = Date.now() + 1_500;
      await waitFor(
        'six seconds of fires after the joins',
        () => runs.some((run) => run.method === 'heartbeat' && run.fireTime! >= from + 6_000),
        30_000,
      );
      const fires = new Map<number, Run[]>();
      for (const run of runs.filter(
        (run) => run.method === 'heartbeat' && run.fireTime! >= from && run.fireTime! < from + 6_000,
      )) {
        fires.set(run.fireTime!, [...(fires.get(run.fireTime!) ?? []), run]);
      }
      expect(fires.size).toBeGreaterThanOrEqual(5);
      for (const [, fire] of fires) expect(fire.map((run) => run.item).sort()).toEqual([0, 1]);
      // The undecorated one ran on every instance, every second, as before.
      const local = runs.filter((run) => run.method === 'local' && run.at >= from && run.at < from + 6_000);
      for (const id of ids) expect(local.filter((run) => run.instance === id).length).toBeGreaterThanOrEqual(4);
    } finally {
      await Promise.all(nests.map((nest) => nest.close()));
    }
  }, 90_000);

  it('refuses what cannot run with the meaning it had: no name, a date, both day fields, an initial delay, @ElasticJob() below @Cron()', async () => {
    const cases: Array<[() => object, RegExp]> = [
      [
        () => {
          class Unnamed {
            @ElasticJob({ shardingTotalCount: 1 })
            @Cron('0 0 1 * * *')
            run() {}
          }
          return Unnamed;
        },
        /@Cron\(\) has no name and @ElasticJob\(\) none/,
      ],
      [
        () => {
          class OneOff {
            @ElasticJob({ shardingTotalCount: 1, name: 'once' })
            @Cron(new Date(Date.now() + 60_000))
            run() {}
          }
          return OneOff;
        },
        /a date, which is a one-off/,
      ],
      [
        () => {
          class BothDays {
            @ElasticJob({ shardingTotalCount: 1 })
            @Cron('0 0 1 13 * 5', { name: 'friday-13th' })
            run() {}
          }
          return BothDays;
        },
        /has no Quartz form with the same meaning/,
      ],
      [
        () => {
          class Delayed {
            @ElasticJob({ shardingTotalCount: 1 })
            @Cron('0 0 1 * * *', { name: 'delayed', initialDelay: 5_000 })
            run() {}
          }
          return Delayed;
        },
        /initialDelay has no equivalent/,
      ],
      [
        () => {
          class Below {
            @Cron('0 0 1 * * *', { name: 'below' })
            @ElasticJob({ shardingTotalCount: 1, name: 'below', cron: '0 0 1 * * ?' })
            run() {}
          }
          return Below;
        },
        /write @ElasticJob\(\) above @Cron\(\)/,
      ],
    ];
    for (const [make, message] of cases) {
      const Tasks = make() as Type;
      Injectable()(Tasks);
      const moduleRef = await Test.createTestingModule({
        imports: [
          ScheduleModule.forRoot(),
          ElasticJobModule.forRoot({
            zookeeper: { serverLists: zookeeper.server().connectString, namespace: uniqueNamespace('schedule-bad') },
            logger: new RecordingLogger(),
          }),
        ],
        providers: [Tasks],
      }).compile();
      const nest = moduleRef.createNestApplication({ logger: false });
      const failed = await nest.init().then(
        () => undefined,
        (error: unknown) => error,
      );
      await nest.close().catch(() => undefined);
      expect(failed).toBeInstanceOf(InvalidJobOptionsError);
      expect(String(failed)).toMatch(message);
    }
  });
});
