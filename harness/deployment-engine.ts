/**
 * The engine's side of `pulumi up`, step by step, for each resource the program registers:
 * create when new; with a previous state, "same" when nothing changed (no AWS call: dynamic
 * resources are asked through their provider's `diff` first, as the engine does), update or
 * replace otherwise; at the end, delete the replaced copies and what the program no longer
 * declares. After the first failure no new step starts (the engine cancels), steps in flight
 * finish, and that first error is the deployment's.
 */
import { Checkpoint, DeploymentState, ResourceState } from "./deployment-state";
import { deleteInOrder } from "./deployment-destroy";
import { Props, Registration, ResourceOperations } from "./deployment-operations";
import { emulatedResource, PartialCreateError } from "./emulated-resources";
import { sameJson } from "./pulumi-host";

export interface StepResult {
    id: string;
    outputs: Props;
}

/** What `pulumi preview` would do with one resource. */
export interface PlannedStep {
    urn: string;
    type: string;
    name: string;
    op: "create" | "same" | "update" | "replace";
}

export class DeploymentEngine {
    readonly ops: ResourceOperations;
    private readonly previous: Map<string, ResourceState>;
    private readonly registered = new Set<string>();
    private firstError: Error | undefined;
    private stopReason: Error | undefined;
    private readonly stopWaiters: (() => void)[] = [];
    /** `pulumi preview`: the steps it would take (dry run only). */
    readonly plan: PlannedStep[] = [];

    constructor(
        readonly checkpoint: Checkpoint,
        previous: DeploymentState | undefined,
        /** `pulumi preview`: check and diff only, never create, update or delete. */
        readonly dryRun = false,
    ) {
        const state = checkpoint.state;
        this.ops = new ResourceOperations(state.config, state.project);
        this.previous = new Map(
            (previous?.resources ?? [])
                .filter((r) => !r.delete)
                .map((r) => [r.urn, findSame(state, r)]),
        );
    }

    /** The first failed step's error. */
    get error(): Error | undefined {
        return this.firstError;
    }

    get stopped(): boolean {
        return this.stopReason !== undefined;
    }

    /**
     * After a failed step or a failed program the engine starts no new step: the language host
     * is gone, and registrations still waiting in the SDK (on outputs that will never resolve)
     * never come. Steps in flight finish.
     */
    stop(reason: Error): void {
        if (this.stopReason) return;
        this.stopReason = reason;
        this.stopWaiters.splice(0).forEach((wake) => wake());
    }

    /** Resolves when the deployment stops (never, for a run without failure). */
    whenStopped(): Promise<void> {
        return this.stopReason
            ? Promise.resolve()
            : new Promise((resolve) => this.stopWaiters.push(resolve));
    }

    async register(reg: Registration): Promise<StepResult> {
        if (this.registered.has(reg.urn))
            throw new Error(`Duplicate resource URN '${reg.urn}'; try giving it a unique name`);
        this.registered.add(reg.urn);
        if (this.stopReason) {
            throw new Error(
                `${reg.name} (${reg.type}) was not created: the deployment stopped after a failure`,
            );
        }
        trace(`start ${reg.type} ${reg.name}`);
        try {
            const old = this.previous.get(reg.urn);
            const result = this.dryRun
                ? await this.planStep(reg, old)
                : old
                  ? await this.changeStep(reg, old)
                  : await this.createStep(reg);
            trace(`done  ${reg.type} ${reg.name} ${result.id}`);
            return result;
        } catch (err) {
            const where = (err as { where?: string }).where;
            trace(
                `fail  ${reg.type} ${reg.name}: ${(err as Error).message}${where ? ` (${where})` : ""}`,
            );
            this.firstError ??= err as Error;
            this.stop(err as Error);
            throw err;
        }
    }

    /** A component's outputs arrive after its step (registerOutputs). */
    componentOutputs(urn: string, outputs: Props): void {
        const found = this.checkpoint.state.resources.find((r) => r.urn === urn && !r.delete);
        if (!found) return;
        found.outputs = outputs;
        this.checkpoint.save();
    }

    /**
     * Preview: the engine runs each dynamic provider's `check` (and `diff` for an existing
     * resource), never `create` (Pulumi docs; the dynamic-provider host). Outputs not known
     * before a create are left out: the SDK makes them unknown in a dry run.
     */
    private async planStep(reg: Registration, old: ResourceState | undefined): Promise<StepResult> {
        const known = Object.fromEntries(
            Object.entries(reg.inputs).filter(([, v]) => v !== undefined),
        );
        let op: PlannedStep["op"] = "create";
        let inputs = known;
        if (this.ops.isDynamic(reg)) {
            inputs = await this.ops.host.check(reg.name, old?.inputs ?? {}, known);
            if (old) {
                const diff = await this.ops.host.diff(old.id, old.outputs, old.inputs, inputs);
                op = diff.replaces.length ? "replace" : diff.changes ? "update" : "same";
            }
        } else if (old) {
            op = sameJson(
                old.inputs,
                withIgnoredChanges(reg.inputs, old.inputs, reg.options.ignoreChanges),
            )
                ? "same"
                : "replace";
        }
        this.plan.push({ urn: reg.urn, type: reg.type, name: reg.name, op });
        return old && op === "same"
            ? { id: old.id, outputs: old.outputs }
            : { id: "", outputs: this.ops.isComponent(reg) ? {} : inputs };
    }

    /** After the program: delete replaced copies and resources no longer declared. */
    async finish(): Promise<void> {
        if (this.stopped || this.dryRun) return; // the engine stops: nothing is deleted after a failure
        const stale = this.checkpoint.state.resources.filter(
            (r) => r.delete || (this.previous.has(r.urn) && !this.registered.has(r.urn)),
        );
        const errors = await deleteInOrder(this.checkpoint, stale, this.ops);
        this.checkpoint.save();
        this.firstError ??= errors[0];
    }

