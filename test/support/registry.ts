import type { LoggerService } from '@nestjs/common';
import type { ConnectionStateChange } from '../../lib/registry/registry-center.interface.js';
import { ZookeeperRegistryCenter } from '../../lib/registry/zookeeper.registry-center.js';
import type { ZookeeperConfiguration } from '../../lib/registry/registry-center.interface.js';
import { uniqueNamespace } from './wait.js';

/** A logger that keeps what it is given, for assertions, and prints nothing. */
export class RecordingLogger implements LoggerService {
  readonly lines: Array<{ level: string; message: string }> = [];
  /** When each line came (epoch ms), by index. */
  readonly times: number[] = [];
  log(message: unknown) {
    this.add('log', message);
  }
  warn(message: unknown) {
    this.add('warn', message);
  }
  error(message: unknown) {
    this.add('error', message);
  }
  debug(message: unknown) {
    this.add('debug', message);
  }
  verbose(message: unknown) {
    this.add('verbose', message);
  }
  private add(level: string, message: unknown) {
    this.lines.push({ level, message: String(message) });
    this.times.push(Date.now());
  }
}

/** Creates registry centers and closes them all at the end of a test. */
export class RegistryFixture {
  private readonly created: ZookeeperRegistryCenter[] = [];

  constructor(private readonly connectString: () => string) {}

  async open(
    overrides: Partial<ZookeeperConfiguration> = {},
    logger: LoggerService = new RecordingLogger(),
  ): Promise<ZookeeperRegistryCenter> {
    const center = this.create(overrides, logger);
    await center.init();
    return center;
  }

  create(
    overrides: Partial<ZookeeperConfiguration> = {},
    logger: LoggerService = new RecordingLogger(),
  ): ZookeeperRegistryCenter {
    const center = new ZookeeperRegistryCenter(
      {
        serverLists: this.connectString(),
        namespace: uniqueNamespace(),
        sessionTimeoutMs: 4_000,
        connectionTimeoutMs: 10_000,
        ...overrides,
      },
      logger,
    );
    this.created.push(center);
    return center;
  }

  async closeAll(): Promise<void> {
    await Promise.all(this.created.splice(0).map((center) => center.close()));
  }
}

/** Records connection states in order. */
export function recordStates(center: ZookeeperRegistryCenter): ConnectionStateChange[] {
  const states: ConnectionStateChange[] = [];
  center.addConnectionStateListener((change) => states.push(change));
  return states;
}
