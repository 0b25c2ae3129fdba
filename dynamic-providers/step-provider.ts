/**
 * A step that touches the target: `create` runs it with the repair-on-failure guarantee, and
 * `delete` (what `pulumi destroy` runs, also after a killed `pulumi up`) repairs the target:
 * a no-op when the target is whole, the undo of whatever a failed run left otherwise.
 */
import * as pulumi from "@pulumi/pulumi";
import { Clients, clientsFor } from "../lib/aws-clients";
import { repairTarget, withRepair } from "../lib/repair";
import { configureStackAws } from "../lib/stack-aws";
import { TargetContext } from "../lib/target-context";
import { plainOutputs } from "./plain-outputs";
import { stepDiff } from "./step-diff";

export interface TargetStepInputs {
    context: TargetContext;
    /** Changing it performs the step again (a new reset). */
    rotation: string;
    /** Digest of every reset input: the only input whose change replaces a step (step-diff.ts). */
    resetDigest: string;
}

export function targetStepProvider<I extends TargetStepInputs, O extends object>(
    step: string,
    // Not named `run`: a global of that name (mocha defines one) is not captured by Pulumi's
    // closure serializer, which skips identifiers it finds on the global object.
    performStep: (clients: Clients, inputs: I) => Promise<O>,
): pulumi.dynamic.ResourceProvider {
    return {
        // The stack's aws configuration (region, profile, aws:assumeRoles): the steps act as its resources do.
        configure: configureStackAws,
        diff: stepDiff,
        async create(inputs: I) {
            const outs = await withRepair(step, inputs.context, (clients) =>
                performStep(clients, inputs),
            );
            return {
                id: `${inputs.context.instanceId}-${step.replace(/\W+/g, "-")}`,
                outs: plainOutputs({ ...inputs, ...outs }),
            };
        },
        async delete(_id: pulumi.ID, props: I) {
            // Older state may lack a context (never written before the preflight passed): nothing to repair.
            if (!props?.context?.rootVolumeId) return;
            await repairTarget(await clientsFor(props.context), props.context);
        },
    };
}
