import { parseInstanceYaml } from '../config/elastic-job-yaml.js';
import type { JobContext } from './job-context.js';

export type ServerStatus = 'ENABLED' | 'DISABLED';

/** `ServerService`: `servers/{ip}`, shared by every instance on one IP, as in ElasticJob. */
export class ServerService {
  constructor(private readonly context: JobContext) {}

  persistOnline(enabled: boolean): Promise<void> {
    return this.context.registry.persist(
      this.context.path.server(this.context.identity.serverIp),
      enabled ? 'ENABLED' : 'DISABLED',
    );
  }

  setStatus(ip: string, status: ServerStatus): Promise<void> {
    return this.context.registry.persist(this.context.path.server(ip), status);
  }

  isEnabled(ip: string): boolean {
    return this.context.cache.get(this.context.path.server(ip)) === 'ENABLED';
  }

  /** Enabled and with a live instance on that IP (an exact match, not ElasticJob's prefix test). */
  isAvailable(ip: string): boolean {
    if (!this.isEnabled(ip)) return false;
    const { cache, path } = this.context;
    return (cache.getChildren(path.instances) ?? []).some(
      (id) => parseInstanceYaml(cache.get(path.instance(id)) ?? '')?.serverIp === ip,
    );
  }

  get isLocalEnabled(): boolean {
    return this.isEnabled(this.context.identity.serverIp);
  }
}
