import { describe, expect, it } from 'vitest';
import {
  formatShardingItemParameters,
  parseShardingItemParameters,
} from '../../lib/config/sharding-item-parameters.js';
import {
  averageAllocation,
  odevity,
  roundRobin,
  singleShardingBalance,
} from '../../lib/sharding/sharding-strategies.js';
import { javaStringHashCode } from '../../lib/utils/java-string-hash.js';

const asObject = (map: Map<string, number[]>) => Object.fromEntries(map);

describe('AVG_ALLOCATION (ElasticJob examples)', () => {
  it.each<[number, Record<string, number[]>]>([
    [9, { a: [0, 1, 2], b: [3, 4, 5], c: [6, 7, 8] }],
    [8, { a: [0, 1, 6], b: [2, 3, 7], c: [4, 5] }],
    [10, { a: [0, 1, 2, 9], b: [3, 4, 5], c: [6, 7, 8] }],
    [2, { a: [0], b: [1], c: [] }],
  ])('3 instances, %i items', (count, expected) => {
    expect(asObject(averageAllocation(['a', 'b', 'c'], count))).toEqual(expected);
  });

  it('no instances, no assignment', () => {
    expect(averageAllocation([], 3).size).toBe(0);
  });
});

describe('ODEVITY', () => {
  it('an odd hash keeps the order, an even hash reverses it', () => {
    // "a" hashes to 97 (odd), "b" to 98 (even).
    expect(javaStringHashCode('a') % 2).toBe(1);
    expect(asObject(odevity(['1', '2', '3'], 'a', 2))).toEqual({ '1': [0], '2': [1], '3': [] });
    expect(asObject(odevity(['1', '2', '3'], 'b', 2))).toEqual({ '3': [0], '2': [1], '1': [] });
  });

  it('a negative odd hash counts as odd (Java: -1 != 0), a negative even one as even', () => {
    // Values from Java's String.hashCode.
    expect(javaStringHashCode('job-negative-odd')).toBe(-671461465);
    expect(javaStringHashCode('zzzzzzzzzzz')).toBe(-1765712838);
    expect(asObject(odevity(['1', '2', '3'], 'job-negative-odd', 2))).toEqual({ '1': [0], '2': [1], '3': [] });
    expect(asObject(odevity(['1', '2', '3'], 'zzzzzzzzzzz', 2))).toEqual({ '3': [0], '2': [1], '1': [] });
  });
});

describe('ROUND_ROBIN', () => {
  it('rotates by abs(hash) % instances', () => {
    // "a" = 97; 97 % 3 = 1: the list starts at its second instance.
    expect(asObject(roundRobin(['1', '2', '3'], 'a', 3))).toEqual({ '2': [0], '3': [1], '1': [2] });
    expect(asObject(roundRobin(['1', '2', '3'], 'a', 1))).toEqual({ '2': [0], '3': [], '1': [] });
  });

  it('survives a name hashing to Integer.MIN_VALUE (where Java fails)', () => {
    expect(javaStringHashCode('polygenelubricants')).toBe(-2147483648);
    const result = roundRobin(['1', '2', '3'], 'polygenelubricants', 3);
    expect([...result.values()].flat().sort()).toEqual([0, 1, 2]);
  });
});

describe('SINGLE_SHARDING_BALANCE', () => {
  it('rotates by abs(hash + (int) now) % instances', () => {
    // hash("a") = 97; now = 2 → offset (99 % 3) = 0; now = 3 → 100 % 3 = 1.
    expect(asObject(singleShardingBalance(['1', '2', '3'], 'a', 1, 2))).toEqual({ '1': [0], '2': [], '3': [] });
    expect(asObject(singleShardingBalance(['1', '2', '3'], 'a', 1, 3))).toEqual({ '2': [0], '3': [], '1': [] });
  });
});

describe('shardingItemParameters', () => {
  it('parses as ElasticJob does', () => {
    expect(parseShardingItemParameters('0=A,1=B, 2 = C ,')).toEqual(
      new Map([
        [0, 'A'],
        [1, 'B'],
        [2, 'C'],
      ]),
    );
    expect(parseShardingItemParameters('')).toEqual(new Map());
    expect(() => parseShardingItemParameters('0=')).toThrow(/not of the form item=parameter/);
    expect(() => parseShardingItemParameters('0=A=B')).toThrow(/not of the form item=parameter/);
  });

  it('writes the record form as ElasticJob text, items ascending', () => {
    expect(formatShardingItemParameters({ 2: 'Guangzhou', 0: 'Beijing', 1: 'Shanghai' })).toBe(
      '0=Beijing,1=Shanghai,2=Guangzhou',
    );
  });
});
