/**
 * The package as a new user gets it: `npm pack`, installed into apps made from the templates of
 * @nestjs/cli@11 (CommonJS, Jest with ts-jest) and @nestjs/cli@12 (ES modules, Vitest), checked
 * in under test/fixtures with the README's first job and its test, which each app then runs with
 * its own test runner. Installing needs the npm registry (or npm's cache).
 */
import { execFileSync, spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '../..');
let workDir: string;

/** Runs a command in `cwd`; resolves with its exit code and output, whatever the code. */
function run(command: string, args: string[], cwd: string, timeoutMs: number) {
  return new Promise<{ code: number | null; output: string }>((resolvePromise) => {
    // A user's shell, not this run's: npm's own variables (npm test sets npm_config_local_prefix,
    // npm_config_allow_scripts and more) would change what a nested npm installs and runs.
    const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !/^npm_/i.test(name)));
    const child = spawn(command, args, { cwd, env: { ...env, CI: 'true', NO_COLOR: '1' } });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const timer = setTimeout(() => {
      output += `\n[killed: still running after ${timeoutMs} ms]`;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.on('exit', (code) => {
      clearTimeout(timer);
      // Without colours, whatever the runner decided about the terminal.
      resolvePromise({ code, output: output.replace(/\u001b\[[0-9;]*m/g, '') });
    });
  });
}

/**
 * A fresh copy of a fixture app with its dependencies installed and the packed package in it.
 * npm 11 runs no install script that the app did not allow, so `zookeeper`'s native build is
 * skipped; the app gets this checkout's build of the same version (a new user allows the
 * script: see the README).
 */
async function installApp(name: string): Promise<string> {
  const appDir = join(workDir, name);
  cpSync(join(root, 'test/fixtures', name), appDir, { recursive: true });
  // The README's first job itself (test/docs holds its code blocks verbatim), not a copy of it.
  mkdirSync(join(appDir, 'src'), { recursive: true });
  cpSync(join(root, 'test/docs/first-job.ts'), join(appDir, 'src/first-job.ts'));
  const install = await run(
    'npm',
    ['install', '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error'],
    appDir,
    300_000,
  );
  if (install.code !== 0) throw new Error(`npm install in the ${name} app failed:\n${install.output}`);
  // Without the native build (npm 11 skips a dependency's install script unless the app allows
  // it; an older npm builds it, so its build is removed here), loading the package says what to do.
  const installed = join(appDir, 'node_modules/zookeeper');
  rmSync(join(installed, 'build'), { recursive: true, force: true });
  const unbuilt = await run(process.execPath, ['-e', "require('nestjs-elastic-job')"], appDir, 30_000);
  expect(unbuilt.code).not.toBe(0);
  expect(unbuilt.output).toContain('Add "allowScripts": { "zookeeper": true } to your app\'s package.json');
  expect(unbuilt.output).toContain('npm rebuild zookeeper');
  const version = (dir: string) => JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')).version as string;
  expect(version(installed)).toBe(version(join(root, 'node_modules/zookeeper')));
  rmSync(installed, { recursive: true, force: true });
  symlinkSync(join(root, 'node_modules/zookeeper'), installed, 'dir');
  return appDir;
}

beforeAll(() => {
  if (!existsSync(join(root, 'dist/index.js'))) execFileSync('npm', ['run', 'build'], { cwd: root, stdio: 'ignore' });
  workDir = mkdtempSync(join(tmpdir(), 'elastic-job-new-apps-'));
  const [packed] = JSON.parse(
    execFileSync('npm', ['pack', '--json', '--pack-destination', workDir], { cwd: root, encoding: 'utf8' }),
  ) as Array<{ filename: string }>;
  // The fixtures depend on file:../nestjs-elastic-job.tgz.
  renameSync(join(workDir, packed!.filename), join(workDir, 'nestjs-elastic-job.tgz'));
});

afterAll(() => {
  if (workDir) rmSync(workDir, { recursive: true, force: true });
});

describe('apps made by the Nest CLI, with the package installed from npm pack', () => {
  it('a Nest 11 app (CommonJS) runs the README test with Jest and its default config, and type-checks under every module resolution', async () => {
    const appDir = await installApp('nest11-jest');

    const jest = await run(
      process.execPath,
      ['node_modules/jest/bin/jest.js', '--config', './test/jest-e2e.json'],
      appDir,
      180_000,
    );
    expect(jest.output).toMatch(/Tests:\s+2 passed, 2 total/);
    expect(jest.code, jest.output).toBe(0);

    // nodenext (the template's), node16, and the older node10 resolution of TypeScript 5.
    const tsc = join(appDir, 'node_modules/typescript/bin/tsc');
    for (const flags of [
      [],
      ['--module', 'node16', '--moduleResolution', 'node16'],
      ['--module', 'commonjs', '--moduleResolution', 'node10', '--resolvePackageJsonExports', 'false'],
    ]) {
      const check = await run(
        process.execPath,
        [tsc, '--noEmit', '-p', 'tsconfig.json', '--types', 'jest,node', ...flags],
        appDir,
        120_000,
      );
      expect(check.output, `tsc ${flags.join(' ')}`).toBe('');
      expect(check.code).toBe(0);
    }
  }, 600_000);

  it('a Nest 12 app (ES modules) runs the README test with Vitest', async () => {
    const appDir = await installApp('nest12-vitest');

    const vitest = await run(
      process.execPath,
      ['node_modules/vitest/vitest.mjs', 'run', '--config', './vitest.config.e2e.ts'],
      appDir,
      180_000,
    );
    expect(vitest.output).toMatch(/Tests\s+2 passed \(2\)/);
    expect(vitest.code, vitest.output).toBe(0);
  }, 600_000);
});
