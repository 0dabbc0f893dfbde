import type { CacheEvent } from '../registry/registry-center.interface.js';
import type { ElectionService } from './election.service.js';
import type { JobScope } from './job-context.js';
import type { Resharding } from './resharding.js';
import type { ServerService } from './server.service.js';

/**
 * Leader election as the cache drives it (ElasticJob's `ElectionListenerManager`): a leader
 * that is gone is replaced by whoever wins the election among the available servers, and the
 * winner reshards; a leader whose server is disabled abdicates; a server enabled again elects
 * when nobody leads. Every change of leader is told.
 */
export class Leadership {
  constructor(
    private readonly scope: JobScope,
    private readonly election: ElectionService,
    private readonly servers: ServerService,
    private readonly resharding: Resharding,
  ) {}

  listen(): () => void {
    const { path, identity } = this.scope;
    const ownServer = path.server(identity.serverIp);
    return this.scope.cache.addListener(({ key, type, data }: CacheEvent) => {
      const { scope } = this;
      if (scope.stopping || (key !== path.leaderInstance && key !== ownServer)) return;
      if (key === path.leaderInstance) {
        if (type !== 'removed' && data) scope.emit({ type: 'leader-changed', job: scope.jobName, instance: data });
        else if (type === 'removed' && scope.takingItems && this.servers.isAvailable(identity.serverIp))
          scope.background('election', () => this.resharding.electAndShard());
        return;
      }
      if (!scope.takingItems) return;
      if (data === 'DISABLED' && this.election.isLeader) scope.background('abdication', () => this.election.abdicate());
      if (data === 'ENABLED' && !this.election.hasLeader)
        scope.background('election', () => this.resharding.electAndShard());
    });
  }
}
