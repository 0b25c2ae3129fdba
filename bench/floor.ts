/**
 * The critical-path floor of each figure: the sum of the profile's durations on the path that
 * no implementation of the variant's order can shorten (each term waits for the one before it).
 * Pure, from the latency profile, so that it is tested on its own and printed with its formula.
 */
import * as fs from "fs";
import * as path from "path";

/** A profile operation (emulator/profiles/*.json "durations"), or a fixed sleep in AWS seconds. */
export type Term = string | { sleep: number };

export interface CriticalPaths {
    /** From the start until the target runs again with the new key. */
    access: Term[];
    /** From the target's stop request until it runs again. */
    downtime: Term[];
}

/** While the target is down, for both variants' orders, ResetAccess's: stop, backup started, move, script, back, start. */
const RESET_ACCESS_DOWNTIME: Term[] = [
    "instance.stop",
    "image.snapshotIds",
    "volume.detach",
    "volume.attach",
    "command.delivery",
    "volume.detach",
    "volume.attach",
    "instance.start",
];

/**
 * ResetAccess: the helper launched, Online and probed before the target is touched (the
 * temporary network, role and document take no profile time), then the downtime's chain.
 */
export const RESET_ACCESS_PATHS: CriticalPaths = {
    access: ["instance.start", "ssm.register", "command.delivery", ...RESET_ACCESS_DOWNTIME],
    downtime: RESET_ACCESS_DOWNTIME,
};

/** The runbook's flow: the same, but the backup AMI awaited, a 10 s sleep, and the helper stopped before the detach. */
const RUNBOOK_DOWNTIME: Term[] = [
    "instance.stop",
    "image.create",
    "volume.detach",
    "volume.attach",
    { sleep: 10 },
    "command.delivery",
    "instance.stop",
    "volume.detach",
    "volume.attach",
    "instance.start",
];

export const RUNBOOK_PATHS: CriticalPaths = {
    access: ["instance.start", "ssm.register", ...RUNBOOK_DOWNTIME],
    downtime: RUNBOOK_DOWNTIME,
};

export interface Floor {
    seconds: number;
    /** "instance.stop 40 + … = 89 AWS s" */
    formula: string;
}

export function floorOf(terms: Term[], durations: Record<string, number>): Floor {
    const parts = terms.map((t) =>
        typeof t === "string"
            ? { name: t, seconds: durations[t] ?? 0 }
            : { name: "sleep", seconds: t.sleep },
    );
    const seconds = parts.reduce((sum, p) => sum + p.seconds, 0);
    return {
        seconds,
        formula: `${parts.map((p) => `${p.name} ${p.seconds}`).join(" + ")} = ${seconds} AWS s`,
    };
}

/** The durations (AWS seconds) of a profile file under emulator/profiles/. */
export function profileDurations(name: string): Record<string, number> {
    const file = path.join(__dirname, "..", "emulator", "profiles", `${name}.json`);
    return JSON.parse(fs.readFileSync(file, "utf8")).durations;
}
