// The console with many jobs: a namespace of 1,000 jobs held by a live instance (a child
// process on the built package), and the standalone console (`dist/cli/main.js console`, its
// own process) over it. Measured: the console's start to its first answer (the namespace
// loaded into its watch cache), and how long the jobs page, the servers page and one job's
// page take to answer, over loopback, warm.
import { spawn } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { Instance } from './support/cluster.mjs';
import { round, summarize } from './support/stats.mjs';

export const title = 'Console: the jobs page with 1,000 jobs';
export const quickOptions = { jobs: 100, requests: 10 };

const CLI = join(resolve(dirname(fileURLToPath(import.meta.url)), '..'), 'dist/cli/main.js');
const NEVER_IN_THE_RUN = '0 0 3 * * ?';
const ADMIN = 'bench:console-bench-password';
const auth = `Basic ${Buffer.from(ADMIN).toString('base64')}`;

function startConsole(server, namespace) {
  const started = performance.now();
  const child = spawn(
    process.execPath,
    [CLI, 'console', '--zookeeper', server.connectString, '--namespace', namespace, '--port', '0'],
    {
      env: { ...process.env, ELASTIC_JOB_CONSOLE_ADMIN: ADMIN },
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  const url = new Promise((found, failed) => {
    createInterface({ input: child.stdout }).on('line', (line) => {
      const match = /console for namespace "[^"]+": (http\S+)/.exec(line);
      if (match) found(`${match[1]}/api`);
    });
    child.on('exit', (code) => failed(new Error(`the console exited (${code})`)));
  });
  return { child, url, started };
}

/** One request: its time to the whole answer (ms) and the answer. */
async function timed(url) {
  const start = performance.now();
  const response = await fetch(url, { headers: { authorization: auth } });
  const body = await response.json();
  const ms = performance.now() - start;
  if (!response.ok) throw new Error(`${url}: ${response.status} ${JSON.stringify(body)}`);
  return { ms, body, bytes: Number(response.headers.get('content-length') ?? 0) };
}

export async function run({ server, jobs = 1000, requests = 50, log }) {
  const namespace = `bench-console-${Date.now()}`;
  const instance = new Instance('127.0.0.1@-@console-bench', {
    ZK: server.connectString,
    NAMESPACE: namespace,
    JOBS: String(jobs),
    JOB: 'job',
    COUNT: '3',
    CRON: NEVER_IN_THE_RUN,
    EVENTS: 'none',
    REPORT_ASSIGNED: '1',
  });
  let console;
  try {
    await instance.ready(180_000);
    await instance.next((event) => event.event === 'assigned', 180_000, 'every job assigned');
    log(`${jobs} jobs assigned; starting the console`);
    console = startConsole(server, namespace);
    const base = await console.url;
    const listening = performance.now() - console.started;
    // The first answer waits for the namespace to be in the console's cache.
    const first = await timed(`${base}/jobs`);
    const firstAnswer = performance.now() - console.started;
    if (first.body.length !== jobs) throw new Error(`the jobs page lists ${first.body.length} jobs, not ${jobs}`);
    const notOk = first.body.filter((job) => job.status !== 'OK');
    if (notOk.length > 0) throw new Error(`${notOk.length} jobs not OK, e.g. ${JSON.stringify(notOk[0])}`);
    const pages = { jobs: [], servers: [], job: [] };
    let jobsBytes = 0;
    for (let round = 0; round < requests; round += 1) {
      const list = await timed(`${base}/jobs`);
      pages.jobs.push(list.ms);
      jobsBytes = list.bytes;
      pages.servers.push((await timed(`${base}/servers`)).ms);
      pages.job.push((await timed(`${base}/jobs/job-${round % jobs}`)).ms);
    }
    const result = {
      jobs,
      requests,
      listeningMs: Math.round(listening),
      firstAnswerMs: Math.round(firstAnswer),
      jobsPageMs: summarize(pages.jobs),
      serversPageMs: summarize(pages.servers),
      oneJobMs: summarize(pages.job),
      jobsPageKb: round(jobsBytes / 1024),
      target: { jobsPageMs: 300 },
      met: summarize(pages.jobs).p50 < 300,
    };
    return {
      ...result,
      figures: [
        [`console started to listening`, `${result.listeningMs} ms`],
        [`console started to first jobs page (namespace loaded)`, `${result.firstAnswerMs} ms`],
        [`jobs page, ${jobs} jobs (target < 300 ms)`, result.jobsPageMs],
        [`jobs page size`, `${result.jobsPageKb} KB`],
        [`servers page`, result.serversPageMs],
        [`one job's page (items' running read from ZooKeeper)`, result.oneJobMs],
      ],
    };
  } finally {
    if (console) {
      const exited = new Promise((done) => console.child.on('exit', done));
      console.child.kill('SIGTERM');
      await exited;
    }
    await instance.stop();
  }
}
