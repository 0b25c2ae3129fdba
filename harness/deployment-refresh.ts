/**
 * `pulumi refresh`: every resource in state is read back through its provider's Read, and the
 * state takes what was read. Ordinary resources are read from AWS as the real provider reads
 * them (what it reads can differ from what the program set: an instance's
 * associatePublicIpAddress comes from its primary interface's public IP, which a stopped
 * instance lacks; hashicorp/terraform-provider-aws#33775). A resource that is gone leaves the
 * state. Dynamic resources run their provider's `read`; without one they keep their stored
 * state (Pulumi's dynamic-provider host). Components are not read. Inputs stay as they were:
 * the next `pulumi up` diffs the program's inputs against the refreshed state.
 */
import { Checkpoint, cloneState, DeploymentState, ResourceState } from "./deployment-state";
import { ResourceOperations } from "./deployment-operations";
import { emulatedResource } from "./emulated-resources";
import { PROVIDER_KEY } from "./pulumi-host";

export async function refreshState(
    state: DeploymentState,
    options: { statePath?: string } = {},
): Promise<DeploymentState> {
    const working = cloneState(state);
    const checkpoint = new Checkpoint(working, options.statePath);
    const ops = new ResourceOperations(working.config, working.project);
    // The engine reads resources concurrently; each read is independent of the others.
    const read = await Promise.all(working.resources.map((r) => readOne(ops, r)));
    working.resources = working.resources.flatMap((r, i) =>
        read[i] ? [{ ...r, ...read[i] }] : [],
    );
    checkpoint.save();
    return working;
}

async function readOne(
    ops: ResourceOperations,
    r: ResourceState,
): Promise<Pick<ResourceState, "id" | "outputs"> | undefined> {
    if (ops.isComponent(r)) return { id: r.id, outputs: r.outputs };
    if (ops.isDynamic(r)) {
        const olds =
            typeof r.outputs[PROVIDER_KEY] === "string"
                ? r.outputs
                : { ...r.outputs, [PROVIDER_KEY]: r.inputs[PROVIDER_KEY] };
        return ops.host.read(r.id, olds);
    }
    const outputs = await emulatedResource(r.type).read(
        ops.context(r, r.inputs, "update"),
        r.id,
        r.outputs,
        r.inputs,
    );
    return outputs === undefined ? undefined : { id: r.id, outputs };
}
