import type { JobContext } from './job-context.js';

/** `trigger/{instanceId}` (ElasticJob 3.x): one node per live instance fires the job once there. */
export class TriggerService {
  constructor(private readonly context: JobContext) {}

  async triggerAll(instances: readonly string[]): Promise<void> {
    const { registry, path } = this.context;
    await registry.remove(path.triggers);
    await Promise.all(instances.map((id) => registry.persist(path.trigger(id), '')));
  }

  consume(): Promise<void> {
    return this.context.registry.remove(this.context.path.trigger(this.context.identity.instanceId));
  }

  isOwnTrigger(key: string): boolean {
    return key === this.context.path.trigger(this.context.identity.instanceId);
  }
}
