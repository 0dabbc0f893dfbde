import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ClusterLog } from '../../lib/cluster-log.js';
import { JobEventStream } from '../../lib/events/job-event-stream.js';
import { RecordingLogger } from '../support/registry.js';

describe('ClusterLog', () => {
  let logger: RecordingLogger;
  let log: ClusterLog;
  let events: JobEventStream;

  beforeEach(() => {
    vi.useFakeTimers();
    logger = new RecordingLogger();
    events = new JobEventStream();
    events.bind('me@-@1', logger);
    log = new ClusterLog(logger, 'me@-@1', events, 1_000);
  });
  afterEach(() => vi.useRealTimers());

  it('tells an instance joining 1,000 jobs in one line, not 1,000', () => {
    for (let i = 0; i < 1_000; i += 1) events.emit({ type: 'instance-joined', job: `job-${i}`, instance: 'peer@-@2' });
    expect(logger.lines).toEqual([]);
    vi.advanceTimersByTime(1_000);
    expect(logger.lines).toEqual([
      {
        level: 'log',
        message: 'Instance peer@-@2 joined 1000 jobs: "job-0", "job-1", "job-2", "job-3", "job-4" and 995 more',
      },
    ]);
  });

  it('tells leadership, leaves and resharding per kind, naming this instance as such', () => {
    events.emit({ type: 'leader-changed', job: 'orders', instance: 'me@-@1' });
    events.emit({ type: 'instance-left', job: 'orders', instance: 'peer@-@2' });
    events.emit({ type: 'resharded', job: 'orders', items: { 0: 'peer@-@3' }, from: undefined });
    events.emit({
      type: 'resharded',
      job: 'orders',
      items: { 0: 'me@-@1', 1: 'peer@-@3', 2: 'me@-@1' },
      from: Date.UTC(2026, 10, 23, 12, 0, 5),
    });
    log.flush();
    expect(logger.lines.map((line) => `${line.level} ${line.message}`)).toEqual([
      'log This instance (me@-@1) is the leader of job "orders"',
      'log Instance peer@-@2 left job "orders"',
      'log Resharded job as leader: "orders" from the fire at 12:00:05.000: me@-@1 → 0, 2; peer@-@3 → 1',
    ]);
  });

  it('warns of fires skipped for want of ZooKeeper, and tells the fires that ran items here at debug level, batched', () => {
    const at = new Date(Date.UTC(2026, 10, 23, 12, 0, 6));
    events.emit({
      type: 'fire-scheduled',
      job: 'orders',
      fireTime: at,
      source: 'NORMAL_TRIGGER',
      items: [0, 2],
      queued: [],
      shardingTotalCount: 3,
      taskId: 'orders@-@0,2@-@READY@-@10.0.0.1@-@1',
    });
    events.emit({
      type: 'fire-scheduled',
      job: 'idle',
      fireTime: at,
      source: 'NORMAL_TRIGGER',
      items: [],
      queued: [],
      shardingTotalCount: 3,
      taskId: 'idle@-@@-@READY@-@10.0.0.1@-@1',
    });
    for (let i = 0; i < 20; i += 1)
      events.emit({
        type: 'fire-scheduled',
        job: `job-${i}`,
        fireTime: at,
        source: 'NORMAL_TRIGGER',
        items: [1],
        queued: [],
        shardingTotalCount: 3,
        taskId: `job-${i}@-@1@-@READY@-@10.0.0.1@-@1`,
      });
    events.emit({ type: 'fire-skipped', job: 'orders', fireTime: at, reason: 'no connection to ZooKeeper' });
    events.emit({ type: 'fire-skipped', job: 'reports', fireTime: at, reason: 'no connection to ZooKeeper' });
    expect(logger.lines).toEqual([]);
    log.close();
    expect(logger.lines).toHaveLength(2);
    expect(logger.lines[0]!.level).toBe('debug');
    expect(logger.lines[0]!.message).toMatch(
      /^Ran 21 fire\(s\) here: "orders" 12:00:06.000 \(NORMAL_TRIGGER\): items 0, 2; "job-0" .*; and 11 more$/,
    );
    expect(logger.lines[1]).toEqual({
      level: 'warn',
      message: 'Skipped 2 fire(s) (no connection to ZooKeeper): "orders" at 12:00:06.000, "reports" at 12:00:06.000',
    });
  });
});
