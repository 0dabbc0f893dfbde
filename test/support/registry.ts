import type { LoggerService } from '@nestjs/common';
import type { ConnectionStateChange } from '../../lib/registry/registry-center.interface.js';
import { ZookeeperRegistryCenter } from '../../lib/registry/zookeeper.registry-center.js';
import type { ZookeeperConfiguration } from '../../lib/registry/registry-center.interface.js';
import { uniqueNamespace } from './wait.js';

/** A logger that keeps what it is given, for assertions, and prints nothing. */
export class RecordingLogger implements LoggerService {
  readonly lines: Array<{ level: string; message: string }> = [];
  log(message: unknown) {
    this.lines.push({ level: 'log', message: String(message) });
  }
  warn(message: unknown) {
    this.lines.push({ level: 'warn', message: String(message) });
  }
  error(message: unknown) {
    this.lines.push({ level: 'error', message: String(message) });
  }
  debug(message: unknown) {
    this.lines.push({ level: 'debug', message: String(message) });
  }
  verbose(message: unknown) {
    this.lines.push({ level: 'verbose', message: String(message) });
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
