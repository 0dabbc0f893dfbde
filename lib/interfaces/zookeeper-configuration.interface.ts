/** How to reach ZooKeeper (ElasticJob's `ZookeeperConfiguration`): the module's `zookeeper` option. */
export interface ZookeeperConfiguration {
  /** `host:port,host:port`. */
  serverLists: string;
  /** Every node lives under `/{namespace}`. */
  namespace: string;
  /** Requested session timeout (the server may clamp it). Default 30000. */
  sessionTimeoutMs?: number;
  /** `app.init()` fails when no session is made within it. Default 15000. */
  connectionTimeoutMs?: number;
  /** `user:password`; nodes are then created with creator-only ACLs. */
  digest?: string;
}
