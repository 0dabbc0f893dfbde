// Figures for noisy machines: medians and spreads, never a single run.

/** The q-quantile (0..1) of the values, by nearest rank. */
export function quantile(values, q) {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[rank];
}

export function summarize(values) {
  return {
    n: values.length,
    min: round(Math.min(...values)),
    p50: round(quantile(values, 0.5)),
    p90: round(quantile(values, 0.9)),
    p99: round(quantile(values, 0.99)),
    max: round(Math.max(...values)),
  };
}

export function round(value, digits = 1) {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}

/** One line of a figure: `label  n=10  p50 123.4  p90 ...  (min .. max)`. */
export function describe(label, summary, unit = 'ms') {
  return (
    `${label.padEnd(44)} n=${String(summary.n).padEnd(5)} p50 ${summary.p50} ${unit}  p90 ${summary.p90} ${unit}` +
    `  p99 ${summary.p99} ${unit}  (min ${summary.min}, max ${summary.max})`
  );
}
