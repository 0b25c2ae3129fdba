/**
 * The reset's steps on the target, each idempotent ("make it so"), so that re-running a step
 * after a failure, which repaired the target, does the whole of its part again.
 */
import { CreateImageCommand, DescribeImagesCommand, EC2Client } from "@aws-sdk/client-ec2";
import { Clients } from "./aws-clients";
import {
    describeInstance,
    setTag,
    startInstance,
    stopInstance,
    tagValue,
    requestStop,
} from "./ec2-instance";
import { attachmentOf, attachVolume, describeVolume, detachVolume } from "./ec2-volume";
import { repairTarget } from "./repair";
import { waitFor } from "./waits";
import { helperDeviceFor, IN_PROGRESS_TAG, TargetContext } from "./target-context";

/** Journal first (so any later failure or kill is repaired), then stop. */
export async function stopTarget({ ec2 }: Clients, ctx: TargetContext): Promise<void> {
    const instance = await describeInstance(ec2, ctx.instanceId);
    if (!tagValue(instance, IN_PROGRESS_TAG))
        await setTag(ec2, ctx.instanceId, IN_PROGRESS_TAG, ctx.priorState);
    await stopInstance(ec2, ctx.instanceId);
}

/** How long the backup's snapshots may take to start (every mapping with its SnapshotId). */
const SNAPSHOTS_START_SECONDS = 600;

/**
 * Starts an AMI of the stopped target and returns its id once every block device mapping has
 * its SnapshotId, without waiting for the snapshots to complete: a snapshot is point-in-time at
 * its creation, so the volume can move while it completes. AWS does not document when
 * CreateImage's snapshots start relative to the call's return: hence the wait.
 */
export async function startBackup(
    { ec2 }: Clients,
    ctx: TargetContext,
): Promise<{ imageId: string; imageName: string }> {
    // The runbook's label, `AWSSupport-EC2Rescue:<id>`, goes in the Name tag: CreateImage's name
    // admits no colon (letters, digits, ()[] space . / - ' @ _), so the AMI name uses "_".
    const imageName = await freeImageName(ec2, `AWSSupport-EC2Rescue_${ctx.instanceId}`);
    const tags = [
        { Key: "Name", Value: `AWSSupport-EC2Rescue:${ctx.instanceId}` },
        { Key: "ec2-reset-access:backup-of", Value: ctx.instanceId },
    ];
    const out = await ec2.send(
        new CreateImageCommand({
            InstanceId: ctx.instanceId,
            Name: imageName,
            Description: `Backup taken by ec2-reset-access before resetting access to ${ctx.instanceId}`,
            NoReboot: true, // the target is stopped already
            TagSpecifications: [
                { ResourceType: "image", Tags: tags },
                { ResourceType: "snapshot", Tags: tags },
            ],
        }),
    );
    if (!out.ImageId) throw new Error("CreateImage returned no ImageId");
    await waitUntilSnapshotsStarted(ec2, out.ImageId);
    return { imageId: out.ImageId, imageName };
}

/** Polls DescribeImages until every EBS mapping of the image has its SnapshotId. */
export async function waitUntilSnapshotsStarted(ec2: EC2Client, imageId: string): Promise<void> {
    await waitFor(
        {
            what: `the snapshots of backup ${imageId} to start`,
            deadlineSeconds: SNAPSHOTS_START_SECONDS,
        },
        async () => {
            const image = (await ec2.send(new DescribeImagesCommand({ ImageIds: [imageId] })))
                .Images?.[0];
            if (image?.State === "failed")
                throw new Error(
                    `backup image ${imageId} failed: ${image.StateReason?.Message ?? "no reason given"}`,
                );
            const ebs = (image?.BlockDeviceMappings ?? []).filter((m) => m.Ebs);
            return ebs.length > 0 && ebs.every((m) => m.Ebs?.SnapshotId) ? true : undefined;
        },
    );
}

/** The runbook's name, made unique with a timestamp when an earlier reset used it. */
export async function freeImageName(ec2: EC2Client, name: string): Promise<string> {
    const out = await ec2.send(
        new DescribeImagesCommand({
            Owners: ["self"],
            Filters: [{ Name: "name", Values: [name] }],
        }),
    );
    if (!out.Images?.length) return name;
    return `${name} ${new Date().toISOString().replace(/[:.]/g, "-")}`; // still no colon
}

/** Stops the target (with its journal), makes sure the helper runs, and moves the root volume to the helper. */
export async function moveRootToHelper(
    clients: Clients,
    ctx: TargetContext,
    helperId: string,
): Promise<void> {
    const { ec2 } = clients;
    await stopTarget(clients, ctx);
    await startInstance(ec2, helperId); // a later rotation finds the helper stopped
    const attachment = attachmentOf(await describeVolume(ec2, ctx.rootVolumeId));
    if (attachment?.InstanceId === helperId && attachment.State === "attached") return;
    await detachVolume(ec2, ctx.rootVolumeId);
    await attachVolume(ec2, ctx.rootVolumeId, helperId, helperDeviceFor(ctx));
}

/** The volume back on the target and its prior state (the repair); the helper asked to stop. */
export async function releaseTarget(
    clients: Clients,
    ctx: TargetContext,
    helperId: string,
): Promise<string> {
    await repairTarget(clients, ctx);
    await requestStop(clients.ec2, helperId);
    return (await describeInstance(clients.ec2, ctx.instanceId)).State?.Name ?? "unknown";
}
