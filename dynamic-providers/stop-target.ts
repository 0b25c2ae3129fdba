/** Step 1 on the target, the resource `<name>-stop`: mark it as held by a reset (the journal tag), then stop it. */
import * as pulumi from "@pulumi/pulumi";
import { Clients } from "../lib/aws-clients";
import { stopTarget } from "../lib/target-steps";
import { TargetContext } from "../lib/target-context";
import { targetStepProvider, TargetStepInputs } from "./step-provider";

export interface StopTargetArgs {
    context: pulumi.Input<TargetContext>;
    rotation: pulumi.Input<string>;
    /** Digest of every input of the reset (lib/reset-digest.ts): a change re-runs the whole chain. */
    resetDigest: pulumi.Input<string>;
}

const provider = targetStepProvider(
    "stop the target",
    async (clients: Clients, inputs: TargetStepInputs) => {
        await stopTarget(clients, inputs.context);
        return { stopped: true };
    },
);

export class StopTarget extends pulumi.dynamic.Resource {
    declare readonly stopped: pulumi.Output<boolean>;

    constructor(name: string, args: StopTargetArgs, opts?: pulumi.CustomResourceOptions) {
        // The type token keeps the class's former name: it is part of every deployed stack's URN
        // (ResetAccess names the resource `<name>-stop`), and a new token would replace the step.
        super(
            provider,
            name,
            { ...args, stopped: undefined },
            opts,
            "ec2-reset-access",
            "HoldTarget",
        );
    }
}
