/**
 * Step 5: the root volume back on the target, its DeleteOnTermination and its prior state back (the repair, run as a step).
 * Windows: the password-enabled AMI is started between the volume's return and the target's
 * start (see lib/password-enabled-image.ts). That AMI is a standing credential (whoever may
 * launch it gets the Administrator account): `pulumi destroy` keeps it, as AWS's runbook does,
 * unless retainPasswordEnabledImage is false.
 */
import * as pulumi from "@pulumi/pulumi";
import { Clients, clientsFor } from "../lib/aws-clients";
import { deleteBackupImage } from "../lib/backup-image";
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
    /** Windows: keep the password-enabled AMI and its snapshots at `pulumi destroy` (default true). */
    retainPasswordEnabledImage?: pulumi.Input<boolean>;
}

interface ReleaseInputs extends TargetStepInputs {
    helperInstanceId: string;
    waitForPasswordEnabledImage?: boolean;
    retainPasswordEnabledImage?: boolean;
}

const step = targetStepProvider(
    "return the root volume to the target",
    async (clients: Clients, inputs: ReleaseInputs) => {
        const windows = inputs.context.platform === "windows";
        const imageId = windows
            ? await startPasswordEnabledImage(clients, inputs.context, inputs.rotation)
            : "";
        const targetState = await releaseTarget(clients, inputs.context, inputs.helperInstanceId);
        // After the target is back: the operator's instance does not wait for a snapshot.
        if (imageId && inputs.waitForPasswordEnabledImage)
            await waitUntilImageAvailable(clients.ec2, imageId);
        return { targetState, passwordEnabledImageId: imageId };
    },
);

const provider: pulumi.dynamic.ResourceProvider = {
    ...step,
    async delete(id: pulumi.ID, props: ReleaseInputs & { passwordEnabledImageId?: string }) {
        await step.delete!(id, props);
        if (props.retainPasswordEnabledImage !== false || !props.passwordEnabledImageId) return;
        await deleteBackupImage(
            (await clientsFor(props.context)).ec2,
            props.passwordEnabledImageId,
            "retainPasswordEnabledImage",
            "the password-enabled AMI",
        );
    },
};

export class ReleaseTarget extends pulumi.dynamic.Resource {
    declare readonly targetState: pulumi.Output<string>;
    /** Windows: the password-enabled AMI ("" for Linux). */
    declare readonly passwordEnabledImageId: pulumi.Output<string>;

    constructor(name: string, args: ReleaseTargetArgs, opts?: pulumi.CustomResourceOptions) {
        super(
            provider,
            name,
            { ...args, targetState: undefined, passwordEnabledImageId: undefined },
            opts,
            "ec2-reset-access",
            "ReleaseTarget",
        );
    }
}
