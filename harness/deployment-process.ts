/**
 * A deployment in a child process (node with ts-node), killed with SIGKILL at a chosen moment,
 * to prove that what a killed `pulumi up` leaves behind can be repaired and removed with
 * `destroy(readState(statePath))`:
 * - `killAfter: "<resource name>"`: the child kills itself right after that resource's completed
 *   step is in the state file; other steps may be in flight.
 * - `killOnCall: {operation, nth}`: the emulator delays that call (fault kind "delay"); once the
 *   child has sent it, the parent kills the child. By default the parent then waits until the
 *   delayed call has landed in the emulator (AWS received it; the program never saw the
 *   answer), so that it cannot land later in someone else's test. If the child never sends
 *   the call, it is not killed (`killed: false`) and the emulator's faults are cleared
 *   (DELETE /_emulator/faults clears them all).
 */
import { ChildProcess, spawn } from "node:child_process";
import * as path from "node:path";
import { sleep } from "../lib/sleep";
import { DeploymentState, readState } from "./deployment-state";

const ROOT = path.resolve(__dirname, "..");
const CHILD = path.join(__dirname, "deployment-child.ts");

export interface KillOnCall {
    /** The API operation, e.g. "AttachVolume" or "SendCommand". */
    operation: string;
    /** The Nth call of it from the start of the run (default 1). */
    nth?: number;
    /** Limits the match to one service's signing name, e.g. "ec2". */
    service?: string;
    /** How long the emulator holds the call (default 5 s: far longer than the kill takes). */
    seconds?: number;
    /** Wait until the held call has been answered by the emulator (default true). */
    waitForLanding?: boolean;
}

export interface ChildDeployOptions {
    /** A module exporting the program (`exportName`, default "program", else the default export). */
    modulePath: string;
    exportName?: string;
    statePath: string;
    /** Run as an update of the state already at statePath (the next `pulumi up`). */
    fromState?: boolean;
    stack?: string;
    project?: string;
    config?: Record<string, string>;
    /** A resource name, `<type>::<name>` (component children often share a name) or a URN. */
    killAfter?: string;
    killOnCall?: KillOnCall;
    /** Default: process.env.AWS_ENDPOINT_URL (exported by the mocha root hooks). */
    emulatorEndpoint?: string;
    timeoutMs?: number;
}

export interface ChildDeployResult {
    /** What the state file says now. */
    state: DeploymentState;
    killed: boolean;
    exitCode: number | null;
    /** Names of the resources whose completion the child reported, in order. */
    completed: string[];
    /** The deployment's error message, when the child finished with one. */
    error?: string;
    outputs?: Record<string, unknown>;
    stderr: string;
}

/** Messages from the child over the IPC channel. */
export type ChildMessage =
    | { kind: "completed"; name: string; urn: string }
    | { kind: "in-flight"; operation: string }
    | { kind: "done"; error?: string; outputs: Record<string, unknown> };

