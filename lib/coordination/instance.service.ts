import { instanceYaml, parseInstanceYaml } from '../config/elastic-job-yaml.js';
import type { JobContext } from './job-context.js';
import type { ServerService } from './server.service.js';

/** `InstanceService`: this instance's ephemeral `instances/{id}` node and who is alive. */
export class InstanceService {
  constructor(
    private readonly context: JobContext,
    private readonly servers: ServerService,
  ) {}

  persistOnline(): Promise<void> {
    const { identity, path, registry } = this.context;
    return registry.persistEphemeral(
      path.instance(identity.instanceId),
      instanceYaml(identity.instanceId, identity.serverIp),
    );
  }

  removeOnline(): Promise<void> {
    return this.context.registry.remove(this.context.path.instance(this.context.identity.instanceId));
  }

  get isOnline(): boolean {
    return this.context.cache.has(this.context.path.instance(this.context.identity.instanceId));
  }

  /** Live instance ids, reverse lexicographic (ElasticJob's order). */
  onlineInstances(): string[] {
    return this.context.cache.getChildren(this.context.path.instances) ?? [];
  }

  serverIpOf(instanceId: string): string | undefined {
    return parseInstanceYaml(this.context.cache.get(this.context.path.instance(instanceId)) ?? '')?.serverIp;
  }

  /** Instances that can take items: alive, on an enabled server. */
  availableInstances(): string[] {
    return this.onlineInstances().filter((id) => {
      const ip = this.serverIpOf(id);
      return ip !== undefined && this.servers.isEnabled(ip);
    });
  }
}
