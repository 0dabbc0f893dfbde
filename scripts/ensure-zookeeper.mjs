import { ensureZooKeeper } from './zookeeper.mjs';

try {
  const found = ensureZooKeeper();
  console.log(`ZooKeeper: ${found.source}`);
} catch (error) {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
}
