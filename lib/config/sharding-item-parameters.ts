/**
 * `shardingItemParameters` as ElasticJob parses it (`ShardingItemParameters`): pairs split on
 * `,`, each `int=value` split on `=`, both sides trimmed, Java's `String.split` dropping
 * trailing empty strings.
 */

function javaSplit(text: string, separator: string): string[] {
  const parts = text.split(separator);
  while (parts.length > 0 && parts[parts.length - 1] === '') parts.pop();
  return parts;
}

/** Parses `'0=A,1=B'`; throws with `what is wrong` when a pair is malformed. */
export function parseShardingItemParameters(text: string): Map<number, string> {
  const result = new Map<number, string>();
  if (text === '') return result;
  for (const pair of javaSplit(text, ',')) {
    const parts = javaSplit(pair.trim(), '=');
    if (parts.length !== 2) throw new Error(`"${pair.trim()}" is not of the form item=parameter`);
    const key = parts[0]!.trim();
    if (!/^[+-]?\d+$/.test(key) || !Number.isSafeInteger(Number(key))) {
      throw new Error(`"${key}" in "${pair.trim()}" is not an item number`);
    }
    result.set(Number(key), parts[1]!.trim());
  }
  return result;
}

/** The record form, written as ElasticJob's string, items in ascending order. */
export function formatShardingItemParameters(parameters: Record<number, string>): string {
  return Object.entries(parameters)
    .map(([item, parameter]) => [Number(item), String(parameter)] as const)
    .sort((a, b) => a[0] - b[0])
    .map(([item, parameter]) => `${item}=${parameter}`)
    .join(',');
}
