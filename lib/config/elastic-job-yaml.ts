/**
 * ElasticJob's YAML, byte for byte: what `YamlEngine.marshal` (SnakeYAML `dumpAsMap` with
 * ElasticJob's representer) writes. Keys sorted; nulls, empty lists and empty maps dropped;
 * empty strings kept as `''`; YAML 1.1 quoting (`'yes'`, `'123'`); plain scalars folded past
 * column 80 the way SnakeYAML folds them; `props` in the iteration order of Java's
 * `Properties` (a `ConcurrentHashMap` since Java 9).
 */
import { parse, stringify } from 'yaml';
import { javaStringHashCode } from '../utils/java-string-hash.js';
import { ELASTIC_JOB_KEYS, type JobConfiguration } from './job-configuration.js';

const BEST_WIDTH = 80;
const INDENT = 2;

/**
 * The order Java 9+ `Properties` iterates its keys: by bucket of an internal
 * `ConcurrentHashMap` (spread hash masked by the table size, 16 growing by doubling past a
 * 0.75 load), insertion order within a bucket.
 */
export function javaPropertiesOrder(keys: readonly string[]): string[] {
  let size = 16;
  while (keys.length > size * 0.75) size *= 2;
  const bucket = (key: string) => {
    const h = javaStringHashCode(key);
    return (h ^ (h >>> 16)) & 0x7fffffff & (size - 1);
  };
  return keys
    .map((key, index) => ({ key, index, bucket: bucket(key) }))
    .sort((a, b) => a.bucket - b.bucket || a.index - b.index)
    .map((entry) => entry.key);
}

/** SnakeYAML's line folding of a plain or single-quoted scalar that starts at `column`. */
function fold(text: string, column: number, indent: number, quoted: boolean): string {
  let out = '';
  let col = column;
  let start = 0;
  let spaces = false;
  for (let end = 0; end <= text.length; end += 1) {
    const ch = end < text.length ? text[end] : undefined;
    if (spaces) {
      if (ch !== ' ') {
        const breakable = start + 1 === end && col > BEST_WIDTH && (!quoted || (start !== 0 && end !== text.length));
        if (breakable) {
          out += `\n${' '.repeat(indent)}`;
          col = indent;
        } else {
          out += text.slice(start, end);
          col += end - start;
        }
        start = end;
      }
    } else if (ch === undefined || ch === ' ') {
      out += text.slice(start, end);
      col += end - start;
      start = end;
    }
    if (ch !== undefined) spaces = ch === ' ';
  }
  return out;
}

/** One scalar value, starting at `column`, continuation lines indented by `indent`. */
function scalar(value: unknown, column: number, indent: number): string {
  if (typeof value === 'boolean' || typeof value === 'number') return String(value);
  const text = String(value);
  // SnakeYAML double-quotes what holds a tab or a control character.
  if (/[\t\u0000-\u0008\u000b-\u001f\u007f]/.test(text) && !text.includes('\n')) return JSON.stringify(text);
  const emitted = stringify(text, { version: '1.1', singleQuote: true, lineWidth: 0 }).replace(/\n$/, '');
  if (emitted.startsWith('|') || emitted.startsWith('>')) {
    const [header, ...lines] = emitted.split('\n');
    return [header, ...lines.map((line) => (line === '' ? '' : `${' '.repeat(indent)}${line}`))].join('\n');
  }
  if (emitted.startsWith("'")) return `'${fold(emitted.slice(1, -1), column + 1, indent, true)}'`;
  if (emitted.startsWith('"')) return emitted;
  return fold(emitted, column, indent, false);
}

function isUnset(value: unknown): boolean {
  if (value === undefined || value === null) return true;
  if (Array.isArray(value)) return value.length === 0;
  if (typeof value === 'object') return Object.keys(value).length === 0;
  return false;
}

function emitMapping(entries: ReadonlyArray<readonly [string, unknown]>, indent: number): string {
  let out = '';
  for (const [key, value] of entries) {
    if (isUnset(value)) continue;
    const prefix = `${' '.repeat(indent)}${key}:`;
    if (Array.isArray(value)) {
      out += `${prefix}\n${value.map((item) => `${' '.repeat(indent)}- ${scalar(item, indent + 2, indent + 2)}\n`).join('')}`;
    } else if (typeof value === 'object') {
      const record = value as Record<string, unknown>;
      out += `${prefix}\n${emitMapping(
        javaPropertiesOrder(Object.keys(record)).map((k) => [k, record[k]] as const),
        indent + INDENT,
      )}`;
    } else {
      out += `${prefix} ${scalar(value, prefix.length + 1, indent + INDENT)}\n`;
    }
  }
  return out;
}

/** The `config` node's content for `config`. */
export function toElasticJobYaml(config: JobConfiguration): string {
  const values: Record<string, unknown> = { ...config.extra };
  for (const key of ELASTIC_JOB_KEYS) {
    if (key in config) values[key] = (config as unknown as Record<string, unknown>)[key];
  }
  delete values.extra;
  return dumpAsMap(values);
}

/** SnakeYAML's `dumpAsMap` of a bean: properties sorted by name, unset ones dropped. */
export function dumpAsMap(values: Record<string, unknown>): string {
  const keys = Object.keys(values).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return emitMapping(
    keys.map((key) => [key, values[key]] as const),
    0,
  );
}

/** Parses a `config` node as ElasticJob's POJO would, with ElasticJob's POJO defaults for absent keys. */
export function parseElasticJobYaml(text: string): Record<string, unknown> {
  const parsed: unknown = parse(text, { version: '1.1' });
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new Error('the content is not a YAML mapping');
  }
  return parsed as Record<string, unknown>;
}

/** An `instances/{id}` node: SnakeYAML's dump of ElasticJob's `JobInstance`. */
export function instanceYaml(jobInstanceId: string, serverIp: string): string {
  return emitMapping(
    [
      ['jobInstanceId', jobInstanceId],
      ['serverIp', serverIp],
    ],
    0,
  );
}

/** Reads an `instances/{id}` node; `undefined` when it is not one. */
export function parseInstanceYaml(text: string): { jobInstanceId: string; serverIp: string } | undefined {
  try {
    const parsed = parseElasticJobYaml(text);
    if (typeof parsed.jobInstanceId !== 'string') return undefined;
    return { jobInstanceId: parsed.jobInstanceId, serverIp: String(parsed.serverIp ?? '') };
  } catch {
    return undefined;
  }
}
