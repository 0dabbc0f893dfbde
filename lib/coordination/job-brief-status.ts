/** ElasticJob's job status, as its statistics API (and its console) computes it. */
export type JobBriefStatus = 'OK' | 'CRASHED' | 'DISABLED' | 'SHARDING_FLAG';

/**
 * `CRASHED` without a live instance; `DISABLED` when every server under `servers/` is disabled
 * (no server at all counts as every one disabled, as ElasticJob counts it); `SHARDING_FLAG`
 * when no item has an owner, or an owner is not a live instance; else `OK`. Pure.
 * @param instances live instance ids (`instances/` children)
 * @param servers each `servers/{ip}` and whether it is enabled
 * @param owners each item's owner (`sharding/{i}/instance`), undefined or empty when none
 */
export function jobBriefStatus(
  instances: readonly string[],
  servers: ReadonlyArray<{ ip: string; enabled: boolean }>,
  owners: ReadonlyArray<string | undefined>,
): JobBriefStatus {
  if (instances.length === 0) return 'CRASHED';
  if (servers.every((server) => !server.enabled)) return 'DISABLED';
  const live = new Set(instances);
  const named = owners.filter((owner): owner is string => !!owner);
  if (named.length === 0 || named.some((owner) => !live.has(owner))) return 'SHARDING_FLAG';
  return 'OK';
}
