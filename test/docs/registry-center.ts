import { ZookeeperRegistryCenter } from 'nestjs-elastic-job/registry';

const registry = new ZookeeperRegistryCenter({ serverLists: '127.0.0.1:2181', namespace: 'orders-app' });
await registry.init();
console.log(await registry.getChildrenKeys('/order-sync/instances')); // the live instances
console.log(await registry.get('/order-sync/leader/election/instance')); // the leader
await registry.close();
