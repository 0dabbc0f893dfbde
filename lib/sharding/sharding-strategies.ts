/**
 * ElasticJob's sharding strategies, as pure functions giving the same assignment as Java for
 * the same input: instances in ElasticJob's order (reverse lexicographic ids), Java
 * `String.hashCode` for the job name.
 */
import type { JobShardingStrategy } from '../interfaces/job-sharding-strategy.interface.js';
import { javaAbs, javaStringHashCode } from '../utils/java-string-hash.js';

/**
 * `AVG_ALLOCATION`: `floor(n/k)` consecutive items each, in list order; the remainder
 * `n % k` one by one to the first instances.
 */
export function averageAllocation(instances: readonly string[], count: number): Map<string, number[]> {
  const result = new Map<string, number[]>();
  if (instances.length === 0) return result;
  const per = Math.floor(count / instances.length);
  instances.forEach((instance, index) => {
    const items: number[] = [];
    for (let item = index * per; item < (index + 1) * per; item += 1) items.push(item);
    result.set(instance, items);
  });
  const remainder = count % instances.length;
  for (let index = 0; index < remainder; index += 1) {
    result.get(instances[index]!)!.push(per * instances.length + index);
  }
  return result;
}

/** Java's list rotation by `offset`, where Java would index with `(i + offset) % k`. */
function rotate(instances: readonly string[], offset: number): string[] {
  const k = instances.length;
  if (offset === 0) return [...instances];
  // abs(Integer.MIN_VALUE) is negative in Java (and makes Java fail with an index error);
  // we wrap the index instead of failing.
  return instances.map((_, i) => instances[(((i + offset) % k) + k) % k]!);
}

/** `ODEVITY`: an even job-name hash reverses the list, then AVG_ALLOCATION. */
export function odevity(instances: readonly string[], jobName: string, count: number): Map<string, number[]> {
  const hash = javaStringHashCode(jobName);
  const list = hash % 2 === 0 ? [...instances].reverse() : [...instances];
  return averageAllocation(list, count);
}

/** `ROUND_ROBIN`: rotate by `abs(hash) % k`, then AVG_ALLOCATION. */
export function roundRobin(instances: readonly string[], jobName: string, count: number): Map<string, number[]> {
  if (instances.length === 0) return new Map();
  const offset = javaAbs(javaStringHashCode(jobName)) % instances.length;
  return averageAllocation(rotate(instances, offset), count);
}

/**
 * `SINGLE_SHARDING_BALANCE`: rotate by `abs(hash + (int) now) % k`, then AVG_ALLOCATION.
 * It depends on the clock by design (it spreads single-item jobs over time).
 */
export function singleShardingBalance(
  instances: readonly string[],
  jobName: string,
  count: number,
  nowMillis: number,
): Map<string, number[]> {
  if (instances.length === 0) return new Map();
  // Java's (int) cast of a long keeps the low 32 bits.
  const nowInt = Number(BigInt.asIntN(32, BigInt(Math.trunc(nowMillis))));
  const offset = javaAbs((javaStringHashCode(jobName) + nowInt) | 0) % instances.length;
  return averageAllocation(rotate(instances, offset), count);
}

export const BUILT_IN_STRATEGIES: Record<string, JobShardingStrategy> = {
  AVG_ALLOCATION: { sharding: (instances, _jobName, count) => averageAllocation(instances, count) },
  ODEVITY: { sharding: odevity },
  ROUND_ROBIN: { sharding: roundRobin },
  SINGLE_SHARDING_BALANCE: {
    sharding: (instances, jobName, count) => singleShardingBalance(instances, jobName, count, Date.now()),
  },
};
