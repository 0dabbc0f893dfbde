// The cluster demo behind `npm start`: a ZooKeeper (the one on 127.0.0.1:2181, or one started
// here), several instances of the sample app as child processes, and a live view of which
// instance ran which item of which job, who leads, and what happens when one is killed.
// Run `node sample/demo/cluster-demo.mjs --help` for the flags. Expects `npm run build` and
// `npm run build:sample` to have run (`npm start` does both).
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { ZookeeperRegistryCenter } from 'nestjs-elastic-job/registry';
import {
  ensurePostgres,
  ensureZooKeeper,
  freePort,
  PostgresTestingServer,
  ZooKeeperTestingServer,
} from 'nestjs-elastic-job/testing';
import pg from 'pg';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const SAMPLE_MAIN = join(ROOT, 'sample', 'dist', 'main.js');
const DATA_DIR = join(ROOT, '.zookeeper', 'demo');
const NAMESPACE = 'elastic-job-demo';
const JOBS = ['region-report', 'archive'];
const LABELS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';

const HELP = `Usage: npm start -- [options]   (or: node sample/demo/cluster-demo.mjs [options])

Starts instances of the sample app sharing two jobs through ZooKeeper and shows each fire:
which instance ran which item, who leads, and the failover and resharding when an instance
is killed with SIGKILL and when a new one joins. Ctrl-C stops everything it started.

  -n, --instances <n>       instances to start (1-9, default 3)
      --no-kill             do not kill an instance (nor start a replacement)
      --kill-after <s>      seconds before the kill (default 25); the victim is an instance
                            in the middle of an archive item, so the wait can be longer
      --restart-after <s>   seconds from the kill to starting a new instance (default 20)
      --session-timeout <ms> ZooKeeper session timeout of the instances (default 5000)
      --zookeeper <hosts>   use this ZooKeeper instead of 127.0.0.1:2181 or a local one
      --duration <s>        stop by itself after this many seconds (default: run until Ctrl-C)
      --no-history          do not record the execution log (by default a local PostgreSQL is
                            started, or installed first when it can be, and the instances'
                            runs are written to it; its summary is printed at the end)
  -h, --help                this text`;

// ------------------------------------------------------------------ options

