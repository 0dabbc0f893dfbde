/**
 * Vitest global setup: a folder where every test worker records the pid of each ZooKeeper
 * server it starts; the teardown kills whatever is still listed, so a crashed or timed-out
 * test never leaves a server behind.
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export default function setup(): () => void {
  const dir = mkdtempSync(join(tmpdir(), 'elastic-job-pids-'));
  process.env.ELASTIC_JOB_TESTING_PID_DIR = dir;
  return () => {
    for (const name of readdirSync(dir)) {
      const pid = Number(name);
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    rmSync(dir, { recursive: true, force: true });
  };
}
