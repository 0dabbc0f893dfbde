import type { LoggerService } from '@nestjs/common';
import type { ExecutionDecorator } from './execution-decorator.interface.js';
import type { TracingConfiguration } from './tracing-configuration.interface.js';
import type { ZookeeperConfiguration } from './zookeeper-configuration.interface.js';

export interface ElasticJobModuleOptions {
  zookeeper: ZookeeperConfiguration;
  /** Default `{serverIp}@-@{pid}` (ElasticJob's format). */
  instanceId?: string;
  /** Default: the first non-loopback IPv4 address of this host. */
  serverIp?: string;
  /** Default for every job's `overwrite`. Default false. */
  overwrite?: boolean;
  /**
   * false: the module is inert. Jobs are found and their options checked, but nothing connects
   * to ZooKeeper, nothing fires, and `JobOperator` calls fail saying so: for tests of an app's
   * other parts, which then need no ZooKeeper. Default true.
   */
  enabled?: boolean;
  /** false: register configurations only; this instance takes no items (operate only). Default true. */
  runJobs?: boolean;
  /** false: join the cluster and start timers only when `JobOperator.start()` is called. Default true. */
  autoStart?: boolean;
  /** How long `app.close()` waits for running items before aborting them. Default 10000. */
  shutdownTimeoutMs?: number;
  /** A logger to use instead of Nest's `Logger`, or false to log nothing. */
  logger?: LoggerService | false;
  /** Wraps every item execution (tracing, metrics, context). */
  executionDecorator?: ExecutionDecorator;
  /**
   * The execution log: every item run and status change in PostgreSQL, in ElasticJob's
   * tables, read back through `ExecutionHistory`. Needs the `pg` package. Default: none.
   */
  tracing?: TracingConfiguration;
}
