/** Step 1 on the target: mark it as held by a reset (the journal tag), then stop it. */
import * as pulumi from "@pulumi/pulumi";
import { Clients } from "../lib/aws-clients";
import { holdTarget } from "../lib/target-steps";
import { TargetContext } from "../lib/target-context";
import { targetStepProvider, TargetStepInputs } from "./step-provider";

export interface HoldTargetArgs {
    context: pulumi.Input<TargetContext>;
    rotation: pulumi.Input<string>;
    /** Digest of every input of the reset (lib/reset-digest.ts): a change re-runs the whole chain. */
    resetDigest: pulumi.Input<string>;
}

const provider = targetStepProvider("stop the target", async (clients: Clients, inputs: TargetStepInputs) => {
    await holdTarget(clients, inputs.context);
    return { stopped: true };
});

export class HoldTarget extends pulumi.dynamic.Resource {
    declare readonly stopped: pulumi.Output<boolean>;

    constructor(name: string, args: HoldTargetArgs, opts?: pulumi.CustomResourceOptions) {
        super(provider, name, { ...args, stopped: undefined }, opts, "ec2-reset-access", "HoldTarget");
    }
}
