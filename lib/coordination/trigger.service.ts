import type { CacheEvent } from '../registry/registry-center.interface.js';
import type { JobContext } from './job-context.js';

/** `trigger/{instanceId}` (ElasticJob 3.x): one node per live instance fires the job once there. */
export class TriggerService {
  constructor(private readonly context: JobContext) {}

  async triggerAll(instances: readonly string[]): Promise<void> {
    const { registry, path } = this.context;
    await registry.remove(path.triggers);
    await Promise.all(instances.map((id) => registry.persist(path.trigger(id), '')));
  }

  /**
   * Calls `onTrigger` for each `trigger/{me}` node that arrives, once it is consumed, while
   * `accepting()` holds.
   */
  listen(
    accepting: () => boolean,
    onTrigger: () => void,
    background: (what: string, work: () => Promise<void>) => void,
  ) {
    const own = this.context.path.trigger(this.context.identity.instanceId);
    return this.context.cache.addListener(({ key, type }: CacheEvent) => {
      if (key !== own || type !== 'added' || !accepting()) return;
      background('trigger', async () => {
        await this.context.registry.remove(own);
        onTrigger();
      });
    });
  }
}
