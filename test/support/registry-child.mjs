// A registry center alone in a process of its own (the built package), driven over IPC, so
// that a test can freeze it with SIGSTOP while a request of it is in flight.
// Env: ZK, NAMESPACE, SESSION_TIMEOUT_MS. Messages in: 'create'. Messages out: `{ event, ... }`.
import { ZookeeperRegistryCenter } from '../../dist/registry/index.js';

const quiet = { log() {}, warn() {}, error() {}, debug() {}, verbose() {} };
const center = new ZookeeperRegistryCenter(
  {
    serverLists: process.env.ZK,
    namespace: process.env.NAMESPACE,
    sessionTimeoutMs: Number(process.env.SESSION_TIMEOUT_MS),
  },
  quiet,
);
await center.init();
center.addConnectionStateListener((change) => process.send({ event: 'state', state: change.state }));
process.on('message', async (message) => {
  if (message !== 'create') return;
  const session = center.sessionId;
  const request = center.createIfAbsent('/fence', 'child', true, { session });
  process.send({ event: 'requested', session });
  try {
    const created = await request;
    process.send({ event: 'created', created, connected: center.isConnected });
  } catch (error) {
    process.send({ event: 'refused', name: error?.name });
  }
});
process.on('disconnect', () => center.close().finally(() => process.exit(0)));
process.send({ event: 'ready', session: center.sessionId });
