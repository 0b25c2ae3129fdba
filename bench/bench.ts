/**
 * `npm run bench`: one reset by ResetAccess beside the runbook's sequential flow, on the same
 * emulator with the same latency profile. Prints (a) the modeled AWS time to access and
 * (b) the number of AWS API calls, for each, as a table.
 *
 *   npm run bench [-- --runs 3] [-- --time-scale 0.05] [-- --canned]
 *
 * Each variant runs `runs` times with the realistic profile and as often with the instant one,
 * interleaved (the order alternates), after one warm-up run each that is not counted. The root
 * volume is a real XFS image where root and loop devices allow it (the script really runs on
 * it), else, or with --canned, an emulator command fault ends the command Success with a
 * canned result line.
 */
import { runCommandLine } from "../rehearsal/cli";
import { Sandbox, profileFile, realDiskUnavailableReason, withCleanup } from "../rehearsal/sandbox";
import { CallRecord } from "../harness/emulator";
import { floorOf, profileDurations } from "./floor";
import { floorTable, Measurement, Profile, summarize, summaryTable } from "./report";
import { scriptSeconds } from "../rehearsal/script-time";
import { formatDuration, modeledSeconds } from "../rehearsal/stats";
import { Variant, VARIANTS } from "./variants";

const REALISTIC = "realistic";
const INSTANT = "instant";

interface Options {
    runs: number;
    timeScale: number;
    canned: boolean;
}

export function parseOptions(argv: string[]): Options {
    const options: Options = { runs: 3, timeScale: 0.05, canned: false };
    for (let i = 0; i < argv.length; i++) {
        const value = () => {
            const v = Number(argv[++i]);
            if (!(v > 0) || !Number.isFinite(v))
                throw new Error(`${argv[i - 1]} needs a positive number, got ${argv[i]}`);
            return v;
        };
        if (argv[i] === "--runs") options.runs = Math.round(value());
        else if (argv[i] === "--time-scale") options.timeScale = value();
        else if (argv[i] === "--canned") options.canned = true;
        else
            throw new Error(
                `unknown argument ${argv[i]}; usage: npm run bench -- [--runs N] [--time-scale S] [--canned]`,
            );
    }
    return options;
}

class Bench {
    constructor(
        private readonly sandbox: Sandbox,
        private readonly canned: boolean,
    ) {}

    /** One run on a fresh emulator state: a new target, the variant, its calls counted. */
    async measure(variant: Variant, profile: Profile, repetition: number): Promise<Measurement> {
        await this.sandbox.reset();
        await this.sandbox.useProfile(profile);
        if (this.canned) await this.sandbox.cannedCommand();
        const { ctx } = await this.sandbox.newTarget();
        const timing = await variant.run(ctx);
        const calls = await this.sandbox.emulator.calls({ since: timing.startedAt / 1000 });
        const scriptMs = (await scriptSeconds()) * 1000; // after doneAt: not counted among the run's calls
        const upTo = (at: number) => calls.filter((c: CallRecord) => c.time <= at / 1000);
        const stop = calls.find(
            (c: CallRecord) =>
                c.operation === "StopInstances" &&
                JSON.stringify(c.params).includes(ctx.instanceId),
        );
        if (!stop)
            throw new Error(
                `${variant.label}: no StopInstances of ${ctx.instanceId} in the call log`,
            );
        const all = upTo(timing.doneAt);
        return {
            variant: variant.label,
            profile,
            repetition,
            accessMs: timing.accessAt - timing.startedAt,
            downtimeMs: timing.accessAt - stop.time * 1000,
            totalMs: timing.doneAt - timing.startedAt,
            scriptMs,
            callsToAccess: upTo(timing.accessAt).length,
            callsTotal: all.length,
            writesTotal: all.filter((c) => !/^(Describe|Get|List)/.test(c.operation)).length,
        };
    }
}

async function main(options: Options): Promise<number> {
    const diskReason = realDiskUnavailableReason();
    const canned = options.canned || diskReason !== null;
    let sandbox: Sandbox | undefined;
    return withCleanup(
        async () => {
            sandbox = await Sandbox.start(INSTANT, options.timeScale);
            printHeader(options, canned, options.canned ? "--canned" : diskReason);
            if (!canned) sandbox.makeRealDisk();
            const bench = new Bench(sandbox, canned);
            for (const variant of VARIANTS) await bench.measure(variant, INSTANT, 0); // warm-up, not counted
            const measured: Measurement[] = [];
            for (let repetition = 1; repetition <= options.runs; repetition++) {
                const order: Profile[] =
                    repetition % 2 ? [INSTANT, REALISTIC] : [REALISTIC, INSTANT];
                for (const variant of VARIANTS) {
                    const pair: Measurement[] = [];
                    for (const profile of order)
                        pair.push(await bench.measure(variant, profile, repetition));
                    measured.push(...pair);
                    printRun(variant, pair, options);
                }
            }
            printSummary(measured, options);
            return 0;
        },
        async () => sandbox?.close(),
    );
}

