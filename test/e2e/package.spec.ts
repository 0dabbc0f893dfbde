/**
 * The built package as an application uses it: loaded by name from an ESM and from a CommonJS
 * app, and a process that closes its registry center exiting on its own.
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ZookeeperRegistryCenter } from '../../lib/registry/zookeeper.registry-center.js';
import { ZooKeeperTestingServer } from '../../lib/testing/index.js';

const root = resolve(import.meta.dirname, '../..');
let appDir: string;
let server: ZooKeeperTestingServer;

function runNode(file: string, env: Record<string, string> = {}, timeoutMs = 30_000) {
  return new Promise<{ code: number | null; stdout: string; stderr: string; exitedAfterMs: number }>(
    (resolvePromise, reject) => {
      const child = spawn(process.execPath, [file], { cwd: appDir, env: { ...process.env, ...env } });
      let stdout = '';
      let stderr = '';
      let closedAt = 0;
      child.stdout.on('data', (chunk: Buffer) => {
        stdout += chunk.toString();
        if (!closedAt && stdout.includes('closed')) closedAt = Date.now();
      });
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error(`${file} did not exit within ${timeoutMs} ms\nstdout: ${stdout}\nstderr: ${stderr}`));
      }, timeoutMs);
      child.on('exit', (code) => {
        clearTimeout(timer);
        resolvePromise({ code, stdout, stderr, exitedAfterMs: closedAt ? Date.now() - closedAt : -1 });
      });
    },
  );
}

beforeAll(async () => {
  if (!existsSync(join(root, 'dist/index.js'))) execFileSync('npm', ['run', 'build'], { cwd: root, stdio: 'ignore' });
  appDir = mkdtempSync(join(tmpdir(), 'elastic-job-app-'));
  mkdirSync(join(appDir, 'node_modules'));
  symlinkSync(root, join(appDir, 'node_modules', 'nestjs-elastic-job'), 'dir');
  // What a Nest app has installed beside us.
  for (const dependency of ['@nestjs', 'reflect-metadata', 'rxjs']) {
    symlinkSync(join(root, 'node_modules', dependency), join(appDir, 'node_modules', dependency), 'dir');
  }
  server = await ZooKeeperTestingServer.start();
});

afterAll(async () => {
  await server?.close();
  if (appDir) rmSync(appDir, { recursive: true, force: true });
});

describe('the built package', () => {
  it('loads through import() from an ES module app', async () => {
    writeFileSync(
      join(appDir, 'esm.mjs'),
      "import { ElasticJobModule, ElasticJob, JobOperator } from 'nestjs-elastic-job';\n" +
        "import { ZookeeperRegistryCenter } from 'nestjs-elastic-job/registry';\n" +
        'console.log(typeof ElasticJobModule.forRoot, typeof ElasticJob, typeof JobOperator, typeof ZookeeperRegistryCenter);\n',
    );
    const result = await runNode('esm.mjs');
    expect(result.stderr).toBe('');
    expect(result.stdout.trim()).toBe('function function function function');
  });

  it('loads the testing entry, nestjs-elastic-job/testing, from ESM and CommonJS', async () => {
    const names =
      'ZooKeeperTestingServer, ZooKeeperTestingCluster, runJob, testingModuleOptions, createShardingContext';
    const print = `console.log([${names}].map((value) => typeof value).join(' '));\n`;
    writeFileSync(join(appDir, 'testing.mjs'), `import { ${names} } from 'nestjs-elastic-job/testing';\n${print}`);
    writeFileSync(join(appDir, 'testing.cjs'), `const { ${names} } = require('nestjs-elastic-job/testing');\n${print}`);

    for (const file of ['testing.mjs', 'testing.cjs']) {
      const result = await runNode(file);
      expect(result.code).toBe(0);
      expect(result.stdout.trim()).toBe('function function function function function');
    }
  });

  it('loads through require() from a CommonJS app', async () => {
    writeFileSync(
      join(appDir, 'cjs.cjs'),
      "const { ElasticJobModule, ElasticJob, JobOperator } = require('nestjs-elastic-job');\n" +
        "const { ZookeeperRegistryCenter } = require('nestjs-elastic-job/registry');\n" +
        'console.log(typeof ElasticJobModule.forRoot, typeof ElasticJob, typeof JobOperator, typeof ZookeeperRegistryCenter);\n',
    );
    const result = await runNode('cjs.cjs');
    expect(result.code).toBe(0);
    expect(result.stdout.trim()).toBe('function function function function');
  });

  it('a process exits by itself after close(), with sessions, caches, watches and locks used', async () => {
    writeFileSync(
      join(appDir, 'exit.mjs'),
      `import { ZookeeperRegistryCenter } from 'nestjs-elastic-job/registry';
const center = new ZookeeperRegistryCenter({ serverLists: process.env.ZK, namespace: 'exit-check', sessionTimeoutMs: 4000 });
await center.init();
await center.persist('/job/config', 'x');
await center.persistEphemeral('/job/instances/me', 'y');
const cache = await center.addCacheData('/job');
cache.addListener(() => undefined);
await center.executeInLeader('/job/leader/election/latch', async () => undefined, 5000);
await center.persist('/job/config', 'z');
await cache.sync();
await center.close();
console.log('closed');
`,
    );
    const result = await runNode('exit.mjs', { ZK: server.connectString }, 20_000);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('closed');
    // Nothing left holding the event loop: it ends right after close(), not at some timeout.
    expect(result.exitedAfterMs).toBeGreaterThanOrEqual(0);
    expect(result.exitedAfterMs).toBeLessThan(3_000);
  });

  it('a Nest application with jobs exits by itself after app.close(), leaving no instance node', async () => {
    writeFileSync(
      join(appDir, 'nest-exit.mjs'),
      `import 'reflect-metadata';
import { Injectable, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ElasticJob, ElasticJobModule, JobOperator } from 'nestjs-elastic-job';
class Job { run(ctx) { console.log('ran ' + ctx.shardingItem); } }
Injectable()(Job);
ElasticJob({ name: 'exit-job', cron: '* * * * * ?', shardingTotalCount: 2 })(Job.prototype, 'run', Object.getOwnPropertyDescriptor(Job.prototype, 'run'));
class AppModule {}
Module({
  imports: [ElasticJobModule.forRoot({ zookeeper: { serverLists: process.env.ZK, namespace: 'exit-nest', sessionTimeoutMs: 4000 }, instanceId: 'exit-instance', logger: false })],
  providers: [Job],
})(AppModule);
const app = await NestFactory.createApplicationContext(AppModule, { logger: false });
await app.init();
await app.get(JobOperator).triggerAndWait('exit-job');
await app.close();
console.log('closed');
`,
    );
    const result = await runNode('nest-exit.mjs', { ZK: server.connectString }, 30_000);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('ran 0');
    expect(result.stdout).toContain('ran 1');
    expect(result.exitedAfterMs).toBeGreaterThanOrEqual(0);
    expect(result.exitedAfterMs).toBeLessThan(3_000);
    const check = new ZookeeperRegistryCenter({ serverLists: server.connectString, namespace: 'exit-nest' });
    await check.init();
    expect(await check.isExisted('/exit-job/instances/exit-instance')).toBe(false);
    expect(await check.isExisted('/exit-job/config')).toBe(true);
    await check.close();
  });
});