function parseOptions(argv) {
  const { values } = parseArgs({
    args: argv,
    options: {
      instances: { type: 'string', short: 'n', default: '3' },
      'no-kill': { type: 'boolean', default: false },
      'kill-after': { type: 'string', default: '25' },
      'restart-after': { type: 'string', default: '20' },
      'session-timeout': { type: 'string', default: '5000' },
      zookeeper: { type: 'string' },
      duration: { type: 'string' },
      'no-history': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  const number = (name, min, max) => {
    const value = Number(values[name]);
    if (!Number.isFinite(value) || value < min || value > max) {
      throw new Error(`--${name} must be a number from ${min} to ${max}, got "${values[name]}"`);
    }
    return value;
  };
  return {
    help: values.help,
    instances: Math.trunc(number('instances', 1, 9)),
    kill: !values['no-kill'],
    killAfterMs: number('kill-after', 0, 86_400) * 1000,
    restartAfterMs: number('restart-after', 0, 86_400) * 1000,
    sessionTimeoutMs: Math.trunc(number('session-timeout', 1_000, 120_000)),
    zookeeper: values.zookeeper,
    durationMs: values.duration === undefined ? undefined : number('duration', 1, 86_400) * 1000,
    history: !values['no-history'],
  };
}

// ------------------------------------------------------------------ output

const tty = process.stdout.isTTY;
const paint = (code) => (text) => (tty ? `\x1b[${code}m${text}\x1b[0m` : String(text));
const dim = paint('2');
const bold = paint('1');
const red = paint('31');
const PALETTE = ['36', '33', '35', '32', '34', '91', '96', '93', '95'].map(paint);
const colorOf = (label) => PALETTE[LABELS.indexOf(label) % PALETTE.length];
const tag = (label) => (label ? colorOf(label)(label) : red('?'));

function clock(ms = Date.now()) {
  return new Date(ms).toTimeString().slice(0, 8);
}

function say(text, at = Date.now()) {
  process.stdout.write(`${dim(clock(at))}  ${text}\n`);
}

function note(text) {
  say(bold(`** ${text}`));
}

const seconds = (ms) => `${(ms / 1000).toFixed(1)} s`;

// ------------------------------------------------------------------ ZooKeeper

async function connect(serverLists, connectionTimeoutMs) {
  const registry = new ZookeeperRegistryCenter(
    { serverLists, namespace: NAMESPACE, sessionTimeoutMs: 10_000, connectionTimeoutMs },
    { log() {}, warn() {}, error() {} },
  );
  await registry.init();
  return registry;
}

/** The given ZooKeeper, else the one on 127.0.0.1:2181 if it answers, else a new local one. */
async function obtainZooKeeper(options) {
  if (options.zookeeper) {
    return { serverLists: options.zookeeper, registry: await connect(options.zookeeper, 10_000), origin: 'given' };
  }
  try {
    const registry = await connect('127.0.0.1:2181', 2_000);
    return { serverLists: '127.0.0.1:2181', registry, origin: 'found on 127.0.0.1:2181' };
  } catch {
    // nothing answers there: start our own
  }
  ensureZooKeeper((line) => say(line));
  rmSync(DATA_DIR, { recursive: true, force: true });
  say('starting a local ZooKeeper...');
  // Its own process group too: on Ctrl-C the instances leave first, then ZooKeeper stops.
  const server = await ZooKeeperTestingServer.start({ dataDir: DATA_DIR, maxHeapMb: 128, detached: true });
  return {
    serverLists: server.connectString,
    registry: await connect(server.connectString, 10_000),
    origin: `started here, pid ${server.pid}, data in ${relative(process.cwd(), DATA_DIR) || '.'}`,
    server,
  };
}

// ------------------------------------------------------------------ PostgreSQL

/** A local PostgreSQL for the execution log, or undefined (said why) when there can be none. */
async function obtainPostgres() {
  try {
    ensurePostgres((line) => say(line));
    say('starting a local PostgreSQL for the execution log...');
    const server = await PostgresTestingServer.start({ detached: true });
    return server;
  } catch (error) {
    say(dim(`no execution log: ${String(error?.message ?? error).split('\n')[0]}`));
    return undefined;
  }
}

// ------------------------------------------------------------------ the demo

class Demo {
  constructor(options) {
    this.options = options;
    this.instances = [];
    this.byPid = new Map();
    this.groups = new Map();
    this.totals = new Map();
    this.runs = [];
    this.leaders = new Map();
    this.live = [];
    this.killed = undefined;
    this.replacement = undefined;
    this.stopping = false;
    this.timers = new Set();
    // Made up for this run: the console has no default password.
    this.consolePasswords = { admin: randomBytes(6).toString('hex'), guest: randomBytes(6).toString('hex') };
  }

  async run() {
    const zk = await obtainZooKeeper(this.options);
    this.zk = zk;
    say(`ZooKeeper ${zk.serverLists} (${zk.origin}), namespace /${NAMESPACE}`);
    if (this.options.history) {
      this.postgres = await obtainPostgres();
      if (this.postgres) {
        say(
          `execution log: ${this.postgres.connectionString} (pid ${this.postgres.pid}), tables job_execution_log ` +
            `and job_status_trace_log; each instance answers GET /jobs/{name}/history`,
        );
      }
    }
    say(
      `jobs: region-report (6 items, one per region, every 3 s) and archive ` +
        `(3 items of ~8 s, failover on, every 20 s); session timeout ${seconds(this.options.sessionTimeoutMs)}`,
    );
    for (let i = 0; i < this.options.instances; i += 1) await this.spawnInstance();
    say(dim('each fire: time, job, item:instance for every item ("-": not run), and the jobs\' leader'));
    this.every(250, () => this.watchZooKeeper());
    this.every(250, () => this.maybeKill());
    this.startedAt = Date.now();
    if (this.options.durationMs !== undefined) this.after(this.options.durationMs, () => this.shutdown('time is up'));
    await new Promise((resolve) => (this.finished = resolve));
  }

  every(ms, fn) {
    const timer = setInterval(() => {
      Promise.resolve(fn()).catch((error) => say(red(`demo: ${error.message ?? error}`)));
    }, ms);
    this.timers.add(timer);
  }

  after(ms, fn) {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      Promise.resolve(fn()).catch((error) => say(red(`demo: ${error.message ?? error}`)));
    }, ms);
    this.timers.add(timer);
  }

  async spawnInstance() {
    const label = LABELS[this.instances.length];
    const port = await freePort();
    const child = spawn(process.execPath, [SAMPLE_MAIN], {
      cwd: ROOT,
      // Its own process group: Ctrl-C reaches only the demo, which stops instances in order.
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        ...process.env,
        ZK_SERVERS: this.zk.serverLists,
        ZK_NAMESPACE: NAMESPACE,
        ZK_SESSION_TIMEOUT_MS: String(this.options.sessionTimeoutMs),
        PORT: String(port),
        SAMPLE_EVENTS: 'json',
        LOG_LEVELS: 'warn,error',
        ...(this.postgres ? { TRACING_URL: this.postgres.connectionString } : {}),
        CONSOLE_ADMIN_PASSWORD: this.consolePasswords.admin,
        CONSOLE_GUEST_PASSWORD: this.consolePasswords.guest,
      },
    });
    const instance = { label, child, pid: child.pid, port, spawnedAt: Date.now(), running: new Map(), alive: true };
    this.instances.push(instance);
    this.byPid.set(String(child.pid), instance);
    createInterface({ input: child.stdout }).on('line', (line) => this.onLine(instance, line));
    createInterface({ input: child.stderr }).on('line', (line) => say(`${tag(label)} ${dim(line)}`));
    child.on('exit', (code, signal) => {
      instance.alive = false;
      instance.exited = true;
      if (!this.stopping && signal !== 'SIGKILL') say(red(`${label} exited (${signal ?? `code ${code}`})`));
      instance.onExit?.();
    });
    say(
      `started ${tag(label)} (pid ${child.pid}, http://127.0.0.1:${port}/jobs, console http://127.0.0.1:${port}/elastic-job/)`,
    );
    if (this.instances.length === 1) {
      say(
        `console users, made up for this run: admin / ${this.consolePasswords.admin}, ` +
          `guest / ${this.consolePasswords.guest} (every instance serves the console)`,
      );
    }
    return instance;
  }

  onLine(instance, line) {
    let event;
    try {
      event = JSON.parse(line);
    } catch {
      say(`${tag(instance.label)} ${dim(line)}`);
      return;
    }
    if (event.event === 'ready') {
      instance.readyAt = Date.now();
      say(`${tag(instance.label)} ready after ${seconds(instance.readyAt - instance.spawnedAt)}`);
    } else if (event.event === 'item-start') {
      this.onItemStart(instance, event);
    } else if (event.event === 'item-end') {
      instance.running.delete(`${event.job}/${event.item}`);
      if (event.status === 'FAILED') {
        say(red(`${event.job} item ${event.item} failed on ${instance.label}: ${event.error}`));
      }
    }
  }

  onItemStart(instance, event) {
    instance.running.set(`${event.job}/${event.item}`, { ...event, startedAt: Date.now() });
    if (!this.stopping) this.runs.push({ ...event, label: instance.label });
    if (this.replacement === instance && instance.firstItemAt === undefined) {
      instance.firstItemAt = Date.now();
      this.after(600, () =>
        note(
          `${instance.label} ran its first item ${seconds(instance.firstItemAt - instance.spawnedAt)} after starting`,
        ),
      );
    }
    const key = `${event.job}|${event.fireTime}|${event.source}`;
    let group = this.groups.get(key);
    if (!group) {
      group = { job: event.job, fireTime: event.fireTime, source: event.source, firstAt: event.at, owners: new Map() };
      this.groups.set(key, group);
      // Instances start a fire within milliseconds of each other; print once it has settled.
      this.after(500, () => this.printGroup(key));
    }
    group.owners.set(event.item, [...(group.owners.get(event.item) ?? []), instance.label]);
  }

  printGroup(key) {
    const group = this.groups.get(key);
    this.groups.delete(key);
    const total = this.totals.get(group.job) ?? Math.max(...group.owners.keys()) + 1;
    const failover = group.source === 'FAILOVER';
    const items = [];
    for (let item = 0; item < total; item += 1) {
      const owners = group.owners.get(item);
      if (owners) items.push(`${item}:${owners.map(tag).join('+')}${owners.length > 1 ? red('!') : ''}`);
      else if (!failover) items.push(dim(`${item}:-`));
    }
    const leader = this.leaders.get(group.job);
    let suffix = failover ? 'FAILOVER' : `leader ${leader ? tag(this.labelOf(leader)) : dim('none')}`;
    if (failover && this.killed) {
      suffix += ` of ${this.killed.label}'s items: started ${seconds(group.firstAt - this.killed.at)} after the kill`;
    }
    if (group.source === 'MISFIRE' || group.source === 'MANUAL') suffix += ` (${group.source})`;
    say(
      `${group.job.padEnd(14)} ${items.join(' ')}  ${failover ? bold(suffix) : dim(suffix)}`,
      failover ? group.firstAt : group.fireTime,
    );
  }

  labelOf(instanceId) {
    const pid = String(instanceId).split('@-@').pop()?.split('-')[0];
    return this.byPid.get(pid)?.label;
  }

  async watchZooKeeper() {
    const { registry } = this.zk;
    if (this.stopping || !registry.isConnected) return;
    for (const job of JOBS) {
      if (!this.totals.has(job)) {
        const config = await registry.getDirectly(`/${job}/config`);
        const count = /shardingTotalCount: (\d+)/.exec(config ?? '')?.[1];
        if (count) this.totals.set(job, Number(count));
      }
      const leader = (await registry.getDirectly(`/${job}/leader/election/instance`)) ?? undefined;
      if (leader !== this.leaders.get(job)) {
        this.leaders.set(job, leader);
        say(`leader of ${job}: ${leader ? tag(this.labelOf(leader)) : dim('none (election pending)')}`);
      }
    }
    const ids = (await registry.getChildrenKeys('/region-report/instances').catch(() => [])).sort();
    const live = ids
      .map((id) => this.labelOf(id))
      .filter(Boolean)
      .sort();
    if (live.join() !== this.live.join()) {
      const joined = live.filter((label) => !this.live.includes(label));
      const left = this.live.filter((label) => !live.includes(label));
      this.live = live;
      const change = [
        joined.length ? `${joined.map(tag).join(' ')} joined` : '',
        left.length ? `${left.map(tag).join(' ')} left` : '',
      ]
        .filter(Boolean)
        .join(', ');
      let why = '';
      if (this.killed && left.includes(this.killed.label)) {
        why = ` (its session ended ${seconds(Date.now() - this.killed.at)} after the kill)`;
      }
      say(`instances in ZooKeeper: ${live.map(tag).join(' ') || dim('none')}  ${dim(`${change}${why}`)}`);
    }
  }

  maybeKill() {
    if (!this.options.kill || this.killed || this.stopping) return;
    if (Date.now() - this.startedAt < this.options.killAfterMs) return;
    // A victim in the middle of an archive item (for at least 2 s), the leader if it is one.
    const leader = this.labelOf(this.leaders.get('archive'));
    const candidates = this.instances.filter(
      (instance) =>
        instance.alive &&
        [...instance.running.values()].some((run) => run.job === 'archive' && Date.now() - run.startedAt >= 2_000),
    );
    if (candidates.length === 0 || this.live.length < 2) {
      if (!this.announcedWait) {
        this.announcedWait = true;
        say(dim('waiting for an instance to be in the middle of an archive item, to kill it there...'));
      }
      return;
    }
    const victim = candidates.find((instance) => instance.label === leader) ?? candidates[0];
    const items = [...victim.running.values()].filter((run) => run.job === 'archive').map((run) => run.item);
    process.kill(victim.pid, 'SIGKILL');
    victim.alive = false;
    this.killed = { label: victim.label, at: Date.now() };
    note(
      `kill -9 ${victim.label} (pid ${victim.pid}) in the middle of archive item ${items.join(', ')}` +
        `${victim.label === leader ? ', the leader' : ''}; ZooKeeper ends its session within ` +
        `${seconds(this.options.sessionTimeoutMs)}, then survivors fail over its items and reshard`,
    );
    this.after(this.options.restartAfterMs, async () => {
      if (this.stopping) return;
      note('starting a new instance; watch it take items');
      this.replacement = await this.spawnInstance();
    });
  }

  async shutdown(reason) {
    if (this.stopping) return;
    this.stopping = true;
    for (const timer of this.timers) {
      clearInterval(timer);
      clearTimeout(timer);
    }
    say(`stopping (${reason}): each instance finishes its running items (up to 10 s) and leaves, then ZooKeeper stops`);
    const alive = this.instances.filter((instance) => !instance.exited);
    await Promise.all(alive.map((instance) => stopProcess(instance, 15_000)));
    await this.zk?.registry.close();
    if (this.zk?.server) await this.zk.server.close();
    this.printSummary();
    if (this.postgres) {
      await this.printHistory().catch((error) => say(red(`execution log: ${error.message ?? error}`)));
      await this.postgres.close();
    }
    this.finished?.();
  }

  /** What the execution log holds, as a query over it would tell it. */
  async printHistory() {
    const db = new pg.Client({ connectionString: this.postgres.connectionString });
    await db.connect();
    try {
      const { rows } = await db.query(
        `SELECT job_name, execution_source, count(*)::int AS runs,
                count(*) FILTER (WHERE complete_time IS NOT NULL AND NOT is_success)::int AS failed,
                count(*) FILTER (WHERE complete_time IS NULL)::int AS unfinished
           FROM job_execution_log GROUP BY job_name, execution_source ORDER BY job_name, execution_source`,
      );
      say(`execution log (${this.postgres.connectionString}, removed now the demo ends):`);
      for (const row of rows) {
        say(
          `  ${row.job_name}, ${row.execution_source}: ${row.runs} runs, ${row.failed} failed` +
            (row.unfinished ? `, ${row.unfinished} never completed (their instance was killed)` : ''),
        );
      }
    } finally {
      await db.end();
    }
  }

  /** What the record says: each region-report item once per fire, or not. */
  printSummary() {
    for (const job of JOBS) {
      const fires = new Map();
      for (const run of this.runs.filter((r) => r.job === job && r.source !== 'FAILOVER')) {
        const items = fires.get(run.fireTime) ?? new Map();
        items.set(run.item, (items.get(run.item) ?? 0) + 1);
        fires.set(run.fireTime, items);
      }
      const total = this.totals.get(job) ?? 0;
      let runs = 0;
      let twice = 0;
      let missing = 0;
      for (const items of fires.values()) {
        for (const count of items.values()) {
          runs += count;
          if (count > 1) twice += count - 1;
        }
        missing += Math.max(0, total - items.size);
      }
      const failovers = this.runs.filter((r) => r.job === job && r.source === 'FAILOVER').length;
      say(
        `${job}: ${fires.size} fires, ${runs} item runs, ${twice} ran twice in one fire, ${missing} not run` +
          `${failovers ? `, ${failovers} failed over` : ''}`,
      );
    }
    if (this.killed) {
      say(dim('items "not run" are those of the killed instance between the kill and the end of its session'));
    }
  }
}

