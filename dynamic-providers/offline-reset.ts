/**
 * Step 4: the platform's script run on the helper through SSM Run Command against the offline
 * root volume. Linux: a new SSH key for the login users. Windows: the launch agent set to
 * generate a new Administrator password at next boot. Fails, and repairs the target, unless
 * the script reports success.
 */
import * as pulumi from "@pulumi/pulumi";
import { Clients } from "../lib/aws-clients";
import { EXECUTION_TIMEOUT_SECONDS as LINUX_TIMEOUT_SECONDS } from "../lib/linux-document";
import { runScript, ScriptVerdict, waitUntilManaged } from "../lib/ssm-command";
import { moveRootToHelper } from "../lib/target-steps";
import { helperDeviceFor, TargetContext } from "../lib/target-context";
import { EXECUTION_TIMEOUT_SECONDS as WINDOWS_TIMEOUT_SECONDS } from "../lib/windows-document";
import { targetStepProvider, TargetStepInputs } from "./step-provider";

export interface OfflineResetArgs {
    context: pulumi.Input<TargetContext>;
    rotation: pulumi.Input<string>;
    /** Digest of every input of the reset (lib/reset-digest.ts): a change re-runs the whole chain. */
    resetDigest: pulumi.Input<string>;
    helperInstanceId: pulumi.Input<string>;
    documentName: pulumi.Input<string>;
    /** Linux: the public key line as the document's allowedPattern admits it (empty for Windows). */
    publicKey: pulumi.Input<string>;
    /** Linux: whom to give it. */
    users: pulumi.Input<string>;
    /** Linux, a rotation: the comment of the keys this tool installed before (`ec2-reset-access@<instanceId>`), removed first; "" for none. */
    revokeComment?: pulumi.Input<string>;
}

interface ResetInputs extends TargetStepInputs {
    helperInstanceId: string;
    documentName: string;
    publicKey: string;
    users: string;
    revokeComment?: string;
}

const provider = targetStepProvider(
    "reset access offline",
    async (clients: Clients, inputs: ResetInputs) => {
        const ctx = inputs.context;
        // A retry after a failure finds the volume back on the target: move it again.
        await moveRootToHelper(clients, ctx, inputs.helperInstanceId);
        await waitUntilManaged(clients.ssm, inputs.helperInstanceId);
        const windows = ctx.platform === "windows";
        const verdict: ScriptVerdict = await runScript(clients.ssm, {
            documentName: inputs.documentName,
            instanceId: inputs.helperInstanceId,
            parameters: windows
                ? { volumeId: ctx.rootVolumeId, deviceName: helperDeviceFor(ctx) }
                : {
                      volumeId: ctx.rootVolumeId,
                      deviceName: helperDeviceFor(ctx),
                      publicKey: inputs.publicKey,
                      users: inputs.users,
                      ...(inputs.revokeComment ? { revokeComment: inputs.revokeComment } : {}),
                  },
            executionTimeoutSeconds: windows ? WINDOWS_TIMEOUT_SECONDS : LINUX_TIMEOUT_SECONDS,
            comment: windows
                ? "ec2-reset-access: re-enable Administrator password generation on the offline root volume"
                : "ec2-reset-access: reset SSH key on the offline root volume",
        });
        return {
            usersUpdated: verdict.users.filter((u) => u.action !== "refused").map((u) => u.name),
            userResults: verdict.users,
            scriptWarnings: verdict.warnings,
            filesystem: verdict.filesystem ?? "",
            windowsAgent: verdict.agent ?? "",
            windowsVolume: verdict.windowsVolume ?? "",
            windowsChanges: verdict.changes ?? [],
        };
    },
);

export class OfflineReset extends pulumi.dynamic.Resource {
    declare readonly usersUpdated: pulumi.Output<string[]>;
    /** Each user's result; on a rotation, `revoked` lists the fingerprints of the earlier keys removed. */
    declare readonly userResults: pulumi.Output<
        Array<{ name: string; action: string; file?: string; reason?: string; revoked?: string[] }>
    >;
    declare readonly scriptWarnings: pulumi.Output<string[]>;
    declare readonly filesystem: pulumi.Output<string>;
    /** Windows: "EC2Launch v2", "EC2Launch v1" or "EC2Config" ("" for Linux). */
    declare readonly windowsAgent: pulumi.Output<string>;
    declare readonly windowsVolume: pulumi.Output<string>;
    /** Windows: each agent file changed on the volume, and the backup beside it. */
    declare readonly windowsChanges: pulumi.Output<
        Array<{ file: string; action: string; backup?: string }>
    >;

    constructor(name: string, args: OfflineResetArgs, opts?: pulumi.CustomResourceOptions) {
        const outputs = {
            usersUpdated: undefined,
            userResults: undefined,
            scriptWarnings: undefined,
            filesystem: undefined,
            windowsAgent: undefined,
            windowsVolume: undefined,
            windowsChanges: undefined,
        };
        super(provider, name, { ...args, ...outputs }, opts, "ec2-reset-access", "OfflineReset");
    }
}
