/**
 * The runbook's flow (AWSSupport-ResetAccess → AWSSupport-StartEC2RescueWorkflow), one step after
 * the other, built from the project's own functions (lib/) so that it waits and polls exactly as
 * ResetAccess does: create the temporary network, role and profile; launch the helper and wait
 * until it runs; wait until its SSM agent is Online; stop the target and wait; create the backup
 * AMI and wait until it is available (the runbook's aws:createImage waits); detach the root
 * volume and wait; attach it to the helper and wait; sleep 10 s; run the same command document
 * and wait; stop the helper and wait (the runbook stops it before detaching); detach; attach to
 * the target; start the target and wait; then delete the temporary resources.
 */
import { CreateImageCommand, DescribeImagesCommand, EC2Client } from "@aws-sdk/client-ec2";
import { IAMClient } from "@aws-sdk/client-iam";
import { PutParameterCommand, SSMClient } from "@aws-sdk/client-ssm";
import { startInstance, stopInstance, waitForState } from "../lib/ec2-instance";
import { attachVolume, detachVolume, setDeleteOnTermination } from "../lib/ec2-volume";
import { EXECUTION_TIMEOUT_SECONDS } from "../lib/linux-document";
import { generateSshKeyPair } from "../lib/ssh-keys";
import { runScript, waitUntilManaged } from "../lib/ssm-command";
import { HELPER_DEVICE, TargetContext } from "../lib/target-context";
import { sleep } from "../lib/sleep";
import { createSsmInstanceProfile, deleteSsmInstanceProfile } from "../rehearsal/ssm-profile";
import { timeScale, waitFor } from "../lib/waits";
import * as temporary from "./runbook-resources";

/** The runbook sleeps this long (AWS seconds) between attaching the volume and running the script. */
export const RUNBOOK_SLEEP_SECONDS = 10;
const IMAGE_SECONDS = 3600;
const HELPER_START_SECONDS = 900;

/** Epoch milliseconds: the start, the target running again with the new key, all deleted. */
export interface RunbookTiming {
    startedAt: number;
    accessAt: number;
    doneAt: number;
}

interface Clients {
    ec2: EC2Client;
    iam: IAMClient;
    ssm: SSMClient;
}

export async function runbookReset(ctx: TargetContext): Promise<RunbookTiming> {
    const clients = { ec2: new EC2Client({}), iam: new IAMClient({}), ssm: new SSMClient({}) };
    const name = `runbook-${ctx.instanceId}`;
    const startedAt = Date.now();
    const made = await createTemporaryResources(clients, ctx, name);
    const helperId = await startHelper(clients, made.network, name);
    await swapAndReset(clients, ctx, helperId, made.documentName, made.publicKey);
    const accessAt = Date.now();
    await temporary.terminateHelper(clients.ec2, helperId);
    await temporary.deleteNetwork(clients.ec2, made.network);
    await deleteSsmInstanceProfile(clients.iam, name);
    await temporary.deleteResetDocument(clients.ssm, made.documentName);
    return { startedAt, accessAt, doneAt: Date.now() };
}

/** Network, role and profile, the document, and the key pair (private key to Parameter Store). */
async function createTemporaryResources(
    { ec2, iam, ssm }: Clients,
    ctx: TargetContext,
    name: string,
) {
    const network = await temporary.createNetwork(ec2, ctx.availabilityZone, name);
    await createSsmInstanceProfile(iam, name);
    const documentName = await temporary.createResetDocument(ssm, name);
    // EC2Rescue makes an RSA 4096 key on the helper; ed25519 here, as ResetAccess's default, so
    // that the key's generation time (this machine's, not AWS's) is the same in both variants.
    const key = generateSshKeyPair("ed25519", `runbook@${ctx.instanceId}`);
    await ssm.send(
        new PutParameterCommand({
            Name: `/ec2rl/openssh/${ctx.instanceId}/key`,
            Type: "SecureString",
            Value: key.privateKey,
            Overwrite: true,
        }),
    );
    return { network, documentName, publicKey: key.publicKey };
}

async function startHelper(
    { ec2, ssm }: Clients,
    network: temporary.Network,
    profileName: string,
): Promise<string> {
    const helperId = await temporary.launchHelper(ec2, ssm, network, profileName);
    await waitForState(ec2, helperId, "running", HELPER_START_SECONDS);
    await waitUntilManaged(ssm, helperId);
    return helperId;
}

/** Stop, backup (awaited), volume to the helper, the script, helper stopped, volume back, start. */
async function swapAndReset(
    { ec2, ssm }: Clients,
    ctx: TargetContext,
    helperId: string,
    documentName: string,
    publicKey: string,
): Promise<void> {
    await stopInstance(ec2, ctx.instanceId);
    await backupAndWait(ec2, ctx.instanceId);
    await detachVolume(ec2, ctx.rootVolumeId);
    await attachVolume(ec2, ctx.rootVolumeId, helperId, HELPER_DEVICE);
    await sleep(RUNBOOK_SLEEP_SECONDS * 1000 * timeScale());
    await runScript(ssm, {
        documentName,
        instanceId: helperId,
        parameters: {
            volumeId: ctx.rootVolumeId,
            deviceName: HELPER_DEVICE,
            publicKey,
            users: "auto",
        },
        executionTimeoutSeconds: EXECUTION_TIMEOUT_SECONDS,
        comment: "runbook flow: reset SSH key on the offline root volume",
    });
    await stopInstance(ec2, helperId);
    await detachVolume(ec2, ctx.rootVolumeId);
    await attachVolume(ec2, ctx.rootVolumeId, ctx.instanceId, ctx.rootDeviceName);
    await setDeleteOnTermination(
        ec2,
        ctx.instanceId,
        ctx.rootDeviceName,
        ctx.rootVolumeId,
        ctx.rootDeleteOnTermination,
    );
    if (ctx.priorState === "running") await startInstance(ec2, ctx.instanceId);
}

async function backupAndWait(ec2: EC2Client, instanceId: string): Promise<void> {
    // Named as ResetAccess names its backup: CreateImage admits no colon in a name.
    const out = await ec2.send(
        new CreateImageCommand({
            InstanceId: instanceId,
            Name: `AWSSupport-EC2Rescue_${instanceId}`,
            NoReboot: true,
            TagSpecifications: [
                {
                    ResourceType: "image",
                    Tags: [{ Key: "Name", Value: `AWSSupport-EC2Rescue:${instanceId}` }],
                },
            ],
        }),
    );
    const imageId = out.ImageId!;
    await waitFor(
        { what: `backup ${imageId} to be available`, deadlineSeconds: IMAGE_SECONDS },
        async () => {
            const state = (await ec2.send(new DescribeImagesCommand({ ImageIds: [imageId] })))
                .Images?.[0]?.State;
            if (state === "failed" || state === "error")
                throw new Error(`backup ${imageId} is ${state}`);
            return state === "available" ? true : undefined;
        },
    );
}
