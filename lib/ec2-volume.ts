/** Moving a volume between instances, with waits; each call acts only when needed. */
import {
    AttachVolumeCommand,
    DescribeInstancesCommand,
    DescribeVolumesCommand,
    DetachVolumeCommand,
    EC2Client,
    ModifyInstanceAttributeCommand,
    Volume,
} from "@aws-sdk/client-ec2";
import { awsErrorCode, NotFound } from "./aws-errors";
import { isWaitTimeout, waitFor } from "./waits";

const DETACH_SECONDS = 300;
const FORCED_DETACH_SECONDS = 300;
const ATTACH_SECONDS = 300;

export async function describeVolume(ec2: EC2Client, volumeId: string): Promise<Volume> {
    const out = await ec2.send(new DescribeVolumesCommand({ VolumeIds: [volumeId] }));
    const volume = out.Volumes?.[0];
    if (!volume) throw new NotFound("volume", volumeId);
    return volume;
}

/** The instance the volume is attached (or attaching/detaching) to, if any. */
export function attachmentOf(volume: Volume) {
    return volume.Attachments?.find((a) => a.State !== "detached");
}

/** Detaches the volume from whatever holds it and waits until it is available. */
export async function detachVolume(ec2: EC2Client, volumeId: string): Promise<void> {
    const attachment = attachmentOf(await describeVolume(ec2, volumeId));
    if (!attachment) return;
    if (attachment.State !== "detaching") {
        try {
            await ec2.send(
                new DetachVolumeCommand({ VolumeId: volumeId, InstanceId: attachment.InstanceId }),
            );
        } catch (err) {
            // Detached meanwhile (a helper terminating) is fine; any other refusal is not.
            const detachedMeanwhile =
                awsErrorCode(err) === "IncorrectState" &&
                !attachmentOf(await describeVolume(ec2, volumeId));
            if (!detachedMeanwhile) throw err;
        }
    }
    try {
        await waitForVolume(ec2, volumeId, "available", DETACH_SECONDS);
    } catch (err) {
        if (!isWaitTimeout(err)) throw err;
        // A detach can hang while the helper still has the filesystem busy: force it.
        await ec2.send(
            new DetachVolumeCommand({
                VolumeId: volumeId,
                InstanceId: attachment.InstanceId,
                Force: true,
            }),
        );
        await waitForVolume(ec2, volumeId, "available", FORCED_DETACH_SECONDS);
    }
}

/** Attaches the volume at `device` of the instance and waits until it is attached. */
export async function attachVolume(
    ec2: EC2Client,
    volumeId: string,
    instanceId: string,
    device: string,
): Promise<void> {
    const attachment = attachmentOf(await describeVolume(ec2, volumeId));
    if (
        attachment?.InstanceId === instanceId &&
        attachment.Device === device &&
        attachment.State !== "detaching"
    ) {
        if (attachment.State === "attached") return;
    } else {
        await ec2.send(
            new AttachVolumeCommand({ VolumeId: volumeId, InstanceId: instanceId, Device: device }),
        );
    }
    await waitFor(
        {
            what: `${volumeId} to attach to ${instanceId} at ${device}`,
            deadlineSeconds: ATTACH_SECONDS,
        },
        async () => {
            const now = attachmentOf(await describeVolume(ec2, volumeId));
            return now?.InstanceId === instanceId && now.State === "attached" ? true : undefined;
        },
    );
}

export async function waitForVolume(
    ec2: EC2Client,
    volumeId: string,
    wanted: string,
    deadlineSeconds: number,
) {
    return waitFor({ what: `${volumeId} to be ${wanted}`, deadlineSeconds }, async () => {
        const volume = await describeVolume(ec2, volumeId);
        if (volume.State === "error") throw new Error(`${volumeId} is in the error state`);
        return volume.State === wanted && !attachmentOf(volume) ? true : undefined;
    });
}

/** Sets DeleteOnTermination of the volume attached at `device` (as the instance reports it), when it differs. */
export async function setDeleteOnTermination(
    ec2: EC2Client,
    instanceId: string,
    device: string,
    volumeId: string,
    wanted: boolean,
): Promise<void> {
    const instance = (await ec2.send(new DescribeInstancesCommand({ InstanceIds: [instanceId] })))
        .Reservations?.[0]?.Instances?.[0];
    const mapping = instance?.BlockDeviceMappings?.find(
        (m) => m.DeviceName === device && m.Ebs?.VolumeId === volumeId,
    );
    if (mapping?.Ebs?.DeleteOnTermination === wanted) return;
    await ec2.send(
        new ModifyInstanceAttributeCommand({
            InstanceId: instanceId,
            BlockDeviceMappings: [
                { DeviceName: device, Ebs: { VolumeId: volumeId, DeleteOnTermination: wanted } },
            ],
        }),
    );
}
