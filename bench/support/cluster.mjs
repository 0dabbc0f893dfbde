// Bench instances as child processes, and a watcher of a job's assignment in ZooKeeper.
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { ZookeeperRegistryCenter } from 'nestjs-elastic-job/registry';

const INSTANCE_SCRIPT = join(dirname(fileURLToPath(import.meta.url)), 'instance.mjs');
const alive = new Set();
process.on('exit', () => {
  for (const child of alive) child.kill('SIGKILL');
});

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Resolves once `predicate()` holds, checking every `everyMs`; rejects after `timeoutMs`. */
export async function until(predicate, timeoutMs, what, everyMs = 10) {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(everyMs);
  }
}

/**
 * Resolves with the first fire time at which every one of `instances` started an item
 * (rejects after `timeoutMs`).
 */
export async function fireOnEvery(instances, timeoutMs) {
  let fire;
  await until(
    () => {
      const owners = new Map();
      for (const instance of instances) {
        for (const event of instance.events.filter((e) => e.event === 'start')) {
          owners.set(event.fire, (owners.get(event.fire) ?? new Set()).add(instance));
        }
      }
      fire = [...owners].find(([, set]) => set.size === instances.length)?.[0];
      return fire !== undefined;
    },
    timeoutMs,
    'a fire with items on every instance',
  );
  return fire;
}

/** One bench instance (see instance.mjs for `env`). */
export class Instance {
  constructor(id, env) {
    this.id = id;
    this.events = [];
    this.listeners = new Set();
    this.stderr = '';
    this.child = spawn(process.execPath, [INSTANCE_SCRIPT], {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: { ...process.env, INSTANCE_ID: id, ...env },
    });
    alive.add(this.child);
    this.exited = new Promise((resolve) =>
      this.child.on('exit', (code, signal) => {
        alive.delete(this.child);
        resolve({ code, signal });
      }),
    );
    createInterface({ input: this.child.stdout }).on('line', (line) => {
      let event;
      try {
        event = JSON.parse(line);
      } catch {
        return;
      }
      this.events.push(event);
      for (const listener of this.listeners) listener(event);
    });
    this.child.stderr.on('data', (chunk) => (this.stderr = (this.stderr + chunk).slice(-4000)));
  }

  get pid() {
    return this.child.pid;
  }

  /** The next event matching `predicate` (already received ones count). */
  next(predicate, timeoutMs = 60_000, what = 'an event') {
    const seen = this.events.find(predicate);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.listeners.delete(listener);
        reject(new Error(`${this.id}: no ${what} within ${timeoutMs} ms\n${this.stderr}`));
      }, timeoutMs);
      const listener = (event) => {
        if (!predicate(event)) return;
        clearTimeout(timer);
        this.listeners.delete(listener);
        resolve(event);
      };
      this.listeners.add(listener);
    });
  }

  ready(timeoutMs = 60_000) {
    return this.next((event) => event.event === 'ready', timeoutMs, 'ready');
  }

  /** Requests by operation, memory and lateness samples since the last call. */
  async stats() {
    const count = this.events.filter((event) => event.event === 'stats').length;
    this.child.stdin.write('stats\n');
    await until(() => this.events.filter((event) => event.event === 'stats').length > count, 10_000, 'stats');
    return this.events.filter((event) => event.event === 'stats')[count];
  }

  /** With AUTO_START=false: join the cluster and start firing. */
  start() {
    this.child.stdin.write('start\n');
    return this.next((event) => event.event === 'started', 30_000, 'started');
  }

  kill(signal = 'SIGKILL') {
    this.child.kill(signal);
  }

  async stop() {
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 15_000);
    await this.exited;
    clearTimeout(timer);
  }
}

export async function openRegistry(serverLists, namespace) {
  const registry = new ZookeeperRegistryCenter(
    { serverLists, namespace, sessionTimeoutMs: 30_000 },
    { log() {}, warn() {}, error() {} },
  );
  await registry.init();
  return registry;
}

/**
 * Watches jobs' assignments through a cache of the namespace (watch-driven, so the times are
 * those of the ZooKeeper events). `settled(job, accept)`: no resharding flag or lock, every
 * item's `sharding/{i}/instance` names a live instance, and `accept(owners, live)` holds.
 */
function parsePlan(text) {
  try {
    const plan = text ? JSON.parse(text) : undefined;
    return plan?.version === 1 && Array.isArray(plan.entries) && plan.entries.length > 0 ? plan : undefined;
  } catch {
    return undefined;
  }
}

export class AssignmentWatcher {
  static async start(registry, root = '/') {
    const watcher = new AssignmentWatcher();
    watcher.cache = await registry.addCacheData(root);
    watcher.cache.addListener(() => watcher.check());
    return watcher;
  }

  constructor() {
    this.waiters = new Set();
  }

  /**
   * Item owners of the newest assignment: the leader's plan when it writes one (the
   * `sharding/{i}/instance` nodes follow it only just before it applies: a moment before the next
   * fire), else those nodes (a Java leader, or an older version).
   */
  owners(job) {
    const plan = parsePlan(this.cache.get(`/${job}/leader/sharding/plan`));
    if (plan) {
      const latest = plan.entries[plan.entries.length - 1];
      return Array.from({ length: latest.count }, (_, item) => latest.items[item]);
    }
    const items = this.cache.getChildren(`/${job}/sharding`) ?? [];
    return items
      .map(Number)
      .sort((a, b) => a - b)
      .map((item) => this.cache.get(`/${job}/sharding/${item}/instance`));
  }

  live(job) {
    return this.cache.getChildren(`/${job}/instances`) ?? [];
  }

  settled(job, accept = () => true) {
    if (this.cache.has(`/${job}/leader/sharding/necessary`)) return false;
    if (this.cache.has(`/${job}/leader/sharding/processing`)) return false;
    const owners = this.owners(job);
    const live = this.live(job);
    if (owners.length === 0 || owners.some((owner) => !owner || !live.includes(owner))) return false;
    return accept(owners, live);
  }

  /** Resolves with the time (ms since epoch) at which `condition()` first held. */
  when(condition, timeoutMs, what) {
    if (condition()) return Promise.resolve(Date.now());
    return new Promise((resolve, reject) => {
      const waiter = { condition, resolve };
      waiter.timer = setTimeout(() => {
        this.waiters.delete(waiter);
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`));
      }, timeoutMs);
      this.waiters.add(waiter);
    });
  }

  check() {
    for (const waiter of this.waiters) {
      if (!waiter.condition()) continue;
      clearTimeout(waiter.timer);
      this.waiters.delete(waiter);
      waiter.resolve(Date.now());
    }
  }

  close() {
    this.cache.close();
  }
}

/**
 * One instance's fire lateness: starts it with `env`, discards a 3 s warm-up, then returns
 * the handler-start-minus-fire-time samples of `phaseS` seconds.
 */
export async function latenessSamples(id, env, phaseS) {
  const instance = new Instance(id, env);
  try {
    await instance.ready();
    await sleep(3_000); // warm-up, discarded
    await instance.stats();
    await sleep(phaseS * 1000);
    return (await instance.stats()).lateness;
  } finally {
    await instance.stop();
  }
}
