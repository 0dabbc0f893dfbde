/**
 * `nestjs-elastic-job/testing`: real ZooKeeper servers for tests and helpers to run your jobs
 * in `@nestjs/testing` modules.
 * @publicApi
 */
export {
  ZooKeeperTestingServer,
  ZooKeeperTestingCluster,
  expireSession,
  freePort,
  fourLetterWord,
  parseMntr,
  type MntrFigures,
  type ZooKeeperTestingServerOptions,
  type ZooKeeperTestingClusterOptions,
} from './zookeeper-testing-server.js';
export {
  ensureZooKeeper,
  locateZooKeeper,
  INSTALL_HELP,
  type ZooKeeperInstallation,
} from './zookeeper-installation.js';
export {
  testingModuleOptions,
  runJob,
  createShardingContext,
  JobRunFailedError,
  TESTING_SESSION_TIMEOUT_MS,
  type RunJobOptions,
} from './job-testing.js';
