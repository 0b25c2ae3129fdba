/**
 * `pulumi up` / `pulumi destroy` without the Pulumi CLI, against the project's AWS emulator.
 *
 * The program runs under Pulumi's mocks with a resource monitor (deployment-monitor.ts) whose
 * registrations are real steps: ordinary resources are created in the emulator through the SDK
 * (emulated-resources.ts), dynamic resources through their deserialized provider, as the
 * dynamic-provider host runs them (pulumi-host.ts). The SDK decides when a resource is
 * registered (after its dependencies, independent ones concurrently), so order and overlap
 * are a deployment's. The state is a checkpoint written after every step (deployment-state.ts);
 * `deployInChild` runs a deployment in a child process that can be SIGKILLed at a chosen point.
 *
 * One deployment at a time per process: Pulumi's runtime state is global.
 */
import * as pulumi from "@pulumi/pulumi";
import {
    Checkpoint,
    cloneState,
    DeploymentState,
    emptyState,
    ResourceState,
} from "./deployment-state";
import { deleteInOrder, DestroyError } from "./deployment-destroy";
import { DeploymentEngine, PlannedStep } from "./deployment-engine";
import { HarnessMonitor } from "./deployment-monitor";
import { ResourceOperations } from "./deployment-operations";
import { refreshState } from "./deployment-refresh";

export { loadDynamicProvider } from "./pulumi-host";
export {
    DeploymentState,
    ResourceState,
    PendingOperation,
    SeenOptions,
    readState,
    writeStateSync,
    emptyState,
} from "./deployment-state";
export { DestroyError } from "./deployment-destroy";
export { PlannedStep } from "./deployment-engine";
export { deployInChild, ChildDeployOptions, ChildDeployResult } from "./deployment-process";

// Internal SDK modules (no public API for these): the runtime's store and RPC bookkeeping.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const runtimeSettings = require("@pulumi/pulumi/runtime/settings");
// eslint-disable-next-line @typescript-eslint/no-require-imports
const runtimeState = require("@pulumi/pulumi/runtime/state");

export type Program = () =>
    Promise<Record<string, unknown> | void> | Record<string, unknown> | void;

export interface DeployOptions {
    /** The state of the previous `pulumi up`: makes this run an update. */
    previous?: DeploymentState;
    /** Where to write the checkpoint after every step (synchronously). */
    statePath?: string;
    stack?: string;
    project?: string;
    /** Stack config, e.g. {"aws:region": "eu-west-1"}; merged over the previous state's. */
    config?: Record<string, string>;
    /** Called after a resource's completed step is in the checkpoint. */
    onCompleted?: (resource: ResourceState) => void;
    /** `pulumi preview`: checks and diffs only; the result's state is the previous one. */
    dryRun?: boolean;
}

export interface Diagnostic {
    severity: "info" | "warning" | "error";
    message: string;
    urn?: string;
}

export interface DeployResult {
    state: DeploymentState;
    outputs: Record<string, unknown>;
    /** The first failure: a step's own error (message intact), else the program's. */
    error?: Error;
    /** What the program logged with pulumi.log (and the harness's own warnings). */
    diagnostics: Diagnostic[];
    /** Preview only: the step each resource would take. */
    plan?: PlannedStep[];
}

export const DEFAULT_PROJECT = "ec2-reset-access";
export const DEFAULT_STACK = "test";

let running = false;

export async function deploy(program: Program, options: DeployOptions = {}): Promise<DeployResult> {
    if (running)
        throw new Error("one deployment at a time per process: Pulumi's runtime state is global");
    running = true;
    const diagnostics: Diagnostic[] = [];
    const programErrors: Error[] = [];
    let engine: DeploymentEngine | undefined;
    const programFailed = (reason: unknown) => {
        programErrors.push(asError(reason));
        engine?.stop(asError(reason));
    };
    const restoreLog = captureLog(diagnostics);
    process.on("unhandledRejection", programFailed);
    try {
        const state = startState(options, diagnostics);
        const checkpoint = new Checkpoint(
            state,
            options.statePath,
            (r) => r && options.onCompleted?.(r),
        );
        checkpoint.save();
        engine = new DeploymentEngine(checkpoint, options.previous, options.dryRun ?? false);
        const monitor = new HarnessMonitor(
            engine,
            () => state.stack,
            () => state.project,
        );
        await useMonitor(monitor, state, options.dryRun ?? false);
        let outputs: Record<string, unknown> = {};
        const run = (async () => {
            const returned = await program();
            if (returned) outputs = await resolved(returned);
            await settle(monitor);
        })().catch(programFailed);
        // A failure ends the run like the engine ends it: what waits on a failed resource never
        // comes; the steps in flight finish.
        await Promise.race([run, engine.whenStopped()]);
        await quiesce(monitor);
        // A failed run deletes nothing: only a complete run knows what is no longer declared.
        if (!engine.stopped) await engine.finish();
        await diagnosticsDone(diagnostics);
        const logged = diagnostics.find((d) => d.severity === "error");
        const error =
            engine.error ?? programErrors[0] ?? (logged ? new Error(logged.message) : undefined);
        const plan = options.dryRun ? { plan: engine.plan } : {};
        return {
            state: options.dryRun ? startState({ ...options, dryRun: false }, []) : state,
            outputs,
            ...(error ? { error } : {}),
            diagnostics,
            ...plan,
        };
    } finally {
        process.off("unhandledRejection", programFailed);
        restoreLog();
        runtimeState.getStore().leakCandidates = new Set(); // settled: nothing to report at exit
        running = false;
    }
}

