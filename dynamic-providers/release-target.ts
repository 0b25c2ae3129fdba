/** Step 5: the root volume back on the target, its DeleteOnTermination and state restored. */
import * as pulumi from "@pulumi/pulumi";
import { Clients } from "../lib/aws-clients";
import { releaseTarget } from "../lib/target-steps";
import { TargetContext } from "../lib/target-context";
import { targetStepProvider, TargetStepInputs } from "./target-step";

export interface ReleaseTargetArgs {
    context: pulumi.Input<TargetContext>;
    rotation: pulumi.Input<string>;
    helperInstanceId: pulumi.Input<string>;
}

interface ReleaseInputs extends TargetStepInputs {
    helperInstanceId: string;
}

const provider = targetStepProvider("return the root volume to the target", async (clients: Clients, inputs: ReleaseInputs) => ({
    targetState: await releaseTarget(clients, inputs.context, inputs.helperInstanceId),
}));

export class ReleaseTarget extends pulumi.dynamic.Resource {
    declare readonly targetState: pulumi.Output<string>;

    constructor(name: string, args: ReleaseTargetArgs, opts?: pulumi.CustomResourceOptions) {
        super(provider, name, { ...args, targetState: undefined }, opts, "ec2-reset-access", "ReleaseTarget");
    }
}
