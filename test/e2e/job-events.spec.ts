import { Injectable } from '@nestjs/common';
import { EventEmitterModule, OnEvent } from '@nestjs/event-emitter';
import { Test } from '@nestjs/testing';
import { describe, expect, it } from 'vitest';
import { ElasticJobModule } from '../../lib/elastic-job.module.js';
import { JobOperator } from '../../lib/job.operator.js';
import { RecordingLogger } from '../support/registry.js';
import { ELASTIC_JOB_REGISTRY_CENTER } from '../../lib/elastic-job.constants.js';
import { JobEventStream } from '../../lib/events/job-event-stream.js';
import type { JobEvent, JobEventOf } from '../../lib/interfaces/job-event.interface.js';
import type { ZookeeperRegistryCenter } from '../../lib/registry/zookeeper.registry-center.js';
import { expireSession } from '../../lib/testing/index.js';
import { jobClass, type TestApp } from '../support/nest-apps.js';
import { useZooKeeperServer } from '../support/suite.js';
import { uniqueNamespace, waitFor } from '../support/wait.js';

const zookeeper = useZooKeeperServer();
const { apps } = zookeeper;

const NEVER = '0 0 3 1 1 ? 2099';

/** An app whose job events, from before it joins, are recorded. */
async function startRecording(namespace: string, instanceId: string, failing: number) {
  const Job = jobClass(
    { name: 'told', cron: NEVER, shardingTotalCount: 4, shardingItemParameters: '0=a,1=b,2=c,3=d' },
    (context) => {
      if (context.shardingItem === failing) throw new Error(`item ${failing} broke`);
    },
  );
  const app = await apps.create(namespace, [Job], { instanceId }, false);
  const events: JobEvent[] = [];
  app.app.get(JobEventStream).events$.subscribe((event) => events.push(event));
  await app.app.init();
  return { ...app, events };
}

const ofType = <T extends JobEvent['type']>(events: readonly JobEvent[], type: T) =>
  events.filter((event): event is JobEventOf<T> => event.type === type);

async function bothAssigned(a: TestApp): Promise<void> {
  await waitFor(
    'an assignment over both instances',
    () => {
      const instances = a.operator.getInstances('told');
      return instances.length === 2 && instances.every((instance) => instance.items.length === 2);
    },
    20_000,
  );
}

