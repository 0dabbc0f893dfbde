/**
 * ElasticJob-Lite 3.x node layout under `/{namespace}/{jobName}` (the namespace prefix is the
 * registry center's business). The same paths, modes and data a Java instance uses.
 */
const CACHED_ITEM_CHILDREN = ['instance', 'disabled', 'misfire', 'failover', 'failovering'] as const;
const NO_CHILDREN: readonly string[] = [];
const LEAF_PATTERNS = [
  /^config$/,
  /^servers\/[^/]+$/,
  /^instances\/[^/]+$/,
  /^leaving\/[^/]+$/,
  /^trigger\/[^/]+$/,
  /^leader\/election\/instance$/,
  // The latches are Curator's, read directly by whoever takes them: the cache skips their nodes.
  /^leader\/(election|failover)\/latch$/,
  /^leader\/sharding\/(necessary|processing|plan)$/,
  /^leader\/failover\/items\/[^/]+$/,
  /^systemTime\/current$/,
  // ElasticJob's distribute-once barrier: written and read directly by whoever takes part.
  /^guarantee$/,
];

export class JobNodePath {
  readonly root: string;

  constructor(readonly jobName: string) {
    this.root = `/${jobName}`;
  }

  get config(): string {
    return `${this.root}/config`;
  }
  get servers(): string {
    return `${this.root}/servers`;
  }
  server(ip: string): string {
    return `${this.servers}/${ip}`;
  }
  get instances(): string {
    return `${this.root}/instances`;
  }
  instance(instanceId: string): string {
    return `${this.instances}/${instanceId}`;
  }
  get sharding(): string {
    return `${this.root}/sharding`;
  }
  shardingItem(item: number): string {
    return `${this.sharding}/${item}`;
  }
  itemInstance(item: number): string {
    return `${this.shardingItem(item)}/instance`;
  }
  itemRunning(item: number): string {
    return `${this.shardingItem(item)}/running`;
  }
  itemMisfire(item: number): string {
    return `${this.shardingItem(item)}/misfire`;
  }
  itemDisabled(item: number): string {
    return `${this.shardingItem(item)}/disabled`;
  }
  itemFailover(item: number): string {
    return `${this.shardingItem(item)}/failover`;
  }
  itemFailovering(item: number): string {
    return `${this.shardingItem(item)}/failovering`;
  }
  get leaderInstance(): string {
    return `${this.root}/leader/election/instance`;
  }
  get electionLatch(): string {
    return `${this.root}/leader/election/latch`;
  }
  get shardingNecessary(): string {
    return `${this.root}/leader/sharding/necessary`;
  }
  get shardingProcessing(): string {
    return `${this.root}/leader/sharding/processing`;
  }
  /** Ours, not ElasticJob's: each assignment with the fire time it applies from. */
  get shardingPlan(): string {
    return `${this.root}/leader/sharding/plan`;
  }
  get failoverItems(): string {
    return `${this.root}/leader/failover/items`;
  }
  failoverItem(item: number): string {
    return `${this.failoverItems}/${item}`;
  }
  get failoverLatch(): string {
    return `${this.root}/leader/failover/latch`;
  }
  /** Ours: an ephemeral marker of an instance that left gracefully and is still finishing. */
  get leavingInstances(): string {
    return `${this.root}/leaving`;
  }
  leaving(instanceId: string): string {
    return `${this.leavingInstances}/${instanceId}`;
  }
  get triggers(): string {
    return `${this.root}/trigger`;
  }
  trigger(instanceId: string): string {
    return `${this.triggers}/${instanceId}`;
  }
  /** ElasticJob's barrier of distribute-once listeners: `guarantee/started/{i}`, `guarantee/completed/{i}`. */
  guarantee(phase: 'started' | 'completed'): string {
    return `${this.root}/guarantee/${phase}`;
  }
  guaranteeItem(phase: 'started' | 'completed', item: number): string {
    return `${this.guarantee(phase)}/${item}`;
  }
  /** Its mutex (Curator's, as ElasticJob 3.x takes it): `guarantee/started-latch`, `guarantee/completed-latch`. */
  guaranteeLatch(phase: 'started' | 'completed'): string {
    return `${this.root}/guarantee/${phase}-latch`;
  }
  get systemTime(): string {
    return `${this.root}/systemTime/current`;
  }

  /**
   * The children the job's cache follows under `key` (`undefined`: all, with a child watch).
   * Under an item (`sharding/{i}`), every child but `running`, which is written twice per item
   * per fire and read from ZooKeeper when needed; ElasticJob's leaf nodes, none.
   */
  cachedChildrenOf(key: string): readonly string[] | undefined {
    if (!key.startsWith(`${this.root}/`)) return undefined;
    const rest = key.slice(this.root.length + 1);
    if (/^sharding\/\d+$/.test(rest)) return CACHED_ITEM_CHILDREN;
    // ElasticJob's leaves: no child watch (one request and one watch less per node).
    return LEAF_PATTERNS.some((pattern) => pattern.test(rest)) ? NO_CHILDREN : undefined;
  }
}
