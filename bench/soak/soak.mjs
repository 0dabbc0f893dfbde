// The seeded fault-injection soak: `npm run soak -- --seed N --seconds S`.
// 4 instance processes (bench/soak/soak-node.mjs) share two jobs on a real ZooKeeper (a
// 3-node ensemble by default); every 6-12 s a fault drawn from the seed hits them; at the end
// the record of every handler start and end is judged (bench/soak/judge.mjs).
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { ZookeeperRegistryCenter } from 'nestjs-elastic-job/registry';
import { ZooKeeperTestingCluster, ZooKeeperTestingServer } from 'nestjs-elastic-job/testing';
import { failoverDelays, liveIntervals, overlaps, quietFireCounts } from './judge.mjs';

const NODE_SCRIPT = join(dirname(fileURLToPath(import.meta.url)), 'soak-node.mjs');
const JOBS = [
  { name: 'soak-fast', items: 6, everyMs: 1_000 },
  { name: 'soak-slow', items: 4, everyMs: 2_000 },
];
export const FAULTS = ['kill', 'freeze', 'graceful', 'zookeeper-restart', 'ensemble-leader', 'trigger'];

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** mulberry32: a small seeded PRNG, so a seed replays the same fault schedule. */
function random(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

class SoakInstance {
  constructor(id, env, records) {
    this.id = id;
    this.stderr = '';
    this.frozen = false;
    this.gone = false;
    this.child = spawn(process.execPath, [NODE_SCRIPT], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, ...env, INSTANCE_ID: id },
    });
    this.ready = new Promise((resolve) => (this.markReady = resolve));
    this.exited = new Promise((resolve) => this.child.on('exit', resolve));
    this.child.on('exit', (code, signal) => {
      this.gone = true;
      this.exit = { at: Date.now(), code, signal };
    });
    createInterface({ input: this.child.stdout }).on('line', (line) => {
      let record;
      try {
        record = JSON.parse(line);
      } catch {
        if (process.env.SOAK_LOG === '1') process.stderr.write(`[${id}] ${line}\n`);
        return;
      }
      if (record.t === 'ready') this.markReady();
      records.push(record);
    });
    this.child.stderr.on('data', (chunk) => {
      this.stderr = (this.stderr + chunk).slice(-4_000);
      if (process.env.SOAK_LOG === '1') process.stderr.write(`[${id}] ${chunk}`);
    });
  }

  signal(name) {
    if (!this.gone) this.child.kill(name);
  }
}

/**
 * Runs one soak. Returns `{ ok, seed, faults, overlaps, quiet, failover, ... }`.
 * @param options `{ seed, seconds, instances = 4, sessionTimeoutMs = 4000, ensemble = true,
 *   faults = FAULTS, log }`
 */
