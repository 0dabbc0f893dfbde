/** Java's `String.hashCode`: over UTF-16 code units, 32-bit with overflow. */
export function javaStringHashCode(text: string): number {
  let hash = 0;
  for (let i = 0; i < text.length; i += 1) hash = (Math.imul(31, hash) + text.charCodeAt(i)) | 0;
  return hash;
}

/** Java's `Math.abs(int)`: `Integer.MIN_VALUE` stays negative. */
export function javaAbs(value: number): number {
  return value === -2147483648 ? value : Math.abs(value);
}
