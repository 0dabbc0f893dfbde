import { describe, expect, it } from 'vitest';
import { jobBriefStatus } from '../../lib/coordination/job-brief-status.js';

const on = (ip: string) => ({ ip, enabled: true });
const off = (ip: string) => ({ ip, enabled: false });

describe('a job’s status, as ElasticJob’s statistics API computes it', () => {
  it.each([
    ['no live instance', [], [on('10.0.0.1')], ['a'], 'CRASHED'],
    ['no live instance, even with everything disabled', [], [off('10.0.0.1')], [], 'CRASHED'],
    ['every server disabled', ['a'], [off('10.0.0.1'), off('10.0.0.2')], ['a'], 'DISABLED'],
    ['no server node at all (counted as all disabled)', ['a'], [], ['a'], 'DISABLED'],
    ['no item has an owner yet', ['a'], [on('10.0.0.1')], [undefined, ''], 'SHARDING_FLAG'],
    ['an owner that is gone', ['a'], [on('10.0.0.1')], ['a', 'b'], 'SHARDING_FLAG'],
    ['one server disabled, the other not', ['a', 'b'], [off('10.0.0.1'), on('10.0.0.2')], ['a', 'b'], 'OK'],
    ['some items unowned, the owners live', ['a'], [on('10.0.0.1')], ['a', undefined], 'OK'],
  ] as const)('%s: %s', (_, instances, servers, owners, expected) => {
    expect(jobBriefStatus(instances, servers, owners)).toBe(expected);
  });
});
