/** The sample's settings, from the environment (the demo sets them for each instance). */
export interface SampleConfig {
  /** ZooKeeper connect string. `ZK_SERVERS`, default `127.0.0.1:2181`. */
  zookeeperServers: string;
  /** `ZK_NAMESPACE`, default `elastic-job-sample`. */
  namespace: string;
  /** `ZK_SESSION_TIMEOUT_MS`, default 10000: how long a dead instance keeps its items. */
  sessionTimeoutMs: number;
  /** HTTP port. `PORT`, default 3000; 0 picks a free one. */
  port: number;
  /** `INSTANCE_ID`, default ElasticJob's `{ip}@-@{pid}`. */
  instanceId?: string;
  /** `SERVER_IP`, default the host's first non-loopback IPv4 address. */
  serverIp?: string;
  /** How long one batch of the archive job takes. `ARCHIVE_BATCH_MS`, default 1000. */
  archiveBatchMs: number;
  /** `SAMPLE_EVENTS=json`: one JSON line per item start and end on stdout (read by the demo). */
  jsonEvents: boolean;
  /** `TRACING_URL`: a postgres:// URL for the execution log; none by default. */
  tracingUrl?: string;
  /**
   * `CONSOLE_ADMIN_PASSWORD` (user `admin`) and `CONSOLE_GUEST_PASSWORD` (user `guest`): with
   * the first, the console is served at `/elastic-job/`; without it, not at all.
   */
  console?: { adminPassword: string; guestPassword?: string };
}

export const SAMPLE_CONFIG = Symbol('SAMPLE_CONFIG');

export function sampleConfigFromEnv(env: NodeJS.ProcessEnv = process.env): SampleConfig {
  const number = (name: string, fallback: number): number => {
    const raw = env[name];
    if (raw === undefined || raw === '') return fallback;
    const value = Number(raw);
    if (!Number.isInteger(value) || value < 0) {
      throw new Error(`${name} must be a whole number of 0 or more, got "${raw}"`);
    }
    return value;
  };
  return {
    zookeeperServers: env.ZK_SERVERS || '127.0.0.1:2181',
    namespace: env.ZK_NAMESPACE || 'elastic-job-sample',
    sessionTimeoutMs: number('ZK_SESSION_TIMEOUT_MS', 10_000),
    port: number('PORT', 3000),
    instanceId: env.INSTANCE_ID || undefined,
    serverIp: env.SERVER_IP || undefined,
    archiveBatchMs: number('ARCHIVE_BATCH_MS', 1_000),
    jsonEvents: env.SAMPLE_EVENTS === 'json',
    tracingUrl: env.TRACING_URL || undefined,
    console: env.CONSOLE_ADMIN_PASSWORD
      ? { adminPassword: env.CONSOLE_ADMIN_PASSWORD, guestPassword: env.CONSOLE_GUEST_PASSWORD || undefined }
      : undefined,
  };
}
