import { defineConfig } from 'vitest/config';

export default defineConfig({
  // Nest's DI reads constructor types from emitted decorator metadata.
  oxc: { decorator: { legacy: true, emitDecoratorMetadata: true } },
  test: {
    include: ['test/**/*.spec.ts', 'lib/**/*.spec.ts', 'sample/**/*.spec.ts'],
    globalSetup: ['test/support/global-setup.ts'],
    // The native ZooKeeper client is not safe in worker threads; forks also make a
    // process-level crash in one file stay in that file.
    pool: 'forks',
    testTimeout: 60_000,
    hookTimeout: 90_000,
    sequence: { hooks: 'stack' },
    reporters: ['default', 'json'],
    outputFile: { json: 'tmp/vitest-report.json' },
  },
});
