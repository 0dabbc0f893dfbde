// Fire lateness: handler start minus scheduled fire time, for 100 jobs firing every second on
// one instance, beside the same 100 jobs under a plain @nestjs/schedule @Cron, in one run
// (the kinds take turns, so drift of the machine's load hits them alike).
import { latenessSamples } from './support/cluster.mjs';
import { round, summarize } from './support/stats.mjs';

export const title = 'Fire lateness, 100 jobs every second';
export const quickOptions = { rounds: 1, phaseS: 5 };

const JOBS = 100;
const KINDS = [
  { key: 'elasticJob', label: 'nestjs-elastic-job', env: { MODE: 'elastic', CRON: '* * * * * ?' } },
  {
    key: 'elasticJobMonitorOff',
    label: 'nestjs-elastic-job, monitorExecution off',
    env: { MODE: 'elastic', CRON: '* * * * * ?', MONITOR_EXECUTION: 'false' },
  },
  { key: 'nestSchedule', label: '@nestjs/schedule @Cron', env: { MODE: 'schedule', CRON: '* * * * * *' } },
];

export async function run({ server, rounds = 2, phaseS = 15, log }) {
  const samples = Object.fromEntries(KINDS.map((kind) => [kind.key, []]));
  for (let r = 1; r <= rounds; r += 1) {
    for (const kind of KINDS) {
      const sample = await latenessSamples(
        `127.0.0.1@-@late${r}${kind.key}`,
        {
          ZK: server.connectString,
          NAMESPACE: `bench-lateness-${Date.now()}`,
          JOBS: String(JOBS),
          JOB: 'late',
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
  const summaries = Object.fromEntries(KINDS.map((kind) => [kind.key, summarize(samples[kind.key])]));
  const gap = round(summaries.elasticJob.p99 - summaries.nestSchedule.p99);
  const gapOff = round(summaries.elasticJobMonitorOff.p99 - summaries.nestSchedule.p99);
  return {
    jobs: JOBS,
    rounds,
    phaseS,
    latenessMs: summaries,
    p99GapMs: gap,
    p99GapMonitorOffMs: gapOff,
    targetGapMs: 10,
    met: gap <= 10,
    figures: [
      ...KINDS.map((kind) => [kind.label, summaries[kind.key]]),
      ['p99 minus @nestjs/schedule p99 (on / off)', `${gap} ms / ${gapOff} ms   target ≤ 10 ms`],
    ],
  };
}
