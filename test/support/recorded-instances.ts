import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline';
// @ts-expect-error: a plain ES module of the bench, without type declarations
import { failoverDelays, liveIntervals, overlaps } from '../../bench/soak/judge.mjs';

const script = resolve(import.meta.dirname, '../../bench/soak/soak-node.mjs');

export interface SoakJob {
  name: string;
  cron: string;
  count: number;
  failover?: boolean;
  itemMs: number;
  jitterMs?: number;
}

/** One handler run as its instance recorded it (start and, once it ended, end). */
export interface RecordedRun {
  run: string;
  job: string;
  item: number;
  fire: number;
  source: string;
  instance: string;
  at: number;
  end?: number;
  status?: 'done' | 'aborted';
}

interface Line {
  t: string;
  run?: string;
  at: number;
  status?: 'done' | 'aborted';
  instance?: string;
}

export interface Overlap {
  item: string;
  a: { run: string; source: string; from: number; to: number };
  b: { run: string; source: string; from: number; to: number };
  overlapMs: number;
}

/**
 * Instances of a Nest app in child processes (bench/soak/soak-node.mjs, the built package),
 * each handler start and end recorded, with the faults a test injects (SIGKILL, SIGSTOP and
 * SIGCONT, SIGTERM) kept for the judge.
 */
export class RecordedCluster {
  readonly lines: Array<Record<string, unknown>> = [];
  private readonly lifecycle = new Map<string, { killedAt?: number; freezes: Array<{ from: number; to: number }> }>();
  private readonly children = new Map<string, { child: ChildProcess; exited: Promise<void>; stderr: string }>();

  constructor(private readonly env: Record<string, string>) {}

  /** Starts an instance; resolves once its app is initialised. */
  async start(id: string, env: Record<string, string> = {}): Promise<void> {
    const child = spawn(process.execPath, [script], {
      env: { ...process.env, ...this.env, ...env, INSTANCE_ID: id },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const entry = {
      child,
      exited: new Promise<void>((done) => child.once('exit', () => done())),
      stderr: '',
    };
    this.children.set(id, entry);
    this.lifecycle.set(id, { freezes: [] });
    child.stderr!.on('data', (chunk: Buffer) => (entry.stderr = (entry.stderr + chunk.toString()).slice(-4_000)));
    const ready = new Promise<void>((done, fail) => {
      child.once('exit', () => fail(new Error(`instance ${id} exited before it was ready:\n${entry.stderr}`)));
      createInterface({ input: child.stdout! }).on('line', (text) => {
        let line: Line;
        try {
          line = JSON.parse(text) as Line;
        } catch {
          if (process.env.SOAK_LOG === '1') process.stderr.write(`[${id}] ${text}\n`);
          return;
        }
        this.lines.push(line as unknown as Record<string, unknown>);
        if (line.t === 'ready') done();
      });
    });
    await ready;
  }

  /** Every run so far, with its end once it ended. */
  runs(): RecordedRun[] {
    const runs = new Map<string, RecordedRun>();
    for (const line of this.lines) {
      if (line.t === 'start') runs.set(line.run as string, { ...(line as unknown as RecordedRun) });
      else if (line.t === 'end') {
        const run = runs.get(line.run as string);
        if (run) Object.assign(run, { end: line.at, status: line.status });
      }
    }
    return [...runs.values()];
  }

  /** When the instance said what (`ready`, `stopping`, `closed`). */
  said(id: string, t: string): number | undefined {
    return this.lines.find((line) => line.instance === id && line.t === t)?.at as number | undefined;
  }

  kill(id: string): void {
    this.lifecycle.get(id)!.killedAt = Date.now();
    this.children.get(id)!.child.kill('SIGKILL');
  }

  freeze(id: string): number {
    const at = Date.now();
    this.children.get(id)!.child.kill('SIGSTOP');
    this.lifecycle.get(id)!.freezes.push({ from: at, to: Number.POSITIVE_INFINITY });
    return at;
  }

  thaw(id: string): number {
    const at = Date.now();
    this.children.get(id)!.child.kill('SIGCONT');
    this.lifecycle.get(id)!.freezes.at(-1)!.to = at;
    return at;
  }

  /** SIGTERM (a graceful `app.close()`); resolves when the process has exited. */
  async stop(id: string): Promise<void> {
    const entry = this.children.get(id)!;
    entry.child.kill('SIGCONT');
    entry.child.kill('SIGTERM');
    const timer = setTimeout(() => entry.child.kill('SIGKILL'), 30_000);
    await entry.exited;
    clearTimeout(timer);
  }

  /** Stops every instance, and keeps the record in tmp/recorded/ for a look after a failure. */
  async stopAll(): Promise<void> {
    await Promise.all([...this.children.keys()].map((id) => this.stop(id)));
    const dir = resolve(import.meta.dirname, '../../tmp/recorded');
    mkdirSync(dir, { recursive: true });
    writeFileSync(
      resolve(dir, `${this.env.NAMESPACE ?? 'cluster'}.jsonl`),
      this.lines.map((line) => JSON.stringify(line)).join('\n') + '\n',
    );
  }

  /** How the instance's process ended (`undefined` while it runs), with the tail of its stderr. */
  exitOf(id: string): { code: number | null; signal: NodeJS.Signals | null; stderr: string } | undefined {
    const entry = this.children.get(id);
    if (!entry || (entry.child.exitCode === null && entry.child.signalCode === null)) return undefined;
    return { code: entry.child.exitCode, signal: entry.child.signalCode, stderr: entry.stderr };
  }

  stderr(id: string): string {
    return this.children.get(id)?.stderr ?? '';
  }

  /** Runs of one item on two live instances at once (see bench/soak/judge.mjs). */
  overlaps(): Overlap[] {
    const { intervals } = liveIntervals(this.lines, this.lifecycle, Date.now());
    return overlaps(intervals) as Overlap[];
  }

  failoverDelays(job: string, kill: { instance: string; at: number }, boundMs: number) {
    return failoverDelays(this.runs(), [kill], job, boundMs) as Array<{
      item: number;
      delayMs?: number;
      late: boolean;
    }>;
  }
}