function printHeader(options: Options, canned: boolean, why: string | null): void {
    const s = options.timeScale;
    console.log(
        "ec2-reset-access benchmark: one reset by ResetAccess, and the runbook's steps one after the other",
    );
    console.log(
        `  latency profile ${profileFile(REALISTIC)} at time scale ${s} (1 AWS s = ${+(s * 1000).toFixed(3)} ms here),`,
    );
    console.log(`  baseline ${profileFile(INSTANT)}; EC2_RESET_ACCESS_TIME_SCALE=${s} in both`);
    console.log(
        canned
            ? `  root volume: none; an emulator command fault ends the command Success with a canned result line (${why})`
            : "  root volume: a real XFS image on a loop device; the reset program runs on it",
    );
    console.log(
        `  ${options.runs} runs per variant and profile, interleaved, after one warm-up run per variant (not counted)\n`,
    );
}

function printRun(variant: Variant, pair: Measurement[], options: Options): void {
    const realistic = pair.find((m) => m.profile === REALISTIC)!;
    const instant = pair.find((m) => m.profile === INSTANT)!;
    const work = (m: Measurement) => m.accessMs - m.scriptMs;
    const modeled = modeledSeconds(
        { realisticMs: work(realistic), instantMs: work(instant) },
        options.timeScale,
        variant.fixedSleepSeconds,
    );
    const wall = (m: Measurement) =>
        `${(m.accessMs / 1000).toFixed(1)} s (script ${(m.scriptMs / 1000).toFixed(1)} s)`;
    console.log(
        `  run ${realistic.repetition}/${options.runs}  ${variant.label.padEnd(27)} to access: realistic ${wall(realistic)}, instant ${wall(instant)}` +
            ` → ${formatDuration(modeled)} AWS; ${realistic.callsTotal} calls`,
    );
}

function printSummary(measured: Measurement[], options: Options): void {
    const summaries = VARIANTS.map((v) =>
        summarize(
            v.label,
            measured.filter((m) => m.variant === v.label),
            options.timeScale,
            v.fixedSleepSeconds,
        ),
    );
    console.log(`\nMedian (min–max) of ${options.runs} runs:\n`);
    console.log(summaryTable(summaries));
    const durations = profileDurations(REALISTIC);
    console.log(
        `\nDowntime (from the target's stop request until it runs again) and time to access, beside their critical-path floors`,
    );
    console.log(
        `(the sum of ${profileFile(REALISTIC)}'s durations on the path; ratio = median / floor):\n`,
    );
    console.log(
        floorTable(
            VARIANTS.map((v, i) => ({
                summary: summaries[i],
                accessFloor: floorOf(v.paths.access, durations).seconds,
                downtimeFloor: floorOf(v.paths.downtime, durations).seconds,
            })),
        ),
    );
    for (const v of VARIANTS) {
        console.log(
            `  ${v.label}: downtime floor = ${floorOf(v.paths.downtime, durations).formula}`,
        );
        console.log(
            `  ${" ".repeat(v.label.length)}  access floor = ${floorOf(v.paths.access, durations).formula}`,
        );
    }
    const [ours, runbook] = summaries;
    const saved = runbook.access.median - ours.access.median;
    console.log(
        `\nTime to access: ResetAccess ${formatDuration(ours.access.median)}, the runbook's flow ${formatDuration(runbook.access.median)} (${formatDuration(saved)} less).`,
    );
    console.log(NOTES.join("\n"));
}

const NOTES = [
    "",
    "AWS s: modeled waiting time = (wall-clock with the realistic profile − wall-clock with the instant one) / time scale,",
    "  the time spent waiting for AWS as the profile models it. This machine's own work (Pulumi, the emulator, key",
    "  generation) is in both runs and cancels; the script's run time, which varies most, is taken out of each run first",
    "  (ExecutionElapsedTime). On AWS add API latency and the script's run time. The runbook's fixed 10 s sleep is in",
    "  both runs too: it is added back.",
    "To access: until the target runs again with the new key (ResetAccess: `pulumi up` done). In all: until the temporary",
    "  resources are deleted too (ResetAccess: `pulumi destroy` done; the backup AMI and the key parameter stay in both).",
    "Calls: AWS API calls in GET /_emulator/calls, realistic profile; writes: those not named Describe*, Get*, List*.",
    "  wall s here: median wall-clock seconds to access on this machine, realistic / instant.",
    "Ordinary Pulumi resources are made by the harness's emulation of the AWS provider: the real provider makes more read",
    "  calls; and it waits for an instance (running, terminated) with the SDK waiter's real-second polls (at 1 s, then",
    "  1-2 s later, …), which the time scale does not shrink: at scale 0.05 a poll 1 s after RunInstances stands for",
    "  20 AWS s where the profile says 15.",
    "The runbook's flow is built from the project's lib/ functions and the SDK; the real runbook adds CloudFormation,",
    "  Lambda and Automation calls that are not counted here.",
];

if (require.main === module) runCommandLine("bench", parseOptions, main);
