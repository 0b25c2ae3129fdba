/**
 * The harness's checkpoint, shaped after Pulumi's: resources in the order their steps
 * completed, each with its dependencies (so that destroy can go dependents-first), the options
 * the engine acts on, and the operations that were in flight when it was written. Written
 * synchronously and atomically (temp file + rename) after every completed step, so a SIGKILL
 * at any moment leaves the state of what completed. Secrets are stored in plain text, with the
 * names of the secret outputs beside them (Pulumi would encrypt them).
 */
import * as fs from "node:fs";
import * as path from "node:path";

/** Resource options as the engine receives them in RegisterResourceRequest. */
export interface SeenOptions {
    protect?: boolean;
    retainOnDelete?: boolean;
    deleteBeforeReplace?: boolean;
    additionalSecretOutputs?: string[];
    ignoreChanges?: string[];
    replaceOnChanges?: string[];
    /** URN of the resource whose deletion makes this one's delete unnecessary. */
    deletedWith?: string;
    customTimeouts?: { create?: string; update?: string; delete?: string };
}

export interface ResourceState {
    urn: string;
    type: string;
    name: string;
    parent?: string;
    /** false for components; awsx's Vpc is a remote component (`remote: true`). */
    custom: boolean;
    remote?: boolean;
    /** "" for components. */
    id: string;
    inputs: Record<string, unknown>;
    outputs: Record<string, unknown>;
    /** dependsOn and data dependencies (URNs), as the SDK sends them. */
    dependencies: string[];
    propertyDependencies: Record<string, string[]>;
    options: SeenOptions;
    /** Output names that are secret (secret inputs and additionalSecretOutputs). */
    secretOutputs: string[];
    /** Set when the create failed after the resource came to exist (kept, like the engine does). */
    initErrors?: string[];
    /** An old copy replaced in this deployment and not deleted yet. */
    delete?: boolean;
}

export interface PendingOperation {
    urn: string;
    type: string;
    name: string;
    operation: "creating" | "updating" | "deleting";
}

export interface DeploymentState {
    version: 1;
    project: string;
    stack: string;
    config: Record<string, string>;
    resources: ResourceState[];
    /** Steps started and not finished when the state was written (a killed run leaves them). */
    pendingOperations: PendingOperation[];
}

export function emptyState(
    project: string,
    stack: string,
    config: Record<string, string>,
): DeploymentState {
    return { version: 1, project, stack, config, resources: [], pendingOperations: [] };
}

export function readState(statePath: string): DeploymentState {
    return JSON.parse(fs.readFileSync(statePath, "utf8")) as DeploymentState;
}

export function writeStateSync(statePath: string, state: DeploymentState): void {
    fs.mkdirSync(path.dirname(statePath), { recursive: true });
    const temporary = `${statePath}.${process.pid}.tmp`;
    fs.writeFileSync(temporary, JSON.stringify(state, null, 2));
    fs.renameSync(temporary, statePath);
}

/** A deep copy: the caller's state object is never changed by a deployment. */
export function cloneState(state: DeploymentState): DeploymentState {
    return JSON.parse(JSON.stringify(state)) as DeploymentState;
}

/**
 * The state a deployment changes step by step, saved after every change when it has a path.
 * `onSaved` runs after the file is written (the child process kills itself there).
 */
export class Checkpoint {
    constructor(
        readonly state: DeploymentState,
        private readonly statePath?: string,
        private readonly onSaved?: (completed?: ResourceState) => void,
    ) {}

    save(completed?: ResourceState): void {
        if (this.statePath) writeStateSync(this.statePath, this.state);
        this.onSaved?.(completed);
    }

    begin(op: PendingOperation): () => void {
        this.state.pendingOperations.push(op);
        this.save();
        return () => {
            const list = this.state.pendingOperations;
            const at = list.indexOf(op);
            if (at >= 0) list.splice(at, 1);
        };
    }

    /** A resource whose step completed: it replaces `replacing` (if given) and goes last. */
    complete(resource: ResourceState, replacing?: ResourceState): void {
        this.remove(replacing);
        this.state.resources.push(resource);
        this.save(resource);
    }

    remove(resource: ResourceState | undefined): void {
        if (!resource) return;
        const at = this.state.resources.indexOf(resource);
        if (at >= 0) this.state.resources.splice(at, 1);
    }
}

/**
 * Who must go before whom when deleting: a resource waits for every resource that depends on
 * it (through dependencies, property dependencies or as a child) to be deleted first.
 */
export function dependentsOf(resources: ResourceState[]): Map<ResourceState, ResourceState[]> {
    const byUrn = new Map<string, ResourceState[]>();
    for (const r of resources) byUrn.set(r.urn, [...(byUrn.get(r.urn) ?? []), r]);
    const dependents = new Map<ResourceState, ResourceState[]>(resources.map((r) => [r, []]));
    for (const r of resources) {
        const uses = new Set([
            ...r.dependencies,
            ...Object.values(r.propertyDependencies).flat(),
            ...(r.parent ? [r.parent] : []),
        ]);
        for (const urn of uses) {
            for (const target of byUrn.get(urn) ?? [])
                if (target !== r) dependents.get(target)!.push(r);
        }
    }
    return dependents;
}
