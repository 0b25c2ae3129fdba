/**
 * Deleting resources the way the engine orders it: a resource is deleted only once everything
 * that depends on it (dependencies, property dependencies, children) is gone; independent
 * deletes run at the same time. A failed delete leaves that resource, and everything it depends
 * on, in state; the other branches go on, and the errors come back together.
 */
import { Checkpoint, dependentsOf, ResourceState } from "./deployment-state";
import { ResourceOperations } from "./deployment-operations";

/** Thrown by `destroy`: every delete error (messages intact), and the state left behind. */
export class DestroyError extends AggregateError {
    constructor(
        errors: Error[],
        readonly state: import("./deployment-state").DeploymentState,
    ) {
        super(errors, `destroy failed: ${errors.map((e) => e.message).join("; ")}`);
        this.name = "DestroyError";
    }
}

/** Deletes `targets` (all in checkpoint.state) dependents-first; returns the errors. */
export async function deleteInOrder(
    checkpoint: Checkpoint,
    targets: ResourceState[],
    ops: ResourceOperations,
): Promise<Error[]> {
    const dependents = dependentsOf(targets);
    const deleting = new Set(targets.map((t) => t.urn));
    const errors: Error[] = [];
    const outcome = new Map<ResourceState, Promise<boolean>>();

    const run = (r: ResourceState): Promise<boolean> => {
        let done = outcome.get(r);
        if (!done) {
            done = (async () => {
                const waited = await Promise.all(dependents.get(r)!.map(run));
                if (!waited.every(Boolean)) return false; // a dependent is still there: so is this
                try {
                    await deleteOne(checkpoint, r, ops, deleting);
                    return true;
                } catch (err) {
                    errors.push(err as Error);
                    return false;
                }
            })();
            outcome.set(r, done);
        }
        return done;
    };
    await Promise.all(targets.map(run));
    return errors;
}

async function deleteOne(
    checkpoint: Checkpoint,
    r: ResourceState,
    ops: ResourceOperations,
    deleting: Set<string>,
): Promise<void> {
    if (r.options.protect) {
        throw new Error(
            `resource ${r.urn} cannot be deleted because it is protected: remove the \`protect\` option first`,
        );
    }
    // retainOnDelete: out of state, left in AWS. deletedWith: its container's delete removes it.
    const skip =
        r.options.retainOnDelete ||
        (r.options.deletedWith !== undefined && deleting.has(r.options.deletedWith));
    if (!skip) {
        const finished = checkpoint.begin({
            urn: r.urn,
            type: r.type,
            name: r.name,
            operation: "deleting",
        });
        try {
            await ops.delete(r);
        } finally {
            finished();
        }
    }
    checkpoint.remove(r);
    checkpoint.save();
}
