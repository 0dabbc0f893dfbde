import { networkInterfaces } from 'node:os';

/** Who this instance is in ZooKeeper: ElasticJob's `JobInstance`. */
export interface InstanceIdentity {
  /** `instances/{instanceId}`; ElasticJob's default format is `{ip}@-@{pid}`. */
  instanceId: string;
  /** `servers/{serverIp}`: enable and disable work per IP, as in ElasticJob. */
  serverIp: string;
}

export const INSTANCE_DELIMITER = '@-@';

/** The first non-internal IPv4 address, as ElasticJob picks it; loopback when there is none. */
export function detectServerIp(): string {
  for (const addresses of Object.values(networkInterfaces())) {
    for (const address of addresses ?? []) {
      if (address.family === 'IPv4' && !address.internal) return address.address;
    }
  }
  return '127.0.0.1';
}

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
