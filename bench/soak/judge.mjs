// The soak's verdict, judged from what ran: every handler start and end, and the faults
// injected (pure functions, unit-tested in test/unit/soak-judge.spec.ts).

/**
 * A run in flight when its process was frozen ends, as far as anyone can tell, at the freeze,
 * if it ends within this long after the thaw: right after a SIGCONT the process runs what was
 * overdue (a handler's own timers among it) before it can learn that its session expired.
 */
export const THAW_GRACE_MS = 500;

/**
 * Stitches start and end lines into runs and cuts each to the time its instance was live:
 * a SIGKILL ends a run at once; a freeze cuts it at the freeze (see THAW_GRACE_MS), and what
 * it does later than that after the thaw counts again.
 * @param records `{t:'start'|'end', run, ...}` lines of every instance
 * @param lifecycle per instance: `{ killedAt?, crashedAt?, freezes: [{from, to}] }` (a crash
 *   ends its runs as a SIGKILL does)
 * @param endOfRun when the soak stopped recording
 */
export function liveIntervals(records, lifecycle, endOfRun) {
  const runs = new Map();
  for (const record of records) {
    if (record.t === 'start') runs.set(record.run, { ...record, end: undefined, status: undefined });
    else if (record.t === 'end' && runs.has(record.run)) {
      const run = runs.get(record.run);
      run.end = record.at;
      run.status = record.status;
    }
  }
  const intervals = [];
  for (const run of runs.values()) {
    const life = lifecycle.get(run.instance) ?? { freezes: [] };
    const diedAt = life.killedAt ?? life.crashedAt;
    let end = run.end ?? Math.min(diedAt ?? endOfRun, endOfRun);
    if (diedAt !== undefined) end = Math.min(end, diedAt);
    let from = run.at;
    for (const freeze of [...life.freezes].sort((a, b) => a.from - b.from)) {
      if (freeze.from >= end || freeze.to <= from) continue;
      if (freeze.from > from) intervals.push({ ...run, from, to: freeze.from });
      from = end <= freeze.to + THAW_GRACE_MS ? end : freeze.to;
    }
    if (end > from) intervals.push({ ...run, from, to: end });
  }
  return { runs: [...runs.values()], intervals };
}

/** Pairs of live intervals of the same (job, item) that overlap in time. */
export function overlaps(intervals) {
  const byItem = new Map();
  for (const interval of intervals) {
    const key = `${interval.job}/${interval.item}`;
    if (!byItem.has(key)) byItem.set(key, []);
    byItem.get(key).push(interval);
  }
  const found = [];
  for (const [key, list] of byItem) {
    list.sort((a, b) => a.from - b.from);
    for (let i = 0; i < list.length; i += 1) {
      for (let j = i + 1; j < list.length && list[j].from < list[i].to; j += 1) {
        if (list[j].run === list[i].run) continue;
        found.push({
          item: key,
          a: { run: list[i].run, source: list[i].source, from: list[i].from, to: list[i].to },
          b: { run: list[j].run, source: list[j].source, from: list[j].from, to: list[j].to },
          overlapMs: Math.min(list[i].to, list[j].to) - list[j].from,
        });
      }
    }
  }
  return found;
}

/**
 * In fires far from any fault, every item runs exactly once (as its fire's normal run or its
 * misfire rerun, both carrying the fire's time).
 * @param jobs `{ name, items, fireTimes: number[] }`
 * @param quiet `(fireTime) => boolean`
 */
export function quietFireCounts(runs, jobs, quiet) {
  const counts = new Map();
  for (const run of runs) {
    if (run.source !== 'NORMAL_TRIGGER' && run.source !== 'MISFIRE') continue;
    const key = `${run.job}/${run.fire}/${run.item}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  const wrong = [];
  let checked = 0;
  for (const job of jobs) {
    for (const fire of job.fireTimes) {
      if (!quiet(fire)) continue;
      checked += 1;
      for (let item = 0; item < job.items; item += 1) {
        const count = counts.get(`${job.name}/${fire}/${item}`) ?? 0;
        if (count !== 1) wrong.push({ job: job.name, fire, item, count });
      }
    }
  }
  return { checked, wrong };
}

/**
 * After a SIGKILL, each item the killed instance was running is run again by another instance
 * within `boundMs` (the session timeout + 1 s). Returns each such item with its delay.
 */
export function failoverDelays(runs, kills, job, boundMs) {
  const results = [];
  for (const kill of kills) {
    const inFlight = runs.filter(
      (run) =>
        run.job === job && run.instance === kill.instance && run.at <= kill.at && (run.end ?? Infinity) > kill.at,
    );
    for (const run of inFlight) {
      const next = runs
        .filter(
          (other) =>
            other.job === job && other.item === run.item && other.instance !== kill.instance && other.at > kill.at,
        )
        .sort((a, b) => a.at - b.at)[0];
      const delayMs = next ? next.at - kill.at : undefined;
      results.push({
        instance: kill.instance,
        item: run.item,
        delayMs,
        late: delayMs === undefined || delayMs > boundMs,
      });
    }
  }
  return results;
}
