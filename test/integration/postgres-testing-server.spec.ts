import { existsSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, PostgresTestingServer } from '../../lib/testing/index.js';

/** Runs one statement on a fresh connection and returns its rows. */
async function query(server: PostgresTestingServer, sql: string): Promise<Record<string, unknown>[]> {
  const client = new pg.Client({ connectionString: server.connectionString, connectionTimeoutMillis: 10_000 });
  await client.connect();
  try {
    return (await client.query(sql)).rows;
  } finally {
    await client.end();
  }
}

/** Whether a process still runs (a zombie, which holds nothing but its pid, does not). */
function isAlive(pid: number): boolean {
  if (existsSync('/proc/self/stat')) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
    } catch {
      return false;
    }
  }
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('PostgresTestingServer', () => {
  let server: PostgresTestingServer;

  beforeAll(async () => {
    server = await PostgresTestingServer.start();
  }, 120_000);

  afterAll(async () => {
    await server?.close();
  });

  it('serves SQL to the postgres superuser on its loopback port', async () => {
    expect(server.isRunning).toBe(true);
    expect(server.connectionString).toBe(`postgres://postgres@127.0.0.1:${server.port}/postgres`);
    const [row] = await query(server, 'select version() as version, current_user as who');
    expect(row?.version).toMatch(/^PostgreSQL \d+/);
    expect(row?.who).toBe('postgres');
  });

  it('records its pid for the global teardown while it runs', async () => {
    const pidDir = process.env.ELASTIC_JOB_TESTING_PID_DIR;
    expect(pidDir, 'set by test/support/global-setup.ts').toBeTruthy();
    expect(existsSync(join(pidDir!, String(server.pid)))).toBe(true);
  });

  it('refuses connections once stopped, and starts again on the same port with its data', async () => {
    await query(server, 'create table kept (id int primary key, note text)');
    await query(server, `insert into kept values (1, 'before stop')`);
    const pid = server.pid!;

    await server.stop();
    expect(server.isRunning).toBe(false);
    expect(server.pid).toBeUndefined();
    expect(isAlive(pid)).toBe(false);
    expect(existsSync(join(process.env.ELASTIC_JOB_TESTING_PID_DIR!, String(pid)))).toBe(false);
    await expect(query(server, 'select 1')).rejects.toMatchObject({ code: 'ECONNREFUSED' });

    await server.startProcess();
    expect(server.isRunning).toBe(true);
    expect(server.pid).not.toBe(pid);
    expect(await query(server, 'select id, note from kept')).toEqual([{ id: 1, note: 'before stop' }]);
  }, 120_000);

  it('comes back after kill -9 with what was checkpointed, and leaves no process behind', async () => {
    await query(server, `insert into kept values (2, 'before kill')`);
    await query(server, 'checkpoint');
    const [{ pids }] = (await query(server, 'select array_agg(pid) as pids from pg_stat_activity')) as [
      { pids: number[] },
    ];
    const postmaster = server.pid!;
    expect(pids.length).toBeGreaterThan(0);

    await server.kill();
    expect(server.isRunning).toBe(false);
    // The postmaster and every backend and worker are gone, so nothing holds the shared memory.
    expect([postmaster, ...pids].filter(isAlive)).toEqual([]);
    await expect(query(server, 'select 1')).rejects.toMatchObject({ code: 'ECONNREFUSED' });

    await server.startProcess();
    expect(await query(server, 'select id, note from kept order by id')).toEqual([
      { id: 1, note: 'before stop' },
      { id: 2, note: 'before kill' },
    ]);
  }, 120_000);

  it('close() stops it, removes its data directory, and can be called again', async () => {
    const { dataDir } = server;
    expect(existsSync(join(dataDir, 'PG_VERSION'))).toBe(true);

    await server.close();
    expect(server.isRunning).toBe(false);
    expect(existsSync(dataDir)).toBe(false);
    await expect(query(server, 'select 1')).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    await expect(server.close()).resolves.toBeUndefined();
    await expect(server.startProcess()).rejects.toThrow(/is closed/);
  }, 120_000);
});

describe('PostgresTestingServer start failures', () => {
  let blocker: Server | undefined;

  afterAll(async () => {
    await new Promise((resolve) => (blocker ? blocker.close(resolve) : resolve(undefined)));
  });

  it('rejects with the server output when its port is taken', async () => {
    const port = await freePort();
    blocker = createServer();
    await new Promise<void>((resolve) => blocker!.listen(port, '127.0.0.1', resolve));

    const error = await PostgresTestingServer.start({ port }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toMatch(
      new RegExp(`PostgreSQL on port ${port} exited \\(code 1\\) while starting`),
    );
    expect((error as Error).message).toMatch(/could not (bind|create)/);
  }, 120_000);
});
