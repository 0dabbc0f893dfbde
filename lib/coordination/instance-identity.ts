/** Who this instance is in ZooKeeper: ElasticJob's `JobInstance`. */
export interface InstanceIdentity {
  /** `instances/{instanceId}`; ElasticJob's default format is `{ip}@-@{pid}`. */
  instanceId: string;
  /** `servers/{serverIp}`: enable and disable work per IP, as in ElasticJob. */
  serverIp: string;
}

export const INSTANCE_DELIMITER = '@-@';

// Several Nest applications in one process (tests, workers) must not share an instance id.
const idsInUse = new Map<string, number>();

/** Reserves `{ip}@-@{pid}` (then `{ip}@-@{pid}-2`, ...) for one application in this process. */
export function reserveDefaultInstanceId(
  namespace: string,
  serverIp: string,
): { instanceId: string; release: () => void } {
  const base = `${serverIp}${INSTANCE_DELIMITER}${process.pid}`;
  let suffix = 1;
  let instanceId = base;
  while (idsInUse.has(`${namespace}\0${instanceId}`)) {
    suffix += 1;
    instanceId = `${base}-${suffix}`;
  }
  const key = `${namespace}\0${instanceId}`;
  idsInUse.set(key, 1);
  return { instanceId, release: () => idsInUse.delete(key) };
}
