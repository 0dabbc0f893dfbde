/**
 * Naming and ordering of Curator's lock children, so a Java ElasticJob instance and ours
 * queue on the same latch: protected ephemeral sequential nodes `_c_{uuid}-latch-{seq}`,
 * ordered by the sequence that follows `latch-` (what Curator's lock driver sorts on).
 */

const LOCK_NAME = 'latch-';

/** The name prefix our instance creates; ZooKeeper appends a 10-digit sequence. */
export function latchNodePrefix(uuid: string): string {
  return `_c_${uuid}-${LOCK_NAME}`;
}

/** The part Curator sorts on: what follows the lock name (the sequence). */
function sortKey(child: string): string {
  const index = child.lastIndexOf(LOCK_NAME);
  return index < 0 ? child : child.slice(index + LOCK_NAME.length);
}

/** Children in lock order: the first one holds the lock. */
export function sortLatchChildren(children: readonly string[]): string[] {
  return [...children].sort((a, b) => {
    const ka = sortKey(a);
    const kb = sortKey(b);
    return ka < kb ? -1 : ka > kb ? 1 : 0;
  });
}

/** Our child among `children`, found by its uuid (also after a create lost its reply). */
export function findOwnLatchChild(children: readonly string[], uuid: string): string | undefined {
  const prefix = latchNodePrefix(uuid);
  return children.find((child) => child.startsWith(prefix));
}