describe('the job event stream', () => {
  it('tells every item run on the instance that ran it, start and end, with its source, task id and outcome, and the cluster around it', async () => {
    const namespace = uniqueNamespace('events');
    const a = await startRecording(namespace, 'ev1@-@1', 3);
    const b = await startRecording(namespace, 'ev2@-@2', 3);
    await bothAssigned(a);
    const runOnB = b.operator.nextRun('told', { source: 'MANUAL', timeoutMs: 20_000 });
    const runOnA = await a.operator.triggerAndWait('told', { timeoutMs: 20_000 });
    await runOnB;

    const started = [...ofType(a.events, 'item-started'), ...ofType(b.events, 'item-started')];
    expect(started.map((event) => event.item).sort()).toEqual([0, 1, 2, 3]);
    for (const { app, events } of [
      { app: a, events: a.events },
      { app: b, events: b.events },
    ]) {
      const fire = ofType(events, 'fire-scheduled').find((event) => event.source === 'MANUAL')!;
      const mine = ofType(events, 'item-started');
      expect(fire.items).toEqual(mine.map((event) => event.item).sort());
      expect(fire.shardingTotalCount).toBe(4);
      for (const start of mine) {
        expect(start).toMatchObject({ job: 'told', instanceId: app.instanceId, source: 'MANUAL' });
        expect(start.taskId).toBe(`told@-@${fire.items.join(',')}@-@READY@-@${app.instanceId}`);
        expect(start.shardingParameter).toBe('abcd'[start.item]);
        const end = ofType(events, 'item-finished').filter((event) => event.item === start.item);
        expect(end).toHaveLength(1);
        expect(end[0]).toMatchObject({ taskId: start.taskId, source: 'MANUAL', startedAt: start.startedAt });
        expect(end[0]!.status).toBe(start.item === 3 ? 'FAILED' : 'SUCCEEDED');
        if (start.item === 3) expect(String(end[0]!.error)).toMatch(/item 3 broke/);
        expect(events.indexOf(end[0]!)).toBeGreaterThan(events.indexOf(start));
      }
    }
    expect(runOnA.items.length).toBe(2);

    // The cluster around the fire: one leader told on both, its assignment, the second joining.
    const leaders = [a, b].map((app) => ofType(app.events, 'leader-changed').at(-1)?.instance);
    expect(leaders[0]).toBeDefined();
    expect(leaders[1]).toBe(leaders[0]);
    const leader = leaders[0] === a.instanceId ? a : b;
    const resharded = ofType(leader.events, 'resharded').at(-1)!;
    expect(new Set(Object.values(resharded.items))).toEqual(new Set([a.instanceId, b.instanceId]));
    expect(ofType(a.events, 'instance-joined').map((event) => event.instance)).toContain(b.instanceId);
  });

  it('tells the session lost and restored, and a listener that throws is logged and changes nothing', async () => {
    const namespace = uniqueNamespace('events-session');
    const a = await startRecording(namespace, 'ev3@-@3', -1);
    const stream = a.app.get(JobEventStream);
    const seen: string[] = [];
    stream.on(
      (event) => {
        seen.push(event.type);
        throw new Error('a listener broke');
      },
      ['item-started', 'item-finished'],
    );
    const run = await a.operator.triggerAndWait('told', { timeoutMs: 20_000 });
    expect(run.items.map((item) => item.status)).toEqual(['SUCCEEDED', 'SUCCEEDED', 'SUCCEEDED', 'SUCCEEDED']);
    expect(seen.filter((type) => type === 'item-finished')).toHaveLength(4);
    expect(a.logger.lines.some((line) => line.message.includes('A job event listener failed on "item-started"'))).toBe(
      true,
    );

    const registry = a.app.get<ZookeeperRegistryCenter>(ELASTIC_JOB_REGISTRY_CENTER);
    const old = registry.sessionCredentials!;
    await expireSession(zookeeper.server().connectString, old);
    const restored = await waitFor(
      'the session restored',
      () => ofType(a.events, 'session-restored').find((event) => event.newSession),
      20_000,
    );
    const lost = ofType(a.events, 'session-lost');
    expect(lost).toHaveLength(1);
    expect(lost[0]!.sessionId).toBe(old.id);
    expect(restored.sessionId).not.toBe(old.id);
    expect(a.events.indexOf(restored)).toBeGreaterThan(a.events.indexOf(lost[0]!));
  });

  it('reaches an app that uses @nestjs/event-emitter as elastic-job.{type} events', async () => {
    const namespace = uniqueNamespace('events-emitter');
    const heard: JobEvent[] = [];
    @Injectable()
    class Audit {
      @OnEvent('elastic-job.item-finished')
      finished(event: JobEvent) {
        heard.push(event);
      }
    }
    const Job = jobClass({ name: 'emitted', cron: NEVER, shardingTotalCount: 2 }, () => undefined);
    const moduleRef = await Test.createTestingModule({
      imports: [
        EventEmitterModule.forRoot(),
        ElasticJobModule.forRoot({
          zookeeper: { serverLists: zookeeper.server().connectString, namespace, sessionTimeoutMs: 4_000 },
          serverIp: '127.0.0.1',
          logger: new RecordingLogger(),
        }),
      ],
      providers: [Job, Audit],
    }).compile();
    const app = moduleRef.createNestApplication({ logger: false });
    await app.init();
    try {
      await app.get(JobOperator).triggerAndWait('emitted', { timeoutMs: 20_000 });
      await waitFor('both items heard', () => heard.length === 2, 5_000);
      expect(heard.map((event) => event.type)).toEqual(['item-finished', 'item-finished']);
      expect(heard.map((event) => (event as JobEventOf<'item-finished'>).item).sort()).toEqual([0, 1]);
    } finally {
      await app.close();
    }
  });
});
