import type { JobContext } from './job-context.js';

/**
 * `ExecutionService`: `sharding/{i}/running` while an item runs (ephemeral, or persistent
 * when failover is on, so a crash leaves it behind for the survivors), `misfire` and
 * `disabled` flags.
 */
export class ExecutionService {
  constructor(private readonly context: JobContext) {}

  registerBegin(item: number, persistent: boolean): Promise<void> {
    const { registry, path, identity } = this.context;
    return persistent
      ? registry.persist(path.itemRunning(item), identity.instanceId)
      : registry.persistEphemeral(path.itemRunning(item), identity.instanceId);
  }

  registerComplete(item: number): Promise<void> {
    return this.context.registry.remove(this.context.path.itemRunning(item));
  }

  /** Another instance's `running` node is on the item. */
  isRunningElsewhere(item: number): boolean {
    const owner = this.context.cache.get(this.context.path.itemRunning(item));
    return owner !== undefined && owner !== this.context.identity.instanceId;
  }

  setMisfire(item: number): Promise<void> {
    return this.context.registry.persist(this.context.path.itemMisfire(item), '');
  }

  clearMisfire(item: number): Promise<void> {
    return this.context.registry.remove(this.context.path.itemMisfire(item));
  }

  isDisabled(item: number): boolean {
    return this.context.cache.has(this.context.path.itemDisabled(item));
  }
}
