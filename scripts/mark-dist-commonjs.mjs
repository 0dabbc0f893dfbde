// dist/ is CommonJS (tsconfig.build.json) inside a package whose own sources are ES modules:
// this marks the folder, so Node, Jest and bundlers read dist/*.js as CommonJS.
import { writeFileSync } from 'node:fs';

writeFileSync(new URL('../dist/package.json', import.meta.url), `${JSON.stringify({ type: 'commonjs' }, null, 2)}\n`);
