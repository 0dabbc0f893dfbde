import { describe, expect, it } from 'vitest';
import { findOwnLatchChild, latchNodePrefix, sortLatchChildren } from '../../lib/registry/curator-latch.js';
import {
  assertRegistryKey,
  isUnder,
  joinKey,
  parentKey,
  reverseLexicographic,
} from '../../lib/registry/registry-keys.js';
import { parseMntr } from '../../lib/testing/index.js';

describe('Curator latch naming', () => {
  it('names nodes _c_{uuid}-latch- and sorts by the sequence, not the uuid', () => {
    expect(latchNodePrefix('abc')).toBe('_c_abc-latch-');
    const children = ['_c_ffff-latch-0000000003', '_c_0000-latch-0000000007', '_c_9999-latch-0000000001'];
    expect(sortLatchChildren(children)).toEqual([
      '_c_9999-latch-0000000001',
      '_c_ffff-latch-0000000003',
      '_c_0000-latch-0000000007',
    ]);
  });

  it('finds its own node by uuid', () => {
    expect(findOwnLatchChild(['_c_a-latch-0000000001', '_c_b-latch-0000000002'], 'b')).toBe('_c_b-latch-0000000002');
    expect(findOwnLatchChild(['_c_a-latch-0000000001'], 'b')).toBeUndefined();
  });
});

describe('registry keys', () => {
  it.each([
    ['/', true],
    ['/job', true],
    ['/job/sharding/0/instance', true],
    ['job', false],
    ['/job/', false],
    ['/job//x', false],
    ['', false],
  ])('%s valid: %s', (key, valid) => {
    if (valid) expect(() => assertRegistryKey(key)).not.toThrow();
    else expect(() => assertRegistryKey(key)).toThrow(/Invalid registry key/);
  });

  it('joins, splits and compares keys', () => {
    expect(joinKey('/', 'job')).toBe('/job');
    expect(joinKey('/job', 'config')).toBe('/job/config');
    expect(parentKey('/job/config')).toBe('/job');
    expect(parentKey('/job')).toBe('/');
    expect(isUnder('/job/config', '/job')).toBe(true);
    expect(isUnder('/jobs/config', '/job')).toBe(false);
    expect(isUnder('/anything', '/')).toBe(true);
  });

  it('orders like Java String.compareTo, reversed', () => {
    // Java compares UTF-16 code units: uppercase before lowercase, digits before letters.
    expect(reverseLexicographic(['10.0.0.9@-@7', '10.0.0.10@-@7', 'b', 'B', '1'])).toEqual([
      'b',
      'B',
      '10.0.0.9@-@7',
      '10.0.0.10@-@7',
      '1',
    ]);
  });
});

describe('mntr parsing', () => {
  it('reads the figures tests count with', () => {
    const figures = parseMntr(
      'zk_version\t3.8.0\nzk_server_state\tstandalone\nzk_packets_received\t42\nzk_packets_sent\t41\n' +
        'zk_watch_count\t7\nzk_znode_count\t12\nzk_ephemerals_count\t2\nzk_num_alive_connections\t3\n',
    );
    expect(figures).toMatchObject({
      serverState: 'standalone',
      packetsReceived: 42,
      packetsSent: 41,
      watchCount: 7,
      znodeCount: 12,
      ephemeralsCount: 2,
      aliveConnections: 3,
    });
  });
});
