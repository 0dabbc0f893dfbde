import { describe, expect, it } from 'vitest';
import { JobEventStream } from '../../lib/events/job-event-stream.js';
import type { JobEvent } from '../../lib/interfaces/job-event.interface.js';
import { RecordingLogger } from '../support/registry.js';

const started = {
  type: 'item-started',
  job: 'orders',
  item: 0,
  executionId: '0b6d0a38-4a8e-4f0e-9d1c-0d6c1f3b2a11',
  taskId: 't',
  source: 'NORMAL_TRIGGER',
  fireTime: new Date(0),
  shardingTotalCount: 1,
  shardingParameter: undefined,
  startedAt: new Date(0),
} as const;

describe('JobEventStream', () => {
  it('stamps each event with this instance and the time, for every kind of subscriber', () => {
    const stream = new JobEventStream();
    stream.bind('me@-@1', new RecordingLogger());
    const all: JobEvent[] = [];
    const typed: JobEvent[] = [];
    const heard: JobEvent[] = [];
    stream.events$.subscribe((event) => all.push(event));
    stream.ofType('item-started').subscribe((event) => typed.push(event));
    stream.on((event) => heard.push(event), ['item-started']);
    stream.emit(started);
    stream.emit({ type: 'leader-changed', job: 'orders', instance: 'me@-@1' });
    expect(all.map((event) => event.type)).toEqual(['item-started', 'leader-changed']);
    expect(typed.map((event) => event.type)).toEqual(['item-started']);
    expect(heard.map((event) => event.type)).toEqual(['item-started']);
    expect(all[0]).toMatchObject({ ...started, instanceId: 'me@-@1' });
    expect(all[0]!.at).toBeInstanceOf(Date);
  });

  it('knows which types anyone wants, so that an event nobody wants is never built', () => {
    const stream = new JobEventStream();
    expect(stream.observed('item-started')).toBe(false);
    const off = stream.on(() => undefined, ['leader-changed']);
    expect(stream.observed('leader-changed')).toBe(true);
    expect(stream.observed('item-started')).toBe(false);
    const typed = stream.ofType('item-started', 'item-finished').subscribe();
    expect(stream.observed('item-started')).toBe(true);
    typed.unsubscribe();
    off();
    expect(stream.observed()).toBe(false);
    const every = stream.events$.subscribe();
    expect(stream.observed('session-lost')).toBe(true);
    every.unsubscribe();
    expect(stream.observed('session-lost')).toBe(false);
  });

  it('logs what a listener throws and keeps telling it', () => {
    const stream = new JobEventStream();
    const logger = new RecordingLogger();
    stream.bind('me@-@1', logger);
    let calls = 0;
    stream.on(() => {
      calls += 1;
      throw new Error('broken listener');
    });
    stream.emit(started);
    stream.emit(started);
    expect(calls).toBe(2);
    expect(logger.lines.filter((line) => line.level === 'error')).toHaveLength(2);
    expect(logger.lines[0]!.message).toBe('A job event listener failed on "item-started": Error: broken listener');
  });
});