function stopProcess(instance, timeoutMs) {
  return new Promise((resolve) => {
    if (instance.exited) return resolve();
    const timer = setTimeout(() => {
      say(red(`${instance.label} did not stop within ${seconds(timeoutMs)}: SIGKILL`));
      try {
        process.kill(instance.pid, 'SIGKILL');
      } catch {
        // gone
      }
    }, timeoutMs);
    instance.onExit = () => {
      clearTimeout(timer);
      resolve();
    };
    try {
      process.kill(instance.pid, 'SIGTERM');
    } catch {
      clearTimeout(timer);
      resolve();
    }
  });
}

// ------------------------------------------------------------------ main

let options;
try {
  options = parseOptions(process.argv.slice(2));
} catch (error) {
  console.error(`${error.message}\n\n${HELP}`);
  process.exit(2);
}
if (options.help) {
  console.log(HELP);
  process.exit(0);
}

const demo = new Demo(options);
let interrupts = 0;
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(signal, () => {
    interrupts += 1;
    if (interrupts > 1) {
      // A second Ctrl-C: no more waiting.
      for (const instance of demo.instances) {
        try {
          process.kill(instance.pid, 'SIGKILL');
        } catch {
          // gone
        }
      }
      process.exit(130);
    }
    void demo.shutdown(signal);
  });
}
// Whatever happens, no instance outlives the demo (the testing server kills its own JVM).
process.on('exit', () => {
  for (const instance of demo.instances) {
    if (instance.exited) continue;
    try {
      process.kill(instance.pid, 'SIGKILL');
    } catch {
      // gone
    }
  }
});

try {
  await demo.run();
  process.exit(0);
} catch (error) {
  console.error(red(`demo failed: ${error instanceof Error ? error.message : error}`));
  await demo.shutdown('error');
  process.exit(1);
}
