// Makes sure a ZooKeeper server (and Java) is installed for the tests and the demo: Debian's
// `zookeeper` package is installed when missing and we are root. Runs on the built package.
import { ensureZooKeeper } from '../dist/testing/index.js';

try {
  const found = ensureZooKeeper();
  console.log(`ZooKeeper: ${found.source}`);
} catch (error) {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
}
