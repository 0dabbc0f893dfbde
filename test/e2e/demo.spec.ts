// The `npm start` demo as a newcomer runs it: a cluster of sample instances, one killed with
// SIGKILL, a new one started, then Ctrl-C; nothing it started may be left running.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '../..');
const demoScript = resolve(root, 'sample/demo/cluster-demo.mjs');

interface DemoRun {
  output: () => string;
  waitFor: (text: string | RegExp, timeoutMs: number) => Promise<void>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  signal: (signal: NodeJS.Signals) => void;
}

function runDemo(args: string[]): DemoRun {
  const child = spawn(process.execPath, [demoScript, ...args], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: process.env,
  });
  let output = '';
  const listeners = new Set<() => void>();
  const collect = (chunk: Buffer) => {
    output += chunk.toString();
    for (const listener of listeners) listener();
  };
  child.stdout.on('data', collect);
  child.stderr.on('data', collect);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((done) =>
    child.on('exit', (code, signal) => done({ code, signal })),
  );
  return {
    output: () => output,
    exited,
    signal: (signal) => child.kill(signal),
    waitFor: (text, timeoutMs) =>
      new Promise<void>((done, fail) => {
        const matches = () => (typeof text === 'string' ? output.includes(text) : text.test(output));
        const check = () => {
          if (!matches()) return;
          clearTimeout(timer);
          listeners.delete(check);
          done();
        };
        const timer = setTimeout(() => {
          listeners.delete(check);
          fail(new Error(`demo output did not show ${String(text)} within ${timeoutMs} ms:\n${output}`));
        }, timeoutMs);
        listeners.add(check);
        check();
      }),
  };
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

beforeAll(() => {
  if (!existsSync(resolve(root, 'dist/testing/index.js')) || !existsSync(resolve(root, 'sample/dist/main.js'))) {
    execFileSync('npm', ['run', 'build:all'], { cwd: root, stdio: 'ignore' });
  }
});

describe('npm start (the cluster demo)', () => {
  it('shows the cluster sharing jobs, a kill -9 failing over, a new instance taking items; Ctrl-C stops it all', async () => {
    const demo = runDemo([
      '--instances',
      '2',
      '--kill-after',
      '1',
      '--restart-after',
      '3',
      '--session-timeout',
      '3000',
    ]);
    try {
      await demo.waitFor(/ran its first item/, 90_000);
      // The console, on the instance that joined last, with the users the demo printed.
      const running = demo.output();
      const consoles = [...running.matchAll(/console (http:\/\/127\.0\.0\.1:\d+\/elastic-job\/)/g)].map((m) => m[1]!);
      const admin = /admin \/ ([0-9a-f]{12})/.exec(running)![1]!;
      const jobs = await fetch(`${consoles.at(-1)}api/jobs`, {
        headers: { authorization: `Basic ${Buffer.from(`admin:${admin}`).toString('base64')}` },
      });
      expect(jobs.status).toBe(200);
      expect(((await jobs.json()) as Array<{ jobName: string }>).map((job) => job.jobName).sort()).toEqual([
        'archive',
        'region-report',
      ]);
      demo.signal('SIGINT');
      const exit = await demo.exited;
      const output = demo.output();

      expect(exit).toEqual({ code: 0, signal: null });
      // Three instances in all: two at the start, one after the kill.
      const pids = [...output.matchAll(/started ([A-Z]) \(pid (\d+)/g)].map((match) => Number(match[2]));
      expect(pids).toHaveLength(3);
      const zooKeeperPid = /pid (\d+), data in/.exec(output);
      if (zooKeeperPid) pids.push(Number(zooKeeperPid[1]));
      // The execution log: a PostgreSQL started for it, gone at the end too.
      const postgresPid = /execution log: postgres:\/\/postgres@127\.0\.0\.1:\d+\/postgres \(pid (\d+)\)/.exec(output);
      expect(postgresPid).not.toBeNull();
      pids.push(Number(postgresPid![1]));
      expect(pids.filter(isAlive)).toEqual([]);

      expect(output).toMatch(/region-report +0:[AB] 1:[AB] 2:[AB] 3:[AB] 4:[AB] 5:[AB]  leader [AB]/);
      expect(output).toMatch(/kill -9 ([AB]) \(pid \d+\) in the middle of archive item/);
      const victim = /kill -9 ([AB])/.exec(output)![1];
      expect(output).toMatch(new RegExp(`${victim} left \\(its session ended \\d+\\.\\d s after the kill\\)`));
      expect(output).toMatch(new RegExp(`archive +(\\d:[AB] )+ FAILOVER of ${victim}'s items`));
      expect(output).toMatch(/region-report +.*\d:C/);
      expect(output).toContain('stopping (SIGINT)');
      expect(output).toMatch(/region-report: \d+ fires, \d+ item runs, 0 ran twice in one fire/);
      expect(output).toMatch(
        /archive: \d+ fires, \d+ item runs, 0 ran twice in one fire, 0 not run, [1-3] failed over/,
      );
      // What the execution log recorded, summed up from its table.
      expect(output).toMatch(/ {2}archive, FAILOVER: [1-3] runs, 0 failed/);
      expect(output).toMatch(/ {2}region-report, NORMAL_TRIGGER: \d+ runs, 0 failed/);
    } finally {
      demo.signal('SIGKILL');
    }
  }, 150_000);

  it('explains a bad flag and exits with status 2', async () => {
    const demo = runDemo(['--instances', '12']);
    const exit = await demo.exited;

    expect(exit.code).toBe(2);
    expect(demo.output()).toContain('--instances must be a number from 1 to 9, got "12"');
    expect(demo.output()).toContain('Usage: npm start -- [options]');
  });
});
