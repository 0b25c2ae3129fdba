/**
 * Removing the backup AMI and its snapshots (TargetBackup's delete when retainBackup is false),
 * and the Windows password-enabled AMI (ReleaseTarget's, when retainPasswordEnabledImage is false).
 * Only the codes that say the image is gone count as done: anything else, AccessDenied included,
 * fails with the reason, so that `pulumi destroy` never reports success over a kept AMI.
 */
import {
    DeleteSnapshotCommand,
    DeregisterImageCommand,
    DescribeImagesCommand,
    EC2Client,
    Image,
} from "@aws-sdk/client-ec2";
import { awsErrorCode } from "./aws-errors";

/** What EC2 answers for an image id it no longer has: unknown, or deregistered and unavailable. */
const IMAGE_GONE = ["InvalidAMIID.NotFound", "InvalidAMIID.Unavailable"];
const SNAPSHOT_GONE = ["InvalidSnapshot.NotFound"];

export async function deleteBackupImage(
    ec2: EC2Client,
    imageId: string,
    setting = "retainBackup",
    what = "the backup",
): Promise<void> {
    try {
        const image = await describeImage(ec2, imageId);
        if (!image) return; // deregistered already: its snapshots went with an earlier delete
        await goneIsDone(IMAGE_GONE, ec2.send(new DeregisterImageCommand({ ImageId: imageId })));
        for (const mapping of image.BlockDeviceMappings ?? []) {
            const snapshotId = mapping.Ebs?.SnapshotId;
            if (snapshotId)
                await goneIsDone(
                    SNAPSHOT_GONE,
                    ec2.send(new DeleteSnapshotCommand({ SnapshotId: snapshotId })),
                );
        }
    } catch (err) {
        const reason = `${awsErrorCode(err) || "error"}: ${err instanceof Error ? err.message : String(err)}`;
        throw new Error(
            `${setting} is false, but ${what} ${imageId} and its snapshots could not be removed (${reason}); ` +
                "allow ec2:DescribeImages, ec2:DeregisterImage and ec2:DeleteSnapshot, or remove them yourself, then run pulumi destroy again.",
            { cause: err },
        );
    }
}

async function describeImage(ec2: EC2Client, imageId: string): Promise<Image | undefined> {
    try {
        return (await ec2.send(new DescribeImagesCommand({ ImageIds: [imageId] }))).Images?.[0];
    } catch (err) {
        if (IMAGE_GONE.includes(awsErrorCode(err))) return undefined;
        throw err;
    }
}

async function goneIsDone(codes: string[], call: Promise<unknown>): Promise<void> {
    try {
        await call;
    } catch (err) {
        if (!codes.includes(awsErrorCode(err))) throw err;
    }
}
