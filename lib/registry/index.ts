export * from './registry-center.interface.js';
export { ZookeeperRegistryCenter } from './zookeeper.registry-center.js';
