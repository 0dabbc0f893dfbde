// Makes sure the servers the tests and the demo start are installed: ZooKeeper (and Java)
// and PostgreSQL. As root with apt-get, Debian's `zookeeper` and `postgresql` packages are
// installed when missing. Runs on the built package.
import { ensurePostgres, ensureZooKeeper } from '../dist/testing/index.js';

try {
  const zookeeper = ensureZooKeeper();
  console.log(`ZooKeeper: ${zookeeper.source}`);
  const postgres = ensurePostgres();
  const runAs = postgres.runAs ? `, run as user "${postgres.runAs.name}"` : '';
  console.log(`PostgreSQL: ${postgres.source}${runAs}`);
} catch (error) {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
}
