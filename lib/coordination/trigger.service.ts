import type { TriggerOptions } from '../interfaces/trigger-options.interface.js';
import type { CacheEvent } from '../registry/registry-center.interface.js';

/**
 * A trigger node's data: empty, as ElasticJob writes it, or our JSON with the run's own job
 * parameter (a Java instance does not read it).
 */
export function triggerData(options: TriggerOptions): string {
  return options.jobParameter === undefined ? '' : JSON.stringify({ jobParameter: options.jobParameter });
}

/** What a trigger node asks for; anything unreadable is a plain trigger. */
export function parseTriggerData(data: string): TriggerOptions {
  if (!data.startsWith('{')) return {};
  try {
    const parsed = JSON.parse(data) as { jobParameter?: unknown };
    return typeof parsed.jobParameter === 'string' ? { jobParameter: parsed.jobParameter } : {};
  } catch {
    return {};
  }
}
import type { JobContext } from './job-context.js';

/** `trigger/{instanceId}` (ElasticJob 3.x): one node per live instance fires the job once there. */
export class TriggerService {
  constructor(private readonly context: JobContext) {}

  async triggerAll(instances: readonly string[], options: TriggerOptions = {}): Promise<void> {
    const { registry, path } = this.context;
    const data = triggerData(options);
    await registry.remove(path.triggers);
    await Promise.all(instances.map((id) => registry.persist(path.trigger(id), data)));
  }

  /**
   * Calls `onTrigger` for each `trigger/{me}` node that arrives, once it is consumed, while
   * `accepting()` holds.
   */
  listen(
    accepting: () => boolean,
    onTrigger: (options: TriggerOptions) => void,
    background: (what: string, work: () => Promise<void>) => void,
  ) {
    const own = this.context.path.trigger(this.context.identity.instanceId);
    return this.context.cache.addListener(({ key, type, data }: CacheEvent) => {
      if (key !== own || type !== 'added' || !accepting()) return;
      background('trigger', async () => {
        await this.context.registry.remove(own);
        onTrigger(parseTriggerData(data));
      });
    });
  }
}
