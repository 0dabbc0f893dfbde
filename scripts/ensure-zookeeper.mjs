// Makes sure what the tests and the demo start is installed: ZooKeeper (and Java), PostgreSQL,
// and (for the console's browser tests) Chromium. As root with apt-get, Debian's `zookeeper`,
// `postgresql` and `chromium` packages are installed when missing. Runs on the built package.
import { existsSync } from 'node:fs';
import { ensurePostgres, ensureZooKeeper } from '../dist/testing/index.js';
import { installDebianPackage } from '../dist/testing/debian-package.js';

try {
  const zookeeper = ensureZooKeeper();
  console.log(`ZooKeeper: ${zookeeper.source}`);
  const postgres = ensurePostgres();
  const runAs = postgres.runAs ? `, run as user "${postgres.runAs.name}"` : '';
  console.log(`PostgreSQL: ${postgres.source}${runAs}`);
  const chromium = () =>
    [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'].find(
      (path) => path && existsSync(path),
    );
  const browser =
    chromium() ??
    installDebianPackage(
      'chromium',
      'Chromium',
      chromium,
      'The console tests need a Chromium: apt-get install chromium, or set CHROMIUM_PATH.',
      console.log,
    );
  console.log(`Chromium: ${browser}`);
} catch (error) {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
}
