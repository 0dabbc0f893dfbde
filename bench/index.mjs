// `npm run bench [-- names...] [--quick]`: runs the benchmarks against a ZooKeeper started
// here, prints the figures and writes them as JSON to bench/results/.
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem, release } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureZooKeeper, ZooKeeperTestingServer } from 'nestjs-elastic-job/testing';
import { describe } from './support/stats.mjs';

const ALL = ['failover', 'membership', 'zk-cost', 'lateness', 'scale', 'reconnect', 'execution-log', 'console'];
const args = process.argv.slice(2);
const quick = args.includes('--quick');
const names = args.filter((arg) => !arg.startsWith('--'));
const unknown = names.filter((name) => !ALL.includes(name));
if (unknown.length > 0) {
  console.error(`unknown benchmark ${unknown.join(', ')}; choose from ${ALL.join(', ')}`);
  process.exit(2);
}
const selected = names.length > 0 ? names : ALL;
const log = (line) => console.log(line);

const machine = {
  cpus: cpus().length,
  cpuModel: cpus()[0]?.model,
  memoryGb: Math.round(totalmem() / 2 ** 30),
  node: process.version,
  kernel: release(),
  zookeeper: ensureZooKeeper().source,
};
log(`machine: ${machine.cpus} CPUs (${machine.cpuModel}), ${machine.memoryGb} GB, Node ${machine.node}`);
log(`ZooKeeper: ${machine.zookeeper}, standalone on loopback, tickTime 200 ms, forceSync=no`);
if (quick) log('--quick: fewer rounds and smaller sizes (a smoke run, not figures to quote)');

const results = { startedAt: new Date().toISOString(), quick, machine, benchmarks: {} };
let failed = false;
for (const name of selected) {
  const bench = await import(`./${name}.mjs`);
  log(`\n== ${bench.title} (${name})`);
  const server = bench.ownZooKeeper ? undefined : await ZooKeeperTestingServer.start({ maxHeapMb: 512 });
  try {
    const started = Date.now();
    const result = await bench.run({ server, quick, log, ...(quick ? bench.quickOptions : {}) });
    for (const [label, summary, unit] of result.figures ?? []) {
      log(typeof summary === 'object' ? describe(label, summary, unit) : `${label.padEnd(44)} ${summary}`);
    }
    if ('met' in result) log(`target met: ${result.met ? 'yes' : 'NO'}`);
    delete result.figures;
    results.benchmarks[name] = { ...result, durationS: Math.round((Date.now() - started) / 1000) };
  } catch (error) {
    failed = true;
    log(`FAILED: ${error instanceof Error ? error.stack : error}`);
    results.benchmarks[name] = { error: String(error) };
  } finally {
    await server?.close();
  }
}

const dir = join(dirname(fileURLToPath(import.meta.url)), 'results');
mkdirSync(dir, { recursive: true });
const stamp = results.startedAt.replace(/[:.]/g, '-');
const file = join(dir, `${quick ? 'quick-' : ''}${stamp}.json`);
writeFileSync(file, `${JSON.stringify(results, null, 2)}\n`);
writeFileSync(join(dir, quick ? 'latest-quick.json' : 'latest.json'), `${JSON.stringify(results, null, 2)}\n`);
log(`\nresults: ${file}`);
process.exit(failed ? 1 : 0);
