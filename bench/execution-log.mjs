// The execution log's cost and capacity, against a PostgreSQL started here:
// - fire lateness of 100 jobs every second on one instance, with the log on and off, taking
//   turns in one run (the log must not slow a fire: target, p99 within 5 ms);
// - the rows per second its writer sustains here (rows queued at once, then written).
import { ExecutionLogWriter } from '../dist/tracing/execution-log.writer.js';
import { rowsOf } from '../dist/tracing/execution-log.rows.js';
import { ensurePostgres, PostgresTestingServer } from 'nestjs-elastic-job/testing';
import pg from 'pg';
import { latenessSamples } from './support/cluster.mjs';
import { round, summarize } from './support/stats.mjs';

export const title = 'Execution log: fire lateness with it on and off, and rows per second';
export const quickOptions = { rounds: 1, phaseS: 5, rows: 20_000 };

const JOBS = 100;
const quiet = { log() {}, warn() {}, error() {} };

async function lateness(server, postgres, rounds, phaseS, log) {
  const kinds = [
    { key: 'off', label: 'execution log off', env: {} },
    { key: 'on', label: 'execution log on', env: { TRACING: postgres.connectionString } },
  ];
  const samples = { off: [], on: [] };
  for (let r = 1; r <= rounds; r += 1) {
    // Alternate which goes first, so that neither always runs on a warmer machine.
    for (const kind of r % 2 === 1 ? kinds : [...kinds].reverse()) {
      const sample = await latenessSamples(
        `127.0.0.1@-@log${r}${kind.key}`,
        {
          ZK: server.connectString,
          NAMESPACE: `bench-log-${Date.now()}`,
          JOBS: String(JOBS),
          JOB: 'logged',
          COUNT: '1',
          EVENTS: 'none',
          ...kind.env,
        },
        phaseS,
      );
      samples[kind.key].push(...sample);
      const s = summarize(sample);
      log(`  round ${r}, ${kind.label}: ${sample.length} runs, p50 ${s.p50} ms, p99 ${s.p99} ms`);
    }
  }
  return { off: summarize(samples.off), on: summarize(samples.on) };
}

/** Rows of `count` item runs (a start and an end each), queued at once; timed until written. */
async function throughput(postgres, count) {
  const pool = new pg.Pool({ connectionString: postgres.connectionString, max: 4 });
  try {
    const writer = new ExecutionLogWriter(
      pool,
      { maxQueuedRows: count * 2, batchSize: 500, flushIntervalMs: 0 },
      quiet,
    );
    await writer.prepare();
    const origin = { hostname: 'bench', ip: '127.0.0.1' };
    const at = new Date();
    const started = performance.now();
    for (let i = 0; i < count; i += 1) {
      const common = {
        job: `job-${i % 100}`,
        instanceId: '127.0.0.1@-@1',
        at,
        item: i % 10,
        executionId: `bench-${i}-${Date.now()}`,
        taskId: `job-${i % 100}@-@${i % 10}@-@READY@-@127.0.0.1@-@1`,
        source: 'NORMAL_TRIGGER',
        fireTime: at,
        startedAt: at,
      };
      writer.add(
        rowsOf({ type: 'item-started', ...common, shardingTotalCount: 10, shardingParameter: undefined }, origin),
      );
      writer.add(rowsOf({ type: 'item-finished', ...common, status: 'SUCCEEDED', durationMs: 1 }, origin));
    }
    await writer.close(Date.now() + 600_000);
    const seconds = (performance.now() - started) / 1000;
    const { rows } = await pool.query('SELECT count(*)::int AS n FROM JOB_EXECUTION_LOG');
    return { runs: count, rowsInTable: rows[0].n, seconds: round(seconds), runsPerSecond: Math.round(count / seconds) };
  } finally {
    await pool.end();
  }
}

export async function run({ server, rounds = 4, phaseS = 15, rows = 200_000, log }) {
  log(`PostgreSQL: ${ensurePostgres(() => undefined).source}`);
  const postgres = await PostgresTestingServer.start();
  try {
    const latenessMs = await lateness(server, postgres, rounds, phaseS, log);
    const gap = round(latenessMs.on.p99 - latenessMs.off.p99);
    const written = await throughput(postgres, rows);
    log(`  writer: ${written.runs} runs (2 rows each, coalesced per batch) in ${written.seconds} s`);
    return {
      jobs: JOBS,
      rounds,
      phaseS,
      latenessMs,
      p99GapMs: gap,
      targetGapMs: 5,
      met: Math.abs(gap) <= 5,
      writer: written,
      figures: [
        ['lateness, execution log off', latenessMs.off],
        ['lateness, execution log on', latenessMs.on],
        ['p99 on minus off', `${gap} ms   target within 5 ms`],
        ['writer, item runs per second', `${written.runsPerSecond} (${written.runs} runs in ${written.seconds} s)`],
      ],
    };
  } finally {
    await postgres.close();
  }
}
