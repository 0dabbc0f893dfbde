import { LATCH_TIMEOUT_MS, type JobContext } from './job-context.js';

/**
 * `LeaderService`: under the `leader/election/latch` lock, whoever creates the ephemeral
 * `leader/election/instance` leads. Per job, as in ElasticJob.
 */
export class ElectionService {
  constructor(private readonly context: JobContext) {}

  async electLeader(): Promise<boolean> {
    const { registry, path, identity } = this.context;
    await registry.executeInLeader(
      path.electionLatch,
      async () => {
        if (!(await registry.isExisted(path.leaderInstance))) {
          await registry.createIfAbsent(path.leaderInstance, identity.instanceId, true);
        }
      },
      LATCH_TIMEOUT_MS,
    );
    return (await registry.getDirectly(path.leaderInstance)) === identity.instanceId;
  }

  get leader(): string | undefined {
    return this.context.cache.get(this.context.path.leaderInstance);
  }

  get isLeader(): boolean {
    return this.leader === this.context.identity.instanceId;
  }

  get hasLeader(): boolean {
    return this.leader !== undefined;
  }

  /** Gives up leadership if we hold it. */
  async abdicate(): Promise<void> {
    const { registry, path, identity } = this.context;
    if ((await registry.getDirectly(path.leaderInstance)) === identity.instanceId)
      await registry.remove(path.leaderInstance);
  }
}
