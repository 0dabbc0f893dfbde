import type { NodeStat, RegistryCenter } from '../registry/registry-center.interface.js';
import type { JobNodePath } from './job-node-path.js';

/**
 * Whose a `running` (or `failovering`) node is, judged in ZooKeeper rather than from the
 * order in which a cache reports events.
 *
 * A node names an instance id, and an instance id outlives its sessions: an instance that
 * loses its session registers again under the same id. What ties a node to one incarnation is
 * the order of creation: an instance runs nothing on a session before its `instances/{id}`
 * node of that session exists, so every node written by the live incarnation was created
 * after (has a higher czxid than) that instance node. A node created before it belongs to an
 * earlier session that is gone. An instance that leaves gracefully keeps standing for its
 * runs with its `leaving/{id}` marker, whose data is the czxid of the instance node it
 * removed.
 */
export class RunOwnership {
  constructor(
    private readonly registry: RegistryCenter,
    private readonly path: JobNodePath,
  ) {}

  /**
   * Whether the node (`owner`, `stat`) belongs to a live incarnation of its owner. Ephemeral
   * nodes live exactly as long as their session, so they always do. The owner is read after
   * the node, never remembered: an owner that registers again meanwhile writes only nodes
   * newer than its new instance node.
   */
  async isLive(owner: string, stat: NodeStat): Promise<boolean> {
    if (stat.ephemeralOwner !== '0') return true;
    const since = await this.incarnationOf(owner);
    return since !== undefined && since < stat.czxid;
  }

  /** The czxid from which `owner`'s live incarnation writes, undefined when it has none. */
  private async incarnationOf(owner: string): Promise<number | undefined> {
    const instance = await this.registry.getStat(this.path.instance(owner));
    if (instance) return instance.czxid;
    const leaving = await this.registry.getWithStat(this.path.leaving(owner));
    // A marker written before markers carried the czxid stands for every run of its owner.
    return leaving ? Number(leaving.data || 0) : undefined;
  }
}
