/**
 * `nestjs-elastic-job/registry`: the registry center on its own, ElasticJob's
 * `CoordinatorRegistryCenter` over ZooKeeper, for scripts and tools that read or operate a
 * namespace (the module gives its own instance under `ELASTIC_JOB_REGISTRY_CENTER`).
 * @publicApi
 */
export * from './registry-center.interface.js';
export { ZookeeperRegistryCenter } from './zookeeper.registry-center.js';
