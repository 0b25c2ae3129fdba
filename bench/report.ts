/** From the measured runs to the benchmark's table: pure, so that it is tested on its own. */
import { formatSpread, modeledSpread, PairedRun, spread, Spread } from "../rehearsal/stats";
import { formatTable } from "./table";

export type Profile = "realistic" | "instant";

/** One run of one variant with one profile. */
export interface Measurement {
    variant: string;
    profile: Profile;
    /** Which repetition: the realistic and instant runs of the same repetition form a pair. */
    repetition: number;
    accessMs: number;
    /** From the target's stop request (its StopInstances in the call log) until it runs again. */
    downtimeMs?: number;
    totalMs: number;
    /** How long the scripts ran (real, this machine's work): taken out before the difference. */
    scriptMs: number;
    callsToAccess: number;
    callsTotal: number;
    writesTotal: number;
}

export interface VariantSummary {
    label: string;
    /** Modeled AWS seconds until the target runs again with the new key. */
    access: Spread;
    /** Modeled AWS seconds from the target's stop request until it runs again. */
    downtime?: Spread;
    /** … until the temporary resources are deleted too. */
    total: Spread;
    /** API calls with the realistic profile (the polls depend on the durations). */
    callsToAccess: Spread;
    callsTotal: Spread;
    writesTotal: Spread;
    /** Wall-clock seconds here until access, with each profile. */
    wallRealistic: Spread;
    wallInstant: Spread;
}

/** The pairs (realistic, instant) of one variant, repetition by repetition. */
export function pairs(runs: Measurement[], pick: (m: Measurement) => number): PairedRun[] {
    const byRepetition = new Map<number, Partial<Record<Profile, Measurement>>>();
    for (const m of runs)
        byRepetition.set(m.repetition, { ...byRepetition.get(m.repetition), [m.profile]: m });
    const result: PairedRun[] = [];
    for (const [repetition, pair] of [...byRepetition].sort(([a], [b]) => a - b)) {
        if (!pair.realistic || !pair.instant)
            throw new Error(
                `repetition ${repetition} lacks its ${pair.realistic ? "instant" : "realistic"} run`,
            );
        result.push({ realisticMs: pick(pair.realistic), instantMs: pick(pair.instant) });
    }
    return result;
}

export function summarize(
    label: string,
    runs: Measurement[],
    timeScale: number,
    fixedSleepSeconds: number,
): VariantSummary {
    const realistic = runs.filter((m) => m.profile === "realistic");
    const instant = runs.filter((m) => m.profile === "instant");
    return {
        label,
        access: modeledSpread(
            pairs(runs, (m) => m.accessMs - m.scriptMs),
            timeScale,
            fixedSleepSeconds,
        ),
        downtime: runs.every((m) => m.downtimeMs !== undefined)
            ? modeledSpread(
                  pairs(runs, (m) => m.downtimeMs! - m.scriptMs),
                  timeScale,
                  fixedSleepSeconds,
              )
            : undefined,
        total: modeledSpread(
            pairs(runs, (m) => m.totalMs - m.scriptMs),
            timeScale,
            fixedSleepSeconds,
        ),
        callsToAccess: spread(realistic.map((m) => m.callsToAccess)),
        callsTotal: spread(realistic.map((m) => m.callsTotal)),
        writesTotal: spread(realistic.map((m) => m.writesTotal)),
        wallRealistic: spread(realistic.map((m) => m.accessMs / 1000)),
        wallInstant: spread(instant.map((m) => m.accessMs / 1000)),
    };
}

export const TABLE_HEADER = [
    "",
    "(a) AWS s to access",
    "AWS s in all",
    "(b) calls to access",
    "calls in all",
    "writes",
    "wall s here",
];

/** Median (min–max) over the repetitions in every cell. */
export function summaryTable(summaries: VariantSummary[]): string {
    return formatTable(
        TABLE_HEADER,
        summaries.map((s) => [
            s.label,
            formatSpread(s.access),
            formatSpread(s.total),
            formatSpread(s.callsToAccess),
            formatSpread(s.callsTotal),
            formatSpread(s.writesTotal),
            `${s.wallRealistic.median.toFixed(1)} / ${s.wallInstant.median.toFixed(1)}`,
        ]),
    );
}

/** Downtime and time to access beside their critical-path floors (bench/floor.ts), and the ratios. */
export function floorTable(
    rows: Array<{ summary: VariantSummary; accessFloor: number; downtimeFloor: number }>,
): string {
    const ratio = (value: number | undefined, floor: number) =>
        value === undefined || !floor ? "-" : (value / floor).toFixed(2);
    return formatTable(
        ["", "downtime AWS s", "floor", "ratio", "to access AWS s", "floor", "ratio"],
        rows.map(({ summary: s, accessFloor, downtimeFloor }) => [
            s.label,
            s.downtime ? formatSpread(s.downtime) : "-",
            String(downtimeFloor),
            ratio(s.downtime?.median, downtimeFloor),
            formatSpread(s.access),
            String(accessFloor),
            ratio(s.access.median, accessFloor),
        ]),
    );
}
