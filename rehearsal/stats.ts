/**
 * The benchmark's arithmetic, apart from anything that runs: medians and spreads of repeated
 * runs, and the modeled AWS time of a run measured twice on this machine.
 *
 * How AWS time is modeled: the same code runs once with the realistic latency profile scaled by
 * S (a 40 s stop lasts 40·S s here) and once with the instant profile (every transition at once),
 * the program's own polls scaled by the same S both times. What differs is the waiting for AWS,
 * so (T_realistic − T_instant) / S is that waiting in AWS seconds; this machine's own processing
 * (Pulumi, the emulator, the script) is in both runs and cancels. So does a fixed sleep of the
 * program's, which is why it is added back.
 */

export interface Spread {
    median: number;
    min: number;
    max: number;
}

export function median(values: number[]): number {
    if (values.length === 0) throw new Error("median of no values");
    const sorted = [...values].sort((a, b) => a - b);
    const middle = Math.floor(sorted.length / 2);
    return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

export function spread(values: number[]): Spread {
    return { median: median(values), min: Math.min(...values), max: Math.max(...values) };
}

/** One repetition: the same variant's wall-clock time with each profile, in milliseconds. */
export interface PairedRun {
    realisticMs: number;
    instantMs: number;
}

/**
 * Modeled AWS seconds of one repetition: (T_realistic − T_instant) / S, plus the fixed sleeps
 * the code makes in both runs (AWS seconds), which cancel in the difference.
 */
export function modeledSeconds(run: PairedRun, timeScale: number, fixedSleepSeconds = 0): number {
    if (!(timeScale > 0)) throw new Error(`time scale must be positive, got ${timeScale}`);
    return (run.realisticMs - run.instantMs) / 1000 / timeScale + fixedSleepSeconds;
}

/** Median and range over the repetitions of the modeled AWS seconds. */
export function modeledSpread(runs: PairedRun[], timeScale: number, fixedSleepSeconds = 0): Spread {
    return spread(runs.map((run) => modeledSeconds(run, timeScale, fixedSleepSeconds)));
}

/** "212 (198–230)"; a spread without width prints as one number. */
export function formatSpread(s: Spread, digits = 0): string {
    const f = (n: number) => n.toFixed(digits);
    return f(s.min) === f(s.max) ? f(s.median) : `${f(s.median)} (${f(s.min)}–${f(s.max)})`;
}

/** AWS seconds as a person reads them: "47 s", "3 min 32 s". */
export function formatDuration(seconds: number): string {
    const total = Math.round(seconds);
    if (Math.abs(total) < 60) return `${total} s`;
    const sign = total < 0 ? "-" : "";
    const abs = Math.abs(total);
    return `${sign}${Math.floor(abs / 60)} min ${abs % 60} s`;
}
