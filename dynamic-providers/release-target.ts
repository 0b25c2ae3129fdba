/**
 * Step 5: the root volume back on the target, its DeleteOnTermination and its prior state back (the repair, run as a step).
 * Windows: the password-enabled AMI is started between the volume's return and the target's
 * start (see lib/password-enabled-image.ts); it is kept by `pulumi destroy`.
 */
import * as pulumi from "@pulumi/pulumi";
import { Clients } from "../lib/aws-clients";
import { startPasswordEnabledImage, waitUntilImageAvailable } from "../lib/password-enabled-image";
import { releaseTarget } from "../lib/target-steps";
import { TargetContext } from "../lib/target-context";
import { targetStepProvider, TargetStepInputs } from "./step-provider";

export interface ReleaseTargetArgs {
    context: pulumi.Input<TargetContext>;
    rotation: pulumi.Input<string>;
    /** Digest of every input of the reset (lib/reset-digest.ts): a change re-runs the whole chain. */
    resetDigest: pulumi.Input<string>;
    helperInstanceId: pulumi.Input<string>;
    /** Windows: wait until the password-enabled AMI is available (a replacement is launched from it). */
    waitForPasswordEnabledImage?: pulumi.Input<boolean>;
}

interface ReleaseInputs extends TargetStepInputs {
    helperInstanceId: string;
    waitForPasswordEnabledImage?: boolean;
}

const provider = targetStepProvider("return the root volume to the target", async (clients: Clients, inputs: ReleaseInputs) => {
    const windows = inputs.context.platform === "windows";
    const imageId = windows ? await startPasswordEnabledImage(clients, inputs.context, inputs.rotation) : "";
    const targetState = await releaseTarget(clients, inputs.context, inputs.helperInstanceId);
    // After the target is back: the operator's instance does not wait for a snapshot.
    if (imageId && inputs.waitForPasswordEnabledImage) await waitUntilImageAvailable(clients.ec2, imageId);
    return { targetState, passwordEnabledImageId: imageId };
});

export class ReleaseTarget extends pulumi.dynamic.Resource {
    declare readonly targetState: pulumi.Output<string>;
    /** Windows: the password-enabled AMI ("" for Linux). */
    declare readonly passwordEnabledImageId: pulumi.Output<string>;

    constructor(name: string, args: ReleaseTargetArgs, opts?: pulumi.CustomResourceOptions) {
        super(provider, name, { ...args, targetState: undefined, passwordEnabledImageId: undefined }, opts, "ec2-reset-access", "ReleaseTarget");
    }
}
