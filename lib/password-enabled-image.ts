/**
 * Windows: the runbook's password-enabled AMI. It must be taken while the reset volume is back
 * on the target and the target has not booted yet: at the first boot the launch agent generates
 * the password and turns generation off again (EC2Launch v2 writes state/.run-once, EC2Config
 * disables Ec2SetPassword), and an AMI taken after that would launch with no new password.
 */
import { CreateImageCommand, DescribeImagesCommand, EC2Client, Image } from "@aws-sdk/client-ec2";
import { Clients } from "./aws-clients";
import { describeInstance, tagValue } from "./ec2-instance";
import { returnRootVolume } from "./repair";
import { freeImageName } from "./target-steps";
import { IN_PROGRESS_TAG, TargetContext } from "./target-context";
import { waitFor } from "./waits";

export const FROM_TAG = "ec2-reset-access:password-enabled-from";
export const ROTATION_TAG = "ec2-reset-access:rotation";
/** A 30 GiB Windows root's first snapshot takes minutes; AWS gives no bound, this is generous. */
const IMAGE_SECONDS = 3600;

/** The runbook's label; CreateImage admits no colon in the name, so the name uses "_" and the Name tag keeps it. */
export function passwordEnabledLabel(instanceId: string): string {
    return `AWSSupport-EC2Rescue: Password-enabled AMI from ${instanceId}`;
}

/**
 * Starts the AMI (point-in-time at this call, so the target may start right after) and returns
 * its id; a retry of the same reset (same rotation) finds the one it started.
 */
export async function startPasswordEnabledImage(
    clients: Clients,
    ctx: TargetContext,
    rotation: string,
): Promise<string> {
    const { ec2 } = clients;
    const earlier = await findImage(ec2, ctx.instanceId, rotation);
    if (earlier?.ImageId) return earlier.ImageId;
    const held = !!tagValue(await describeInstance(ec2, ctx.instanceId), IN_PROGRESS_TAG);
    if (!held && ctx.priorState === "running") {
        throw new Error(
            `${ctx.instanceId} was started again before its password-enabled AMI was taken, so its launch agent has generated the password and turned generation off; ` +
                "set rotation to a new value and run again to redo the reset (the password generated at that boot is retrievable with the instance's key pair).",
        );
    }
    await returnRootVolume(clients, ctx);
    const label = passwordEnabledLabel(ctx.instanceId);
    const tags = [
        { Key: "Name", Value: label },
        { Key: FROM_TAG, Value: ctx.instanceId },
        { Key: ROTATION_TAG, Value: rotation },
    ];
    const out = await ec2.send(
        new CreateImageCommand({
            InstanceId: ctx.instanceId,
            Name: await freeImageName(ec2, label.replace(": ", "_")),
            Description: `Made by ec2-reset-access from ${ctx.instanceId}: launches with a new Administrator password, encrypted with the key pair you launch it with`,
            NoReboot: true, // stopped already, and a reboot would spend the password generation
            TagSpecifications: [
                { ResourceType: "image", Tags: tags },
                { ResourceType: "snapshot", Tags: tags },
            ],
        }),
    );
    if (!out.ImageId) throw new Error("CreateImage returned no ImageId");
    return out.ImageId;
}

/** Until the AMI can be launched (a replacement instance needs it `available`). */
export async function waitUntilImageAvailable(ec2: EC2Client, imageId: string): Promise<void> {
    await waitFor(
        {
            what: `password-enabled AMI ${imageId} to be available`,
            deadlineSeconds: IMAGE_SECONDS,
            maxIntervalSeconds: 15,
            reportEverySeconds: 60,
        },
        async () => {
            const image = (await ec2.send(new DescribeImagesCommand({ ImageIds: [imageId] })))
                .Images?.[0];
            if (image?.State === "failed")
                throw new Error(
                    `AMI ${imageId} failed: ${image.StateReason?.Message ?? "no reason given"}`,
                );
            return image?.State === "available" ? true : undefined;
        },
    );
}

async function findImage(
    ec2: EC2Client,
    instanceId: string,
    rotation: string,
): Promise<Image | undefined> {
    const out = await ec2.send(
        new DescribeImagesCommand({
            Owners: ["self"],
            Filters: [
                { Name: `tag:${FROM_TAG}`, Values: [instanceId] },
                { Name: `tag:${ROTATION_TAG}`, Values: [rotation] },
            ],
        }),
    );
    return (out.Images ?? []).find((i) => i.State === "pending" || i.State === "available");
}
