export * from './registry-center.interface.js';
export { ZookeeperRegistryCenter, validateZookeeperConfiguration } from './zookeeper.registry-center.js';
