/**
 * `nestjs-elastic-job/testing`: real ZooKeeper and PostgreSQL servers for tests and helpers
 * to run your jobs in `@nestjs/testing` modules.
 * @publicApi
 */
export {
  ZooKeeperTestingServer,
  ZooKeeperTestingCluster,
  expireSession,
  fourLetterWord,
  parseMntr,
  type MntrFigures,
  type ZooKeeperTestingServerOptions,
  type ZooKeeperTestingClusterOptions,
} from './zookeeper-testing-server.js';
export { freePort } from './server-process.js';
export {
  ensureZooKeeper,
  locateZooKeeper,
  INSTALL_HELP,
  type ZooKeeperInstallation,
} from './zookeeper-installation.js';
export { PostgresTestingServer, type PostgresTestingServerOptions } from './postgres-testing-server.js';
export {
  ensurePostgres,
  locatePostgres,
  POSTGRES_INSTALL_HELP,
  type PostgresInstallation,
  type PostgresServerUser,
} from './postgres-installation.js';
export {
  testingModuleOptions,
  runJob,
  createShardingContext,
  JobRunFailedError,
  TESTING_SESSION_TIMEOUT_MS,
  type RunJobOptions,
} from './job-testing.js';