export async function runSoak(options) {
  const seed = options.seed ?? 1;
  const seconds = options.seconds ?? 60;
  const size = options.instances ?? 4;
  const sessionTimeoutMs = options.sessionTimeoutMs ?? 4_000;
  const ensemble = options.ensemble ?? true;
  const enabled = (options.faults ?? FAULTS).filter((fault) => ensemble || fault !== 'ensemble-leader');
  const log = options.log ?? (() => undefined);
  const rand = random(seed);
  const pick = (list) => list[Math.floor(rand() * list.length)];
  const between = (low, high) => low + Math.floor(rand() * (high - low));

  const zookeeper = ensemble
    ? await ZooKeeperTestingCluster.start({ tickTimeMs: 200 })
    : await ZooKeeperTestingServer.start();
  const servers = ensemble ? zookeeper.servers : [zookeeper];
  const namespace = `soak-${seed}-${Date.now()}`;
  const env = { ZK: zookeeper.connectString, NAMESPACE: namespace, SESSION_TIMEOUT_MS: String(sessionTimeoutMs) };
  const records = [];
  const lifecycle = new Map();
  const instances = [];
  const faults = [];
  const crashes = [];
  let next = 0;
  const spawnInstance = () => {
    next += 1;
    const instance = new SoakInstance(`soak-${next}`, env, records);
    lifecycle.set(instance.id, { freezes: [] });
    instances.push(instance);
    return instance;
  };
  const live = () => instances.filter((instance) => !instance.gone && !instance.frozen && !instance.stopping);
  const operator = new ZookeeperRegistryCenter(
    { serverLists: zookeeper.connectString, namespace, sessionTimeoutMs },
    { log() {}, warn() {}, error() {} },
  );

  const apply = {
    async kill() {
      const target = pick(live());
      const fault = { kind: 'kill', instance: target.id, at: Date.now() };
      target.signal('SIGKILL');
      lifecycle.get(target.id).killedAt = fault.at;
      await target.exited;
      await sleep(1_000);
      fault.replacement = spawnInstance().id;
      fault.end = fault.at + sessionTimeoutMs;
      return fault;
    },
    async freeze() {
      const target = pick(live());
      const fault = { kind: 'freeze', instance: target.id, at: Date.now() };
      target.frozen = true;
      target.signal('SIGSTOP');
      await sleep(sessionTimeoutMs + between(2_000, 4_000));
      target.signal('SIGCONT');
      target.frozen = false;
      fault.end = Date.now();
      lifecycle.get(target.id).freezes.push({ from: fault.at, to: fault.end });
      return fault;
    },
    async graceful() {
      const target = pick(live());
      const fault = { kind: 'graceful', instance: target.id, at: Date.now() };
      target.stopping = true;
      target.signal('SIGTERM');
      fault.replacement = spawnInstance().id;
      await target.exited;
      fault.end = Date.now();
      return fault;
    },
    async 'zookeeper-restart'() {
      const fault = { kind: 'zookeeper-restart', at: Date.now() };
      await Promise.all(servers.map((server) => server.kill()));
      await sleep(2_000);
      await Promise.all(servers.map((server) => server.startProcess(false)));
      await Promise.all(servers.map((server) => server.waitUntilServing()));
      fault.end = Date.now();
      return fault;
    },
    async 'ensemble-leader'() {
      const index = await zookeeper.leaderIndex();
      const fault = { kind: 'ensemble-leader', server: index, at: Date.now() };
      if (index >= 0) {
        await servers[index].kill();
        await sleep(3_000);
        await servers[index].restart();
      }
      fault.end = Date.now();
      return fault;
    },
    async trigger() {
      const fault = { kind: 'trigger', at: Date.now() };
      try {
        for (const job of JOBS) {
          for (const id of await operator.getChildrenKeys(`/${job.name}/instances`)) {
            await operator.persist(`/${job.name}/trigger/${id}`, '');
          }
        }
      } catch (error) {
        fault.error = String(error);
      }
      fault.end = Date.now();
      return fault;
    },
  };

  let started;
  let stoppedAt;
  try {
    await operator.init();
    for (let i = 0; i < size; i += 1) spawnInstance();
    await Promise.all(instances.map((instance) => instance.ready));
    started = Date.now();
    log(`soak seed ${seed}: ${size} instances ready, ${seconds} s of faults (${enabled.join(', ')})`);
    const until = started + seconds * 1_000;
    for (;;) {
      const wait = between(6_000, 12_000);
      if (Date.now() + wait >= until) break;
      await sleep(wait);
      const fault = await apply[pick(enabled)]();
      faults.push(fault);
      log(`  ${((fault.at - started) / 1000).toFixed(1)} s ${fault.kind}${fault.instance ? ` ${fault.instance}` : ''}`);
    }
    // A quiet tail, so the last fault's recovery is judged too: past the settling time of the
    // last fault (however long it took on a busy machine), several fires far from any fault.
    const lastEnd = Math.max(until, ...faults.map((fault) => fault.end ?? fault.at));
    await sleep(Math.max(lastEnd - Date.now(), 0) + sessionTimeoutMs + 4_000 + 6_000);
  } finally {
    stoppedAt = Date.now();
    // A process that ended by itself, not by a fault or the final stop, crashed: its runs end
    // there, and the seed fails.
    for (const instance of instances) {
      const life = lifecycle.get(instance.id);
      if (instance.exit && !instance.stopping && life.killedAt === undefined) {
        life.crashedAt = instance.exit.at;
        crashes.push({ instance: instance.id, ...instance.exit, stderr: instance.stderr });
      }
    }
    for (const instance of instances) {
      instance.signal('SIGCONT');
      instance.signal('SIGTERM');
    }
    const exits = Promise.all(instances.map((instance) => instance.exited));
    const timer = setTimeout(() => instances.forEach((instance) => instance.signal('SIGKILL')), 20_000);
    await exits;
    clearTimeout(timer);
    await operator.close();
    await zookeeper.close();
  }

  // ---- the verdict, from what ran
  const endOfRun = Date.now();
  const { runs, intervals } = liveIntervals(records, lifecycle, endOfRun);
  const found = overlaps(intervals);
  const settleMs = sessionTimeoutMs + 4_000;
  const quiet = (fire) =>
    fire > started + 5_000 &&
    fire < stoppedAt - 2_000 &&
    faults.every((fault) => fire < fault.at - 2_000 || fire > (fault.end ?? fault.at) + settleMs);
  const jobs = JOBS.map((job) => {
    const fireTimes = [];
    for (let t = Math.ceil(started / job.everyMs) * job.everyMs; t < stoppedAt; t += job.everyMs) fireTimes.push(t);
    return { name: job.name, items: job.items, fireTimes };
  });
  const counted = quietFireCounts(runs, jobs, quiet);
  // Failover is judged for kills with no other fault until the bound has passed.
  const boundMs = sessionTimeoutMs + 1_000;
  const cleanKills = faults.filter(
    (fault) =>
      fault.kind === 'kill' &&
      faults.every((other) => other === fault || other.at > fault.at + boundMs || (other.end ?? other.at) < fault.at),
  );
  const failover = failoverDelays(
    runs,
    cleanKills.map((kill) => ({ instance: kill.instance, at: kill.at })),
    'soak-slow',
    boundMs,
  );
  if (found.length > 0 || crashes.length > 0 || counted.wrong.length > 0 || failover.some((entry) => entry.late)) {
    // The whole record, to replay the verdict by hand: every line, the faults, the lifecycle.
    const dir = join(dirname(fileURLToPath(import.meta.url)), '../../tmp/soak');
    mkdirSync(dir, { recursive: true });
    writeFileSync(
      join(dir, `seed-${seed}-${started}.json`),
      JSON.stringify({ seed, started, stoppedAt, endOfRun, faults, crashes, lifecycle: [...lifecycle], records }),
    );
  }
  const result = {
    seed,
    seconds,
    ensemble,
    sessionTimeoutMs,
    faults,
    runs: runs.length,
    overlaps: found,
    crashes,
    quiet: { firesChecked: counted.checked, wrong: counted.wrong },
    failover,
    ok:
      found.length === 0 &&
      crashes.length === 0 &&
      counted.wrong.length === 0 &&
      failover.every((entry) => !entry.late),
    stderr: Object.fromEntries(instances.filter((i) => i.stderr).map((i) => [i.id, i.stderr])),
  };
  log(
    `  seed ${seed}: ${faults.length} faults, ${runs.length} runs, ${found.length} overlaps, ${crashes.length} crashes, ` +
      `${counted.checked} quiet fires checked (${counted.wrong.length} wrong), ` +
      `${failover.length} failovers judged (${failover.filter((entry) => entry.late).length} late)` +
      (failover.length ? `, delays ${failover.map((entry) => entry.delayMs ?? 'none').join(' ')} ms` : ''),
  );
  return result;
}