    private async createStep(reg: Registration, replacing?: ResourceState): Promise<StepResult> {
        const finished = this.checkpoint.begin({
            urn: reg.urn,
            type: reg.type,
            name: reg.name,
            operation: "creating",
        });
        try {
            const inputs = this.ops.isDynamic(reg)
                ? await this.ops.host.check(reg.name, {}, reg.inputs)
                : reg.inputs;
            const { id, outputs } = await this.ops.create(reg, inputs);
            finished();
            this.checkpoint.complete(record(reg, inputs, id, outputs), replacing);
            return { id, outputs };
        } catch (err) {
            finished();
            // Created but failed to become ready: in state with the error, as the engine keeps it.
            const partial = err as Partial<PartialCreateError>;
            if (typeof partial.id === "string" && partial.id) {
                const kept = record(reg, reg.inputs, partial.id, partial.properties ?? {});
                kept.initErrors = [(err as Error).message];
                this.checkpoint.complete(kept, replacing);
            } else {
                this.checkpoint.save();
            }
            throw err;
        }
    }

    private async changeStep(reg: Registration, old: ResourceState): Promise<StepResult> {
        const news = withIgnoredChanges(reg.inputs, old.inputs, reg.options.ignoreChanges);
        const forced = (reg.options.replaceOnChanges ?? []).filter(
            (k) => k === "*" || !sameJson(old.inputs[k], news[k]),
        );
        if (this.ops.isComponent(reg)) return this.same(reg, old, news);
        if (old.initErrors?.length)
            return this.replace(reg, old, reg.options.deleteBeforeReplace ?? false);
        if (!this.ops.isDynamic(reg)) {
            // Ordinary resources: unchanged inputs keep everything; any change replaces. The
            // provider diffs some attributes against the state it read (after a refresh, what
            // AWS shows), not against the last inputs: a difference there replaces too.
            const readBack = emulatedResource(reg.type).readBack ?? [];
            const drifted = readBack.filter(
                (k) =>
                    news[k] !== undefined && k in old.outputs && !sameJson(old.outputs[k], news[k]),
            );
            if (sameJson(old.inputs, news) && drifted.length === 0)
                return this.same(reg, old, news);
            trace(
                `replace ${reg.type} ${reg.name}: ${drifted.length ? `state differs in ${drifted.join(", ")}` : "inputs changed"}`,
            );
            return this.replace(reg, old, reg.options.deleteBeforeReplace ?? false);
        }
        const checked = await this.ops.host.check(reg.name, old.inputs, news);
        const diff = await this.ops.host.diff(old.id, old.outputs, old.inputs, checked);
        const deleteFirst = reg.options.deleteBeforeReplace || diff.deleteBeforeReplace;
        if (diff.replaces.length > 0 || forced.length > 0)
            return this.replace(reg, old, deleteFirst);
        if (!diff.changes) return this.same(reg, old, checked);
        const finished = this.checkpoint.begin({
            urn: reg.urn,
            type: reg.type,
            name: reg.name,
            operation: "updating",
        });
        try {
            const outputs = await this.ops.host.update(old.id, old.outputs, checked);
            finished();
            this.checkpoint.complete(record(reg, checked, old.id, outputs), old);
            return { id: old.id, outputs };
        } catch (err) {
            finished();
            this.checkpoint.save();
            throw err;
        }
    }

    private same(reg: Registration, old: ResourceState, inputs: Props): StepResult {
        this.checkpoint.complete(record(reg, inputs, old.id, old.outputs), old);
        return { id: old.id, outputs: old.outputs };
    }

    /** Create-before-delete (the old copy is deleted at the end), or delete first when asked. */
    private async replace(
        reg: Registration,
        old: ResourceState,
        deleteFirst: boolean,
    ): Promise<StepResult> {
        if (deleteFirst) {
            const errors = await deleteInOrder(this.checkpoint, [old], this.ops);
            if (errors.length) throw errors[0];
            return this.createStep(reg);
        }
        old.delete = true;
        this.checkpoint.save();
        return this.createStep(reg);
    }
}

/** HARNESS_DEBUG=1 prints each step on stderr. */
function trace(line: string): void {
    if (process.env.HARNESS_DEBUG)
        process.stderr.write(`[harness ${new Date().toISOString().slice(11, 23)}] ${line}\n`);
}

function record(reg: Registration, inputs: Props, id: string, outputs: Props): ResourceState {
    const secret = new Set([...(reg.options.additionalSecretOutputs ?? []), ...reg.secretInputs]);
    return {
        urn: reg.urn,
        type: reg.type,
        name: reg.name,
        ...(reg.parent ? { parent: reg.parent } : {}),
        custom: reg.custom,
        ...(reg.remote ? { remote: true } : {}),
        id,
        inputs,
        outputs,
        dependencies: reg.dependencies,
        propertyDependencies: reg.propertyDependencies,
        options: reg.options,
        secretOutputs: [...secret].filter((k) => k in outputs),
    };
}

/** ignoreChanges (top-level names): the old value stands in for the new one. */
function withIgnoredChanges(news: Props, olds: Props, ignore: string[] | undefined): Props {
    if (!ignore?.length) return news;
    const result = { ...news };
    for (const key of ignore) {
        if (key in olds) result[key] = olds[key];
        else delete result[key];
    }
    return result;
}

/** The entry of the working state that stands for `r` of the previous state. */
function findSame(state: DeploymentState, r: ResourceState): ResourceState {
    return state.resources.find((s) => s.urn === r.urn && !s.delete) ?? r;
}
