/** Step 2: an AMI of the stopped target, started and not awaited; kept unless retainBackup is false. */
import * as pulumi from "@pulumi/pulumi";
import { Clients, clientsFor } from "../lib/aws-clients";
import { deleteBackupImage } from "../lib/backup-image";
import { startBackup } from "../lib/target-steps";
import { TargetContext } from "../lib/target-context";
import { targetStepProvider, TargetStepInputs } from "./step-provider";

export interface TargetBackupArgs {
    context: pulumi.Input<TargetContext>;
    rotation: pulumi.Input<string>;
    /** Digest of every input of the reset (lib/reset-digest.ts): a change re-runs the whole chain. */
    resetDigest: pulumi.Input<string>;
    /** Keep the AMI and its snapshots at `pulumi destroy` (default true). */
    retainBackup: pulumi.Input<boolean>;
}

interface BackupInputs extends TargetStepInputs {
    retainBackup: boolean;
}

const step = targetStepProvider("back up the target", (clients: Clients, inputs: BackupInputs) =>
    startBackup(clients, inputs.context),
);

const provider: pulumi.dynamic.ResourceProvider = {
    ...step,
    async delete(id: pulumi.ID, props: BackupInputs & { imageId?: string }) {
        await step.delete!(id, props);
        if (props.retainBackup !== false || !props.imageId) return;
        const { ec2 } = await clientsFor(props.context);
        await deleteBackupImage(ec2, props.imageId);
    },
};

export class TargetBackup extends pulumi.dynamic.Resource {
    declare readonly imageId: pulumi.Output<string>;
    declare readonly imageName: pulumi.Output<string>;

    constructor(name: string, args: TargetBackupArgs, opts?: pulumi.CustomResourceOptions) {
        super(
            provider,
            name,
            { ...args, imageId: undefined, imageName: undefined },
            opts,
            "ec2-reset-access",
            "TargetBackup",
        );
    }
}
