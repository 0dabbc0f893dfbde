// A mixed cluster against the real Java ElasticJob-Lite 3.0.4: Node instances (the soak's
// instance process, bench/soak/soak-node.mjs, on the built package) and Java instances
// (bench/interop/JavaNode.java) share one job on a real ZooKeeper, join and leave, and every
// handler start and end is judged: each item of each fire runs once, and no item runs on two
// instances at once.
//
//   npm run build
//   node bench/interop/java-mixed.mjs --source <checkout of apache/shardingsphere-elasticjob> [--rounds 3]
//
// ElasticJob is built here from its public source with plain javac and Debian's jars (Curator
// 5.4, Quartz 2.3, Guava, Gson, SnakeYAML 1.33, Lombok; installed with apt-get when missing).
// Its source is read from --source (a git checkout: the 3.0.4 tag is exported from it) and
// built under tmp/interop/; nothing of it is kept in this repository. SnakeYAML 1.33 has no
// TagInspector, so the one line of YamlEngine that sets one is left out of the build.
import { execFileSync, spawn } from 'node:child_process';
import {
  appendFileSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { ZookeeperRegistryCenter } from 'nestjs-elastic-job/registry';
import { ZooKeeperTestingServer } from 'nestjs-elastic-job/testing';
import { liveIntervals, overlaps } from '../soak/judge.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '../..');
const NODE_SCRIPT = join(root, 'bench/soak/soak-node.mjs');
const BUILD = join(root, 'tmp/interop/elasticjob-3.0.4');
const TAG = '3.0.4';
const JAVA = '/usr/share/java';
const JARS = [
  'curator-client.jar',
  'curator-framework.jar',
  'curator-recipes.jar',
  'quartz2.jar',
  'gson.jar',
  'snakeyaml.jar',
  'guava.jar',
  'commons-lang3.jar',
  'slf4j-api.jar',
  'zookeeper.jar',
  'zookeeper-jute.jar',
];
const RUNTIME_JARS = [process.env.INTEROP_LOG === '1' ? 'slf4j-simple.jar' : 'slf4j-nop.jar'];
const PACKAGES = [
  'libcurator-client-java',
  'libcurator-framework-java',
  'libcurator-recipes-java',
  'libquartz2-java',
  'libgoogle-gson-java',
  'libyaml-snake-java',
  'liblombok-java',
  'libcommons-lang3-java',
  'libguava-java',
  'libslf4j-java',
  'zookeeper',
];
// The modules a simple job on ZooKeeper needs, as laid out in the 3.0.4 source tree.
const MODULES = [
  'elasticjob-api',
  'elasticjob-infra/elasticjob-infra-common',
  'elasticjob-infra/elasticjob-registry-center/elasticjob-registry-center-api',
  'elasticjob-infra/elasticjob-registry-center/elasticjob-regitry-center-provider/elasticjob-registry-center-zookeeper-curator',
  'elasticjob-ecosystem/elasticjob-executor/elasticjob-executor-kernel',
  'elasticjob-ecosystem/elasticjob-executor/elasticjob-executor-type/elasticjob-simple-executor',
  'elasticjob-ecosystem/elasticjob-error-handler/elasticjob-error-handler-spi',
  'elasticjob-ecosystem/elasticjob-error-handler/elasticjob-error-handler-type/elasticjob-error-handler-general',
  'elasticjob-ecosystem/elasticjob-tracing/elasticjob-tracing-api',
  'elasticjob-lite/elasticjob-lite-core',
];

const JOB = 'mixed';
const JAVA_CLASS = 'MixedJob';
const ITEMS = 6;
const ITEM_MS = 50;
const SESSION_TIMEOUT_MS = 4_000;
const STEP_MS = 5_000;

const sleep = (ms) => new Promise((done) => setTimeout(done, ms));
const log = (text) => process.stderr.write(`${text}\n`);

function ensureJars() {
  const missing = [...JARS, ...RUNTIME_JARS, 'lombok.jar'].filter((jar) => !existsSync(join(JAVA, jar)));
  if (missing.length === 0) return;
  log(`missing ${missing.join(', ')}: apt-get install ${PACKAGES.join(' ')}`);
  execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit' });
  execFileSync('apt-get', ['install', '-y', '-qq', ...PACKAGES], {
    stdio: 'inherit',
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
}

/** Builds ElasticJob 3.0.4 and JavaNode.java under tmp/interop; returns the class path to run. */
function build(source) {
  const classes = join(BUILD, 'classes');
  const compileClassPath = [...JARS, 'lombok.jar'].map((jar) => join(JAVA, jar)).join(':');
  const marker = join(BUILD, 'built');
  if (!existsSync(marker)) {
    if (!source) {
      throw new Error(
        'ElasticJob 3.0.4 is not built yet: pass --source <checkout of https://github.com/apache/shardingsphere-elasticjob> ' +
          '(a git clone with its tags, or a directory holding the 3.0.4 tree)',
      );
    }
    rmSync(BUILD, { recursive: true, force: true });
    const tree = join(BUILD, 'src');
    mkdirSync(tree, { recursive: true });
    if (existsSync(join(source, 'HEAD')) || existsSync(join(source, '.git'))) {
      log(`exporting ${TAG} from ${source}`);
      const archive = execFileSync(
        'git',
        ['--git-dir', existsSync(join(source, '.git')) ? join(source, '.git') : source, 'archive', TAG],
        {
          maxBuffer: 1 << 30,
        },
      );
      execFileSync('tar', ['-x', '-C', tree], { input: archive });
    } else {
      execFileSync('cp', ['-r', `${source}/.`, tree]);
    }
    const yamlEngine = join(
      tree,
      'elasticjob-infra/elasticjob-infra-common/src/main/java/org/apache/shardingsphere/elasticjob/infra/yaml/YamlEngine.java',
    );
    writeFileSync(
      yamlEngine,
      readFileSync(yamlEngine, 'utf8')
        .split('\n')
        .filter((line) => !line.includes('setTagInspector'))
        .join('\n'),
    );
    const sources = execFileSync('find', [
      ...MODULES.map((module) => join(tree, module, 'src/main/java')),
      '-name',
      '*.java',
    ])
      .toString()
      .trim()
      .split('\n');
    writeFileSync(join(BUILD, 'sources.txt'), sources.join('\n'));
    mkdirSync(classes, { recursive: true });
    log(`javac: ${sources.length} ElasticJob sources`);
    execFileSync(
      'javac',
      [
        '-nowarn',
        '-processorpath',
        join(JAVA, 'lombok.jar'),
        '-cp',
        compileClassPath,
        '-d',
        classes,
        `@${join(BUILD, 'sources.txt')}`,
      ],
      { stdio: ['ignore', 'ignore', 'inherit'] },
    );
    // Resources, with the ServiceLoader files of several modules (the same service, other
    // implementations) merged rather than overwritten.
    for (const module of MODULES) {
      const resources = join(tree, module, 'src/main/resources');
      if (!existsSync(resources)) continue;
      for (const file of readdirSync(resources, { recursive: true })) {
        const from = join(resources, file);
        if (statSync(from).isDirectory()) continue;
        const to = join(classes, file);
        mkdirSync(dirname(to), { recursive: true });
        if (file.includes('META-INF/services/') && existsSync(to))
          appendFileSync(to, `\n${readFileSync(from, 'utf8')}`);
        else copyFileSync(from, to);
      }
    }
    writeFileSync(marker, `${TAG}\n`);
  }
  const node = join(BUILD, 'node');
  mkdirSync(node, { recursive: true });
  execFileSync('javac', ['-nowarn', '-cp', `${classes}:${compileClassPath}`, '-d', node, join(here, 'JavaNode.java')], {
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  return [node, classes, ...[...JARS, ...RUNTIME_JARS].map((jar) => join(JAVA, jar))].join(':');
}

class Member {
  constructor(id, kind, command, args, env, records) {
    this.id = id;
    this.kind = kind;
    this.stderr = '';
    this.child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
    this.ready = new Promise((done, fail) => {
      this.markReady = done;
      this.child.once('exit', (code) => fail(new Error(`${id} exited (${code}) before it was ready:\n${this.stderr}`)));
    });
    this.exited = new Promise((done) => this.child.once('exit', done));
    createInterface({ input: this.child.stdout }).on('line', (line) => {
      let record;
      try {
        record = JSON.parse(line);
      } catch {
        return;
      }
      if (record.t === 'ready') this.markReady();
      records.push({ ...record, instance: id, kind });
    });
    this.child.stderr.on('data', (chunk) => {
      this.stderr = (this.stderr + chunk).slice(-4_000);
      if (process.env.INTEROP_LOG === '1') process.stderr.write(`[${id}] ${chunk}`);
    });
  }

  async stop() {
    this.child.kill('SIGTERM');
    await this.exited;
  }
}

/**
 * One round: a cluster that starts with `first`, then members join and leave one every STEP_MS.
 * Returns what ran, judged per fire and item.
 */
async function round(name, classPath, connectString, steps) {
  const namespace = `interop-${name}-${Date.now()}`;
  const records = [];
  const members = new Map();
  const changes = [];
  const start = async (id) => {
    const kind = id.startsWith('java') ? 'java' : 'node';
    const member =
      kind === 'java'
        ? new Member(
            id,
            kind,
            'java',
            [
              '-cp',
              classPath,
              'JavaNode',
              connectString,
              namespace,
              id,
              JOB,
              '* * * * * ?',
              String(ITEMS),
              String(ITEM_MS),
              String(SESSION_TIMEOUT_MS),
            ],
            {},
            records,
          )
        : new Member(
            id,
            kind,
            process.execPath,
            [NODE_SCRIPT],
            {
              ZK: connectString,
              NAMESPACE: namespace,
              INSTANCE_ID: id,
              SESSION_TIMEOUT_MS: String(SESSION_TIMEOUT_MS),
              SOAK_LOG: process.env.INTEROP_LOG ?? '0',
              SOAK_JOBS: JSON.stringify([
                { name: JOB, cron: '* * * * * ?', count: ITEMS, itemMs: ITEM_MS, jobClassName: JAVA_CLASS },
              ]),
            },
            records,
          );
    members.set(id, member);
    await member.ready;
    changes.push({ what: `${id} joined`, at: Date.now() });
  };
  const observer = new ZookeeperRegistryCenter(
    { serverLists: connectString, namespace, sessionTimeoutMs: SESSION_TIMEOUT_MS },
    { log() {}, warn() {}, error() {} },
  );
  await observer.init();
  let leader;
  try {
    const begin = Date.now();
    for (const step of steps) {
      const [verb, id] = step.split(' ');
      if (verb === 'join') await start(id);
      else {
        // Leave right after a fire, as the stand-in test does: the hardest moment for a handover.
        await sleep(1_100 - (Date.now() % 1_000));
        const at = Date.now();
        await members.get(id).stop();
        changes.push({ what: `${id} left`, at });
      }
      if (!leader) leader = await observer.get(`/${JOB}/leader/election/instance`).catch(() => undefined);
      await sleep(STEP_MS);
    }
    const end = Date.now();
    for (const member of members.values()) if (member.child.exitCode === null) await member.stop();

    const counts = new Map();
    for (const record of records) {
      if (record.t !== 'start') continue;
      const key = `${record.fire}/${record.item}`;
      counts.set(key, [...(counts.get(key) ?? []), record]);
    }
    const first = Math.ceil((changes[0].at + 2_000) / 1_000) * 1_000;
    const last = Math.floor((end - 1_000) / 1_000) * 1_000;
    const missing = [];
    const doubled = [];
    let judged = 0;
    for (let fire = first; fire <= last; fire += 1_000) {
      for (let item = 0; item < ITEMS; item += 1) {
        judged += 1;
        const runs = counts.get(`${fire}/${item}`) ?? [];
        const near = changes.filter((change) => Math.abs(change.at - fire) < 2_500).map((change) => change.what);
        const where = { fire: fire - begin, item, near, ran: runs.map((run) => `${run.instance}:${run.source}`) };
        if (runs.length === 0) missing.push(where);
        if (runs.length > 1) doubled.push(where);
      }
    }
    // Every line, for a closer look at what the summary reports.
    mkdirSync(join(root, 'tmp/interop'), { recursive: true });
    writeFileSync(
      join(root, 'tmp/interop', `${namespace}.jsonl`),
      records.map((record) => JSON.stringify(record)).join('\n'),
    );
    const { intervals } = liveIntervals(records, new Map(), end);
    const found = overlaps(intervals);
    const ran = { node: 0, java: 0 };
    for (const record of records) if (record.t === 'start') ran[record.kind] += 1;
    return {
      name,
      namespace,
      begin,
      leader,
      steps,
      changes: changes.map(({ what, at }) => ({ what, at: at - begin })),
      judged,
      ran,
      missing,
      doubled,
      overlaps: found,
    };
  } finally {
    for (const member of members.values()) if (member.child.exitCode === null) member.child.kill('SIGKILL');
    await observer.close();
  }
}

const { values } = parseArgs({
  options: { source: { type: 'string' }, rounds: { type: 'string', default: '3' }, scenario: { type: 'string' } },
});
ensureJars();
const classPath = build(values.source);
const zookeeper = await ZooKeeperTestingServer.start();
const scenarios = {
  // A Node instance leads; a Java instance joins, Node instances come and go, the Java one leaves.
  'node-leads': [
    'join node-a',
    'join java-1',
    'join node-b',
    'join node-c',
    'leave node-b',
    'leave java-1',
    'join java-2',
    'leave node-a',
  ],
  // A Java instance leads (it writes no plan); Node instances follow its sharding nodes.
  'java-leads': [
    'join java-1',
    'join node-a',
    'join java-2',
    'join node-b',
    'leave java-2',
    'leave node-a',
    'join node-c',
  ],
};
const results = [];
try {
  for (let index = 0; index < Number(values.rounds); index += 1) {
    for (const [name, steps] of Object.entries(scenarios).filter(
      ([name]) => !values.scenario || name === values.scenario,
    )) {
      log(`round ${index + 1}: ${name}`);
      const result = await round(name, classPath, zookeeper.connectString, steps);
      log(
        `  leader ${result.leader}; ${result.judged} item-fires judged (runs: ${result.ran.node} Node, ${result.ran.java} Java); ` +
          `missing ${result.missing.length}, twice ${result.doubled.length}, overlaps ${result.overlaps.length}`,
      );
      for (const where of [...result.missing, ...result.doubled]) log(`    ${JSON.stringify(where)}`);
      results.push(result);
    }
  }
} finally {
  await zookeeper.close();
}
const total = (key) =>
  results.reduce((sum, result) => sum + (Array.isArray(result[key]) ? result[key].length : result[key]), 0);
const summary = {
  rounds: results.length,
  judged: total('judged'),
  missing: total('missing'),
  doubled: total('doubled'),
  overlaps: total('overlaps'),
};
mkdirSync(join(root, 'bench/results'), { recursive: true });
const file = join(root, 'bench/results', `interop-java-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
writeFileSync(file, JSON.stringify({ summary, results }, null, 2));
console.log(JSON.stringify(summary));
log(`written ${file}`);
process.exit(summary.missing + summary.doubled + summary.overlaps === 0 ? 0 : 1);
