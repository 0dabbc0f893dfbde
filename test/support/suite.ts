import { afterAll, afterEach, beforeAll } from 'vitest';
import { ChildInstance, ensureBuilt } from './child-instances.js';
import type { FireRecord } from './fires.js';
import { AppFixture } from './nest-apps.js';
import { RegistryFixture } from './registry.js';
import { ZooKeeperTestingServer } from '../../lib/testing/index.js';

/**
 * One standalone ZooKeeper server for the test file, with app and registry fixtures that are
 * closed after each test (registers the Vitest hooks).
 */
export function useZooKeeperServer() {
  let server: ZooKeeperTestingServer | undefined;
  const connectString = () => server!.connectString;
  const context = {
    server: () => server!,
    apps: new AppFixture(connectString),
    registries: new RegistryFixture(connectString),
  };
  beforeAll(async () => {
    server = await ZooKeeperTestingServer.start();
  });
  afterEach(async () => {
    await context.apps.closeAll();
    await context.registries.closeAll();
  });
  afterAll(() => server?.close());
  return context;
}

/**
 * One standalone ZooKeeper server for the file and instances in child processes (the built
 * package), all stopped after each test.
 */
export function useChildCluster() {
  let server: ZooKeeperTestingServer | undefined;
  const registries = new RegistryFixture(() => server!.connectString);
  const children: ChildInstance[] = [];
  beforeAll(async () => {
    ensureBuilt();
    server = await ZooKeeperTestingServer.start();
  });
  afterEach(async () => {
    await Promise.all(children.splice(0).map((child) => child.stop()));
    await registries.closeAll();
  });
  afterAll(() => server?.close());
  return {
    server: () => server!,
    registries,
    /** Spawns an instance (env: see cluster-node.mjs); its executions land in `records`. */
    spawn(instanceId: string, env: Record<string, string>, records: FireRecord[]): ChildInstance {
      const child = new ChildInstance(instanceId, { ZK: server!.connectString, ...env }, records);
      children.push(child);
      return child;
    },
  };
}