/** `pulumi preview`: the program runs, each dynamic resource is checked (and diffed), nothing is created. */
export function preview(
    program: Program,
    options: Omit<DeployOptions, "dryRun" | "statePath" | "onCompleted"> = {},
): Promise<DeployResult> {
    return deploy(program, { ...options, dryRun: true });
}

/** The second `pulumi up`: unchanged resources keep their outputs without an AWS call. */
export function update(
    program: Program,
    previous: DeploymentState,
    options: Omit<DeployOptions, "previous"> = {},
): Promise<DeployResult> {
    return deploy(program, { ...options, previous });
}

/**
 * `pulumi destroy`: dependents first, independent deletes concurrently; dynamic resources with
 * the provider text in state. Throws a DestroyError (with `.errors` and `.state`, which keeps
 * what failed and what depends on it) when a delete fails.
 */
export async function destroy(
    state: DeploymentState,
    options: { statePath?: string } = {},
): Promise<DeploymentState> {
    const working = cloneState(state);
    working.pendingOperations = []; // as Pulumi clears them: a killed create is not in state
    const checkpoint = new Checkpoint(working, options.statePath);
    checkpoint.save();
    const errors = await deleteInOrder(
        checkpoint,
        [...working.resources],
        new ResourceOperations(working.config, working.project),
    );
    checkpoint.save();
    if (errors.length) throw new DestroyError(errors, working);
    return working;
}

/** `pulumi refresh`: the state as the providers read it back now (deployment-refresh.ts). */
export function refresh(
    state: DeploymentState,
    options: { statePath?: string } = {},
): Promise<DeploymentState> {
    return refreshState(state, options);
}

function startState(options: DeployOptions, diagnostics: Diagnostic[]): DeploymentState {
    const previous = options.previous;
    const project = options.project ?? previous?.project ?? DEFAULT_PROJECT;
    const stack = options.stack ?? previous?.stack ?? DEFAULT_STACK;
    const config = {
        "aws:region": process.env.AWS_REGION ?? "us-east-1",
        ...previous?.config,
        ...options.config,
    };
    if (!previous) return emptyState(project, stack, config);
    for (const op of previous.pendingOperations ?? []) {
        diagnostics.push({
            severity: "warning",
            urn: op.urn,
            message: `pending ${op.operation} operation from the previous deployment dropped: ${op.urn}`,
        });
    }
    return { ...cloneState(previous), project, stack, config, pendingOperations: [] };
}

/** setMocks' runtime settings (feature flags of this SDK version), with our monitor in place. */
async function useMonitor(
    monitor: HarnessMonitor,
    state: DeploymentState,
    dryRun: boolean,
): Promise<void> {
    await pulumi.runtime.setMocks(
        { newResource: () => ({ id: "", state: {} }), call: () => ({}) },
        state.project,
        state.stack,
        dryRun,
    );
    const store = runtimeState.getStore();
    const flags = Object.fromEntries(
        Object.entries(store).filter(([k]) => k.startsWith("supports")),
    );
    pulumi.runtime.setMockOptions(monitor, state.project, state.stack, dryRun);
    Object.assign(store, flags);
    pulumi.runtime.setAllConfig(state.config);
}

/** Until no registration, invoke or other runtime RPC is in flight, even after a tick. */
async function settle(monitor: HarnessMonitor): Promise<void> {
    for (;;) {
        await runtimeSettings.waitForRPCs();
        await monitor.idle();
        const before = runtimeState.getStore().settings.rpcDone;
        await new Promise((resolve) => setImmediate(resolve));
        if (!monitor.busy && runtimeState.getStore().settings.rpcDone === before) return;
    }
}

/** Until no step or invoke is in flight, even after a tick (a finished step may start others). */
async function quiesce(monitor: HarnessMonitor): Promise<void> {
    do {
        await monitor.idle();
        await new Promise((resolve) => setImmediate(resolve));
    } while (monitor.busy);
}

async function resolved(outputs: Record<string, unknown>): Promise<Record<string, unknown>> {
    const all = pulumi.output(outputs) as unknown as {
        promise(): Promise<Record<string, unknown>>;
    };
    return all.promise();
}

/** pulumi.log goes to the engine; with none, to the console. Here: into `diagnostics`. */
function captureLog(diagnostics: Diagnostic[]): () => void {
    const log = pulumi.log as unknown as Record<string, unknown>;
    const saved = { info: log.info, warn: log.warn, error: log.error };
    const capture =
        (severity: Diagnostic["severity"]) => (message: string, resource?: pulumi.Resource) => {
            const entry: Diagnostic & { pending?: Promise<void> } = { severity, message };
            if (resource) {
                const urn = resource.urn as unknown as { promise(): Promise<string> };
                entry.pending = urn.promise().then(
                    (u) => void (entry.urn = u),
                    () => undefined,
                );
            }
            diagnostics.push(entry);
            return Promise.resolve();
        };
    Object.assign(log, {
        info: capture("info"),
        warn: capture("warning"),
        error: capture("error"),
    });
    return () => Object.assign(log, saved);
}

async function diagnosticsDone(
    diagnostics: (Diagnostic & { pending?: Promise<void> })[],
): Promise<void> {
    await Promise.all(diagnostics.map((d) => d.pending));
    for (const d of diagnostics) delete d.pending;
}

function asError(reason: unknown): Error {
    return reason instanceof Error ? reason : new Error(String(reason));
}
