/**
 * Polling with a deadline: the Pulumi engine gives a provider no timeout, so every wait brings
 * its own, and a long one reports progress (pulumi.log falls back to the console in the
 * dynamic-provider host, which the CLI shows).
 */
import * as pulumi from "@pulumi/pulumi";
import { sleep } from "./sleep";

/**
 * The longest poll interval by default: a wait on the target's critical path overshoots its
 * transition by up to this much, so it is short (2 s of DescribeInstances is far inside EC2's
 * request rate limits) to keep the downtime near its floor.
 */
const MAX_POLL_SECONDS = 2;

export interface WaitOptions {
    /** What is awaited, for progress lines and the timeout error: "i-0abc to stop". */
    what: string;
    deadlineSeconds: number;
    /** First poll interval; doubles up to maxIntervalSeconds (default MAX_POLL_SECONDS). */
    intervalSeconds?: number;
    maxIntervalSeconds?: number;
    /**
     * The deadline is real time even against the emulator: what is awaited runs for real there
     * too (the reset script), so EC2_RESET_ACCESS_TIME_SCALE must not shorten it.
     */
    realTimeDeadline?: boolean;
    /** Report progress after this many seconds, then at the same period. */
    reportEverySeconds?: number;
}

/** A wait passed its deadline (told apart by name: a serialized provider has its own copy of the class). */
export class WaitTimeout extends Error {
    override name = "WaitTimeout";

    constructor(
        readonly what: string,
        readonly seconds: number,
    ) {
        super(`timed out after ${seconds} s waiting for ${what}`);
        // Set again in the body: in a dynamic provider's serialized copy of this class, the
        // Error constructor's message and the field initializer are lost (seen: the error
        // reached the engine as { what, seconds }, with no message and the name "Error").
        this.name = "WaitTimeout";
        this.message = `timed out after ${seconds} s waiting for ${what}`;
    }
}

export function isWaitTimeout(err: unknown): boolean {
    return err instanceof Error && err.name === "WaitTimeout";
}

/**
 * Calls `poll` until it returns a value other than undefined; throws when the deadline passes.
 * `poll` may throw to stop early (a terminal state is an error, with its evidence).
 */
export async function waitFor<T>(
    options: WaitOptions,
    poll: () => Promise<T | undefined>,
): Promise<T> {
    const scale = timeScale();
    const started = Date.now();
    const deadline =
        started + options.deadlineSeconds * 1000 * (options.realTimeDeadline ? 1 : scale);
    const reportEvery = (options.reportEverySeconds ?? 30) * 1000 * scale;
    let interval = (options.intervalSeconds ?? 0.25) * 1000 * scale;
    let nextReport = started + reportEvery;
    for (;;) {
        const result = await poll();
        if (result !== undefined) return result;
        const now = Date.now();
        if (now >= deadline) {
            throw new WaitTimeout(options.what, options.deadlineSeconds);
        }
        if (now >= nextReport) {
            pulumi.log.info(
                `still waiting for ${options.what} (${Math.round((now - started) / 1000)} s)`,
            );
            nextReport = now + reportEvery;
        }
        await sleep(Math.min(interval, deadline - now));
        interval = Math.min(
            interval * 2,
            (options.maxIntervalSeconds ?? MAX_POLL_SECONDS) * 1000 * scale,
        );
    }
}

/**
 * Emulated time only: EC2_RESET_ACCESS_TIME_SCALE (default 1) scales every deadline and poll
 * interval, so that a run against the emulator with its latency profile scaled by the same
 * factor waits and polls as it would on AWS. Never set it against AWS.
 */
export function timeScale(): number {
    const value = Number(process.env.EC2_RESET_ACCESS_TIME_SCALE ?? "1");
    return value > 0 && Number.isFinite(value) ? value : 1;
}
