/**
 * The two ways of resetting access the benchmark compares, each timed from its first AWS call:
 * until the target runs again with the new key (access), and until the temporary resources are
 * gone too (all).
 */
import * as pulumi from "@pulumi/pulumi";
import { deploy, destroy } from "../harness/deployment";
import { TargetContext } from "../lib/target-context";
import { CriticalPaths, RESET_ACCESS_PATHS, RUNBOOK_PATHS } from "./floor";
import { RUNBOOK_SLEEP_SECONDS, runbookReset } from "./runbook";
import resetAccessProgram = require("../index");

/** Epoch milliseconds, so that the emulator's call log can be cut at the same moments. */
export interface Timing {
    startedAt: number;
    accessAt: number;
    doneAt: number;
}

export interface Variant {
    label: string;
    /** Fixed sleeps it makes (AWS seconds): in both profiles' runs, so added back to the difference. */
    fixedSleepSeconds: number;
    /** Its critical paths, for the floors (bench/floor.ts). */
    paths: CriticalPaths;
    run(ctx: TargetContext): Promise<Timing>;
}

/** index.ts's program: `pulumi up` (access once it ends), then `pulumi destroy`. */
export const resetAccessVariant: Variant = {
    label: "ResetAccess (up, destroy)",
    fixedSleepSeconds: 0,
    paths: RESET_ACCESS_PATHS,
    async run(ctx) {
        const startedAt = Date.now();
        const up = await deploy(resetAccessProgram, {
            config: { "ec2-reset-access:instanceId": ctx.instanceId },
        });
        if (up.error) throw new Error(`pulumi up failed: ${up.error.message}`);
        if (up.outputs.targetState !== ctx.priorState)
            throw new Error(`pulumi up left the target ${up.outputs.targetState}`);
        const accessAt = Date.now();
        const left = await destroy(up.state);
        if (left.resources.length)
            throw new Error(`pulumi destroy left ${left.resources.length} resources`);
        return { startedAt, accessAt, doneAt: Date.now() };
    },
};

export const runbookVariant: Variant = {
    label: "runbook's flow, sequential",
    fixedSleepSeconds: RUNBOOK_SLEEP_SECONDS,
    paths: RUNBOOK_PATHS,
    run: (ctx) => withoutProgressLines(() => runbookReset(ctx)),
};

/**
 * lib/waits reports long waits with pulumi.log.info, which prints on the console outside a
 * deployment (inside one, the harness collects it): not in the benchmark's output.
 */
async function withoutProgressLines<T>(run: () => Promise<T>): Promise<T> {
    const log = pulumi.log as unknown as Record<string, unknown>;
    const saved = log.info;
    log.info = () => Promise.resolve();
    try {
        return await run();
    } finally {
        log.info = saved;
    }
}

export const VARIANTS = [resetAccessVariant, runbookVariant];
