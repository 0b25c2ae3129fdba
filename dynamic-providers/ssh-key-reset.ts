/**
 * Step 4: the reset script run on the helper through SSM Run Command against the offline
 * root volume. Fails, and restores the target, unless the script reports that a user can log in.
 */
import * as pulumi from "@pulumi/pulumi";
import { Clients } from "../lib/aws-clients";
import { runScript, waitUntilManaged } from "../lib/ssm-command";
import { moveRootToHelper } from "../lib/target-steps";
import { EXECUTION_TIMEOUT_SECONDS } from "../lib/reset-document";
import { HELPER_DEVICE, TargetContext } from "../lib/target-context";
import { targetStepProvider, TargetStepInputs } from "./target-step";

export interface SshKeyResetArgs {
    context: pulumi.Input<TargetContext>;
    rotation: pulumi.Input<string>;
    helperInstanceId: pulumi.Input<string>;
    documentName: pulumi.Input<string>;
    /** The public key line as the document's allowedPattern admits it. */
    publicKey: pulumi.Input<string>;
    users: pulumi.Input<string>;
}

interface ResetInputs extends TargetStepInputs {
    helperInstanceId: string;
    documentName: string;
    publicKey: string;
    users: string;
}

const provider = targetStepProvider("reset the SSH key", async (clients: Clients, inputs: ResetInputs) => {
    // A retry after a failure finds the volume back on the target: move it again.
    await moveRootToHelper(clients, inputs.context, inputs.helperInstanceId);
    await waitUntilManaged(clients.ssm, inputs.helperInstanceId);
    const verdict = await runScript(clients.ssm, {
        documentName: inputs.documentName,
        instanceId: inputs.helperInstanceId,
        parameters: {
            volumeId: inputs.context.rootVolumeId,
            deviceName: HELPER_DEVICE,
            publicKey: inputs.publicKey,
            users: inputs.users,
        },
        executionTimeoutSeconds: EXECUTION_TIMEOUT_SECONDS,
    });
    return {
        usersUpdated: verdict.users.filter((u) => u.action !== "refused").map((u) => u.name),
        userResults: verdict.users,
        scriptWarnings: verdict.warnings,
        filesystem: verdict.filesystem ?? "",
    };
});

export class SshKeyReset extends pulumi.dynamic.Resource {
    declare readonly usersUpdated: pulumi.Output<string[]>;
    declare readonly userResults: pulumi.Output<Array<{ name: string; action: string; file?: string; reason?: string }>>;
    declare readonly scriptWarnings: pulumi.Output<string[]>;
    declare readonly filesystem: pulumi.Output<string>;

    constructor(name: string, args: SshKeyResetArgs, opts?: pulumi.CustomResourceOptions) {
        const outputs = { usersUpdated: undefined, userResults: undefined, scriptWarnings: undefined, filesystem: undefined };
        super(provider, name, { ...args, ...outputs }, opts, "ec2-reset-access", "SshKeyReset");
    }
}
