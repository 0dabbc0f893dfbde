import { describe, expect, it } from 'vitest';
import type { JobEvent } from '../../lib/interfaces/job-event.interface.js';
import { failureCause, rowsOf, TEXT_COLUMN_LENGTH } from '../../lib/tracing/execution-log.rows.js';

const origin = { hostname: 'host-a', ip: '10.0.0.7' };
const instanceId = '10.0.0.7@-@4242';
const at = new Date(Date.UTC(2026, 10, 24, 1, 0, 0));
const fireTime = new Date(Date.UTC(2026, 10, 24, 1, 0, 0));
const taskId = 'orders@-@0,2@-@READY@-@10.0.0.7@-@4242';

function event<T extends JobEvent['type']>(type: T, fields: object): JobEvent {
  return { type, job: 'orders', instanceId, at, ...fields } as unknown as JobEvent;
}

describe('execution log rows, as ElasticJob writes them', () => {
  it('a run is a row at its start, completed at its end; a manual trigger is written as a normal fire', () => {
    const startedAt = new Date(at.getTime() + 5);
    const common = { item: 2, executionId: 'e-1', taskId, fireTime, startedAt };
    const [start] = rowsOf(event('item-started', { ...common, source: 'MANUAL', shardingTotalCount: 3 }), origin);
    expect(start).toEqual({
      table: 'execution',
      row: {
        id: 'e-1',
        jobName: 'orders',
        taskId,
        hostname: 'host-a',
        ip: '10.0.0.7',
        shardingItem: 2,
        executionSource: 'NORMAL_TRIGGER',
        failureCause: null,
        isSuccess: false,
        startTime: startedAt,
        completeTime: null,
      },
    });
    const [done] = rowsOf(
      event('item-finished', { ...common, source: 'FAILOVER', status: 'SUCCEEDED', durationMs: 120 }),
      origin,
    );
    expect(done).toMatchObject({
      row: {
        executionSource: 'FAILOVER',
        isSuccess: true,
        failureCause: null,
        completeTime: new Date(startedAt.getTime() + 120),
      },
    });
  });

  it('a failed, timed-out or aborted run is not a success and keeps its cause, cut to the column', () => {
    const error = new Error('x'.repeat(5_000));
    for (const status of ['FAILED', 'TIMED_OUT', 'ABORTED'] as const) {
      const [row] = rowsOf(
        event('item-finished', {
          item: 0,
          executionId: 'e-2',
          taskId,
          fireTime,
          startedAt: at,
          source: 'MISFIRE',
          status,
          durationMs: 3,
          error,
        }),
        origin,
      );
      expect(row).toMatchObject({ row: { isSuccess: false, executionSource: 'MISFIRE' } });
      const cause = (row as { row: { failureCause: string } }).row.failureCause;
      expect(cause.length).toBe(TEXT_COLUMN_LENGTH);
      expect(cause.startsWith('Error: xxx')).toBe(true);
    }
    expect(failureCause('plain')).toBe('plain');
  });

  it("tells a trigger's own job parameter in its STAGING row", () => {
    const [row] = rowsOf(
      event('fire-scheduled', {
        fireTime,
        source: 'MANUAL',
        items: [0],
        queued: [],
        shardingTotalCount: 3,
        taskId,
        jobParameter: 'backfill',
      }),
      origin,
    );
    expect(row).toMatchObject({
      row: { state: 'TASK_STAGING', message: "Job 'orders' execute begin. Triggered with jobParameter 'backfill'." },
    });
  });

  it('a fire: STAGING when scheduled, RUNNING when its items start, FINISHED or ERROR with the causes by item', () => {
    const rows = [
      ...rowsOf(
        event('fire-scheduled', {
          fireTime,
          source: 'NORMAL_TRIGGER',
          items: [0, 2],
          queued: [],
          shardingTotalCount: 3,
          taskId,
        }),
        origin,
      ),
      ...rowsOf(event('fire-started', { taskId, fireTime, source: 'NORMAL_TRIGGER', items: [0, 2] }), origin),
      ...rowsOf(
        event('fire-finished', {
          taskId,
          fireTime,
          source: 'NORMAL_TRIGGER',
          items: [
            { item: 0, status: 'SUCCEEDED' },
            { item: 2, status: 'FAILED', error: new Error('boom') },
          ],
          queued: [],
        }),
        origin,
      ),
    ].map((entry) => entry.row as unknown as Record<string, unknown>);
    expect(
      rows.map((row) => [row.state, row.taskId, row.slaveId, row.executionType, row.shardingItem, row.originalTaskId]),
    ).toEqual([
      ['TASK_STAGING', taskId, '10.0.0.7', 'READY', '[0, 2]', ''],
      ['TASK_RUNNING', taskId, '10.0.0.7', 'READY', '[0, 2]', ''],
      ['TASK_ERROR', taskId, '10.0.0.7', 'READY', '[0, 2]', ''],
    ]);
    expect(rows[0]!.message).toBe("Job 'orders' execute begin.");
    expect(rows[1]!.message).toBe('');
    expect(rows[2]!.message).toMatch(/^\{2=Error: boom\n/);
    expect(new Set(rows.map((row) => row.id)).size).toBe(3);
  });

  it('a fire with nothing to run here, or only items still running, finishes with ElasticJob’s words', () => {
    const empty = rowsOf(
      event('fire-finished', {
        taskId: 'orders@-@@-@READY@-@10.0.0.7@-@4242',
        fireTime,
        source: 'NORMAL_TRIGGER',
        items: [],
        queued: [],
        skipped: [],
      }),
      origin,
    );
    expect(
      empty.map((entry) => [
        (entry.row as { state: string }).state,
        (entry.row as { message: string }).message,
        (entry.row as { shardingItem: string }).shardingItem,
      ]),
    ).toEqual([['TASK_FINISHED', "Sharding item for job 'orders' is empty.", '[]']]);
    const busy = rowsOf(
      event('fire-finished', { taskId, fireTime, source: 'NORMAL_TRIGGER', items: [], queued: [0, 2], skipped: [] }),
      origin,
    );
    expect((busy[0]!.row as { message: string }).message).toBe(
      "Previous job 'orders' - shardingItems '[0, 2]' is still running, misfired job will start after previous job completed.",
    );
  });

  it('a fire whose items all ran elsewhere says so rather than that it had none', () => {
    const rows = rowsOf(
      event('fire-finished', { taskId, fireTime, source: 'NORMAL_TRIGGER', items: [], queued: [], skipped: [0, 2] }),
      origin,
    );
    expect((rows[0]!.row as { message: string }).message).toBe(
      "Job 'orders' - shardingItems '[0, 2]' did not run here: running on another instance, or this instance lost its ZooKeeper session.",
    );
  });

  it('failed-over items are a fire of their own: STAGING and RUNNING when they start', () => {
    const rows = rowsOf(event('fire-started', { taskId, fireTime, source: 'FAILOVER', items: [1] }), origin);
    expect(rows.map((entry) => (entry.row as { state: string }).state)).toEqual(['TASK_STAGING', 'TASK_RUNNING']);
  });

  it('events the log does not keep write nothing', () => {
    expect(rowsOf(event('leader-changed', { instance: 'x' }), origin)).toEqual([]);
  });
});
