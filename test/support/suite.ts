import { afterAll, afterEach, beforeAll } from 'vitest';
import { AppFixture } from './nest-apps.js';
import { RegistryFixture } from './registry.js';
import { ZooKeeperTestServer } from './zookeeper-server.js';

/**
 * One standalone ZooKeeper server for the test file, with app and registry fixtures that are
 * closed after each test (registers the Vitest hooks).
 */
export function useZooKeeperServer() {
  let server: ZooKeeperTestServer | undefined;
  const connectString = () => server!.connectString;
  const context = {
    server: () => server!,
    apps: new AppFixture(connectString),
    registries: new RegistryFixture(connectString),
  };
  beforeAll(async () => {
    server = await ZooKeeperTestServer.start();
  });
  afterEach(async () => {
    await context.apps.closeAll();
    await context.registries.closeAll();
  });
  afterAll(() => server?.close());
  return context;
}