export async function deployInChild(options: ChildDeployOptions): Promise<ChildDeployResult> {
    const endpoint = options.emulatorEndpoint ?? process.env.AWS_ENDPOINT_URL;
    if (!endpoint)
        throw new Error("deployInChild: no emulator endpoint (AWS_ENDPOINT_URL is unset)");
    const kill = options.killOnCall;
    const startedAt = Date.now() / 1000;
    if (kill) {
        await control(endpoint, "POST", "/faults", {
            operation: kill.operation,
            kind: "delay",
            seconds: kill.seconds ?? 5,
            nth: kill.nth ?? 1,
            ...(kill.service ? { service: kill.service } : {}),
        });
    }
    const child = spawn(process.execPath, ["-r", "ts-node/register/transpile-only", CHILD], {
        cwd: ROOT,
        stdio: ["ignore", "ignore", "pipe", "ipc"],
        env: {
            ...process.env,
            AWS_ENDPOINT_URL: endpoint,
            AWS_REGION: process.env.AWS_REGION ?? "us-east-1",
            AWS_ACCESS_KEY_ID: process.env.AWS_ACCESS_KEY_ID ?? "testing",
            AWS_SECRET_ACCESS_KEY: process.env.AWS_SECRET_ACCESS_KEY ?? "testing",
            TS_NODE_TRANSPILE_ONLY: "true",
            HARNESS_CHILD_SPEC: JSON.stringify({
                modulePath: path.resolve(options.modulePath),
                exportName: options.exportName,
                statePath: path.resolve(options.statePath),
                fromState: options.fromState ?? false,
                stack: options.stack,
                project: options.project,
                config: options.config,
                killAfter: options.killAfter,
                watchCall: kill
                    ? { operation: kill.operation, nth: kill.nth ?? 1, service: kill.service }
                    : undefined,
            }),
        },
    });
    const run = await supervise(child, options.timeoutMs ?? 120_000);
    if (kill && !run.killedInFlight) {
        // The call never came: the armed delay must not hold someone else's call later.
        await control(endpoint, "DELETE", "/faults");
    } else if (kill && kill.waitForLanding !== false) {
        await waitForLanding(endpoint, kill, startedAt);
    }
    return {
        state: readState(options.statePath),
        killed: run.signal === "SIGKILL",
        exitCode: run.exitCode,
        completed: run.completed,
        error: run.done?.error,
        outputs: run.done?.outputs,
        stderr: run.stderr,
    };
}

interface Supervised {
    exitCode: number | null;
    signal: NodeJS.Signals | null;
    completed: string[];
    done?: Extract<ChildMessage, { kind: "done" }>;
    killedInFlight: boolean;
    stderr: string;
}

function supervise(child: ChildProcess, timeoutMs: number): Promise<Supervised> {
    return new Promise((resolve, reject) => {
        const run: Supervised = {
            exitCode: null,
            signal: null,
            completed: [],
            killedInFlight: false,
            stderr: "",
        };
        child.stderr!.on("data", (chunk) => (run.stderr = (run.stderr + chunk).slice(-20_000)));
        const timer = setTimeout(() => {
            child.kill("SIGKILL");
            reject(
                new Error(`deployment child did not finish within ${timeoutMs} ms\n${run.stderr}`),
            );
        }, timeoutMs);
        child.on("message", (message: ChildMessage) => {
            if (message.kind === "completed") run.completed.push(message.name);
            if (message.kind === "done") run.done = message;
            if (message.kind === "in-flight") {
                // The request is written to the socket; the emulator holds it for `seconds`.
                run.killedInFlight = true;
                setTimeout(() => child.kill("SIGKILL"), 100);
            }
        });
        child.once("error", (err) => {
            clearTimeout(timer);
            reject(err);
        });
        child.once("exit", (code, signal) => {
            clearTimeout(timer);
            run.exitCode = code;
            run.signal = signal;
            resolve(run);
        });
    });
}

/** The call log records a delayed call once the emulator answers it. */
async function waitForLanding(endpoint: string, kill: KillOnCall, since: number): Promise<void> {
    const deadline = Date.now() + ((kill.seconds ?? 5) + 15) * 1000;
    const query = new URLSearchParams({
        operation: kill.operation,
        since: String(since),
        ...(kill.service ? { service: kill.service } : {}),
    });
    while (Date.now() < deadline) {
        const { calls } = await control<{ calls: unknown[] }>(endpoint, "GET", `/calls?${query}`);
        if (calls.length >= (kill.nth ?? 1)) return;
        await sleep(200);
    }
    throw new Error(`the held ${kill.operation} call did not land in the emulator`);
}

async function control<T = unknown>(
    endpoint: string,
    method: string,
    route: string,
    body?: unknown,
): Promise<T> {
    const response = await fetch(`${endpoint}/_emulator${route}`, {
        method,
        headers: body === undefined ? {} : { "content-type": "application/json" },
        body: body === undefined ? undefined : JSON.stringify(body),
    });
    const payload = (await response.json()) as T & { error?: string };
    if (!response.ok)
        throw new Error(`emulator ${method} ${route}: ${payload.error ?? response.status}`);
    return payload;
}
