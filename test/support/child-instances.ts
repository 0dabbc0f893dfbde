import { spawn, type ChildProcess } from 'node:child_process';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import type { FireRecord } from './fires.js';

const root = resolve(import.meta.dirname, '../..');
const script = resolve(import.meta.dirname, 'cluster-node.mjs');

/** The child instances load the built package. */
export function ensureBuilt(): void {
  if (!existsSync(resolve(root, 'dist/index.js')))
    execFileSync('npm', ['run', 'build'], { cwd: root, stdio: 'ignore' });
}

/** An instance in its own process; what it runs is recorded in `records`. */
export class ChildInstance {
  readonly events: string[] = [];
  /** Every event line whole, in order. */
  readonly told: Array<Record<string, unknown> & { event: string }> = [];
  private readonly child: ChildProcess;
  private stderr = '';
  exited = false;

  constructor(
    readonly instanceId: string,
    env: Record<string, string>,
    private readonly records: FireRecord[],
  ) {
    this.child = spawn(process.execPath, [script], {
      cwd: root,
      env: { ...process.env, INSTANCE_ID: instanceId, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let buffer = '';
    this.child.stdout!.on('data', (chunk: Buffer) => {
      buffer += chunk.toString();
      const lines = buffer.split('\n');
      buffer = lines.pop()!;
      for (const line of lines) this.onLine(line);
    });
    this.child.stderr!.on('data', (chunk: Buffer) => (this.stderr += chunk.toString()));
    this.child.on('exit', () => (this.exited = true));
    running.add(this);
  }

  private onLine(line: string): void {
    if (!line.trim()) return;
    const parsed = JSON.parse(line) as {
      event?: string;
      fire?: number;
      item?: number;
      instance?: string;
      source?: string;
      start?: number;
    };
    if (parsed.event) {
      this.events.push(parsed.event);
      this.told.push(parsed as Record<string, unknown> & { event: string });
    } else
      this.records.push({
        fireTime: parsed.fire!,
        item: parsed.item!,
        instance: parsed.instance!,
        source: parsed.source,
        startedAt: parsed.start,
      });
  }

  get output(): string {
    return this.stderr;
  }

  /** SIGKILL: no shutdown hook runs; the session stays until ZooKeeper expires it. */
  kill(): void {
    this.child.kill('SIGKILL');
  }

  /** SIGTERM: a graceful app.close(); resolves when the process has exited. */
  async stop(): Promise<void> {
    if (this.exited) return;
    const exited = new Promise<void>((resolvePromise) => this.child.once('exit', () => resolvePromise()));
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 15_000);
    await exited;
    clearTimeout(timer);
  }
}

const running = new Set<ChildInstance>();
process.on('exit', () => {
  for (const instance of running) if (!instance.exited) instance.kill();
});