function parseArgs(argv) {
  const options = {};
  for (let i = 0; i < argv.length; i += 1) {
    const [flag, inline] = argv[i].split('=');
    const value = () => inline ?? argv[(i += 1)];
    if (flag === '--seed') options.seed = Number(value());
    else if (flag === '--seconds') options.seconds = Number(value());
    else if (flag === '--seeds') options.seeds = Number(value());
    else if (flag === '--instances') options.instances = Number(value());
    else if (flag === '--session-timeout') options.sessionTimeoutMs = Number(value());
    else if (flag === '--standalone') options.ensemble = false;
    else if (flag === '--faults') options.faults = value().split(',');
    else if (flag === '--help') options.help = true;
    else throw new Error(`unknown option ${flag}`);
  }
  return options;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const options = parseArgs(process.argv.slice(2));
  if (options.help) {
    console.log(
      'npm run soak -- --seed N --seconds S [--seeds K: seeds N..N+K-1] [--instances 4] [--session-timeout 4000] ' +
        `[--standalone] [--faults ${FAULTS.join(',')}]`,
    );
    process.exit(0);
  }
  const first = options.seed ?? 1;
  const seeds = Array.from({ length: options.seeds ?? 1 }, (_, index) => first + index);
  const results = [];
  for (const seed of seeds) {
    const result = await runSoak({ ...options, seed, log: (line) => console.log(line) });
    results.push(result);
    if (!result.ok) {
      console.log(
        JSON.stringify(
          {
            overlaps: result.overlaps,
            crashes: result.crashes.map(({ stderr, ...crash }) => crash),
            wrong: result.quiet.wrong,
            failover: result.failover,
          },
          null,
          2,
        ),
      );
      for (const [id, text] of Object.entries(result.stderr)) console.log(`--- ${id} stderr\n${text}`);
    }
  }
  if (seeds.length > 1) {
    const delays = results.flatMap((result) => result.failover.map((entry) => entry.delayMs)).filter(Number.isFinite);
    const kinds = {};
    for (const fault of results.flatMap((result) => result.faults)) kinds[fault.kind] = (kinds[fault.kind] ?? 0) + 1;
    const summary = {
      startedAt: new Date().toISOString(),
      seeds,
      seconds: options.seconds ?? 60,
      faults: kinds,
      runs: results.reduce((sum, result) => sum + result.runs, 0),
      overlaps: results.reduce((sum, result) => sum + result.overlaps.length, 0),
      crashes: results.reduce((sum, result) => sum + result.crashes.length, 0),
      quietFiresChecked: results.reduce((sum, result) => sum + result.quiet.firesChecked, 0),
      quietFiresWrong: results.reduce((sum, result) => sum + result.quiet.wrong.length, 0),
      failoversJudged: delays.length,
      failoversLate: results.reduce((sum, result) => sum + result.failover.filter((entry) => entry.late).length, 0),
      failoverDelayMs: delays.length ? { min: Math.min(...delays), max: Math.max(...delays) } : undefined,
      failedSeeds: results.filter((result) => !result.ok).map((result) => result.seed),
    };
    console.log(JSON.stringify(summary, null, 2));
    const dir = join(dirname(fileURLToPath(import.meta.url)), '..', 'results');
    mkdirSync(dir, { recursive: true });
    writeFileSync(
      join(dir, `soak-${summary.startedAt.replace(/[:.]/g, '-')}.json`),
      `${JSON.stringify(summary, null, 2)}\n`,
    );
  }
  const ok = results.every((result) => result.ok);
  console.log(ok ? 'soak: ok' : 'soak: FAILED');
  process.exit(ok ? 0 : 1);
}
