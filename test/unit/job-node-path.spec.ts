import { describe, expect, it } from 'vitest';
import { JobNodePath } from '../../lib/coordination/job-node-path.js';

describe('what the job cache follows', () => {
  const path = new JobNodePath('order-sync');

  it.each([
    ['/order-sync/sharding/0', ['instance', 'disabled', 'misfire', 'failover', 'failovering']],
    ['/order-sync/sharding/12', ['instance', 'disabled', 'misfire', 'failover', 'failovering']],
    ['/order-sync/config', []],
    ['/order-sync/servers/10.0.0.1', []],
    ['/order-sync/instances/10.0.0.1@-@42', []],
    ['/order-sync/leader/election/instance', []],
    ['/order-sync/leader/election/latch', []],
    ['/order-sync/leader/failover/latch', []],
    ['/order-sync/leader/sharding/plan', []],
    ['/order-sync/leader/failover/items/2', []],
    ['/order-sync/trigger/10.0.0.1@-@42', []],
  ])('%s: only %j', (key, children) => {
    expect(path.cachedChildrenOf(key)).toEqual(children);
  });

  it.each([
    '/order-sync',
    '/order-sync/sharding',
    '/order-sync/servers',
    '/order-sync/leader',
    '/order-sync/sharding/x',
    '/other-job/config',
  ])('%s: every child (a child watch)', (key) => {
    expect(path.cachedChildrenOf(key)).toBeUndefined();
  });
});
