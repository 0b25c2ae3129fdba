/** Step 3: the target's root volume detached and attached to the helper (/dev/sdf on Linux, xvdf on Windows). */
import * as pulumi from "@pulumi/pulumi";
import { Clients } from "../lib/aws-clients";
import { moveRootToHelper } from "../lib/target-steps";
import { helperDeviceFor, TargetContext } from "../lib/target-context";
import { targetStepProvider, TargetStepInputs } from "./step-provider";

export interface RootVolumeToHelperArgs {
    context: pulumi.Input<TargetContext>;
    rotation: pulumi.Input<string>;
    /** Digest of every input of the reset (lib/reset-digest.ts): a change re-runs the whole chain. */
    resetDigest: pulumi.Input<string>;
    helperInstanceId: pulumi.Input<string>;
}

interface MoveInputs extends TargetStepInputs {
    helperInstanceId: string;
}

const provider = targetStepProvider(
    "move the root volume to the helper",
    async (clients: Clients, inputs: MoveInputs) => {
        await moveRootToHelper(clients, inputs.context, inputs.helperInstanceId);
        return { helperDevice: helperDeviceFor(inputs.context) };
    },
);

export class RootVolumeToHelper extends pulumi.dynamic.Resource {
    declare readonly helperDevice: pulumi.Output<string>;

    constructor(name: string, args: RootVolumeToHelperArgs, opts?: pulumi.CustomResourceOptions) {
        super(
            provider,
            name,
            { ...args, helperDevice: undefined },
            opts,
            "ec2-reset-access",
            "RootVolumeToHelper",
        );
    }
}
