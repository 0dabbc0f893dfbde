// The README's code blocks are files of test/docs (so they compile, and the test runs), its
// npm commands are scripts of package.json, and the demo flags it names exist.
import { readdirSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '../..');
const readme = readFileSync(resolve(root, 'README.md'), 'utf8');
const blocks = (language: string) =>
  [...readme.matchAll(new RegExp('```' + language + '\\n([\\s\\S]*?)```', 'g'))].map((match) => match[1].trim());

describe('README', () => {
  it('every TypeScript block is a file of test/docs, verbatim', () => {
    const docs = readdirSync(resolve(root, 'test/docs')).map((name) => ({
      name,
      text: readFileSync(resolve(root, 'test/docs', name), 'utf8').trim(),
    }));
    const tsBlocks = blocks('ts');

    expect(tsBlocks.length).toBeGreaterThanOrEqual(5);
    for (const block of tsBlocks) {
      expect(docs.find((doc) => doc.text === block)?.name, `no test/docs file is this block:\n${block}`).toBeDefined();
    }
  });

  it('every npm command in a shell block is a script of package.json', () => {
    const scripts = Object.keys(JSON.parse(readFileSync(resolve(root, 'package.json'), 'utf8')).scripts);
    const commands = blocks('bash').flatMap((block) => [...block.matchAll(/npm (run [\w:-]+|start|test)/g)]);

    expect(commands.length).toBeGreaterThan(0);
    for (const [, command] of commands) {
      expect(scripts).toContain(command.replace(/^run /, ''));
    }
  });

  it('every demo flag it names is one the demo takes', () => {
    const demo = readFileSync(resolve(root, 'sample/demo/cluster-demo.mjs'), 'utf8');
    const section = readme.slice(readme.indexOf('## Two commands'), readme.indexOf('## A first job'));
    const flags = [...section.matchAll(/`(--[a-z-]+)/g)].map((match) => match[1]);

    expect(flags.length).toBeGreaterThanOrEqual(7);
    for (const flag of flags) {
      expect(demo, flag).toMatch(new RegExp(`\\s'?${flag.slice(2)}'?: \\{ type:`));
    }
  });
});
