/** Instances in the emulator shaped like the ones a reset meets: a target and a helper. */
import {
    DescribeImagesCommand,
    DescribeVolumesCommand,
    EC2Client,
    Instance,
    RunInstancesCommand,
    StopInstancesCommand,
    waitUntilInstanceRunning,
    waitUntilInstanceStopped,
} from "@aws-sdk/client-ec2";
import { GetParameterCommand, SSMClient } from "@aws-sdk/client-ssm";
import { IAMClient } from "@aws-sdk/client-iam";
import { describeInstance } from "../lib/ec2-instance";
import { TargetContext } from "../lib/target-context";
import { createSsmInstanceProfile, uniqueName } from "./ssm-profile";

export const REGION = "us-east-1";
export const AZ = "us-east-1a";

// moto's images are the same after every reset: look one up once per run (it is a slow call).
let cachedImageId: string | undefined;

export async function linuxImageId(ec2: EC2Client): Promise<string> {
    if (cachedImageId) return cachedImageId;
    const out = await ec2.send(
        new DescribeImagesCommand({
            Filters: [{ Name: "root-device-name", Values: ["/dev/xvda"] }],
        }),
    );
    const image =
        out.Images?.find(
            (i) => i.RootDeviceType === "ebs" && i.Platform?.toLowerCase() !== "windows",
        ) ?? out.Images?.[0];
    if (!image?.ImageId) throw new Error("the emulator has no Linux image with /dev/xvda as root");
    cachedImageId = image.ImageId;
    return image.ImageId;
}

export interface TargetOptions {
    instanceType?: string;
    availabilityZone?: string;
    disableApiStop?: boolean;
    /** Launched enabled for hibernation (HibernationOptions.Configured). */
    hibernation?: boolean;
    tags?: Record<string, string>;
}

/** A running Linux instance with an 8 GiB root volume at /dev/xvda, DeleteOnTermination true. */
export async function createTarget(ec2: EC2Client, options: TargetOptions = {}): Promise<Instance> {
    const out = await ec2.send(
        new RunInstancesCommand({
            ImageId: await linuxImageId(ec2),
            InstanceType: (options.instanceType ?? "t3.micro") as never,
            MinCount: 1,
            MaxCount: 1,
            Placement: { AvailabilityZone: options.availabilityZone ?? AZ },
            DisableApiStop: options.disableApiStop,
            HibernationOptions: options.hibernation ? { Configured: true } : undefined,
            BlockDeviceMappings: [
                { DeviceName: "/dev/xvda", Ebs: { VolumeSize: 8, DeleteOnTermination: true } },
            ],
            TagSpecifications: [
                {
                    ResourceType: "instance",
                    Tags: Object.entries(options.tags ?? { Name: "target" }).map(
                        ([Key, Value]) => ({ Key, Value }),
                    ),
                },
            ],
        }),
    );
    const id = out.Instances![0].InstanceId!;
    await waitUntilInstanceRunning(
        { client: ec2, maxWaitTime: 60, minDelay: 1 },
        { InstanceIds: [id] },
    );
    return describeInstance(ec2, id);
}

export interface WindowsTargetOptions {
    /** The Windows Server version of its AMI (the emulator publishes 2016, 2019, 2022, 2025). */
    version?: string;
    /** Its key pair (GetPasswordData's password is encrypted for it); none when undefined. */
    keyName?: string;
    /** The instance profile it runs with. */
    instanceProfileName?: string;
    state?: "running" | "stopped";
}

/** A Windows instance from AWS's public AMI of that version: root /dev/sda1, 30 GiB, DeleteOnTermination true. */
export async function createWindowsTarget(
    ec2: EC2Client,
    options: WindowsTargetOptions = {},
): Promise<Instance> {
    const parameter = `/aws/service/ami-windows-latest/Windows_Server-${options.version ?? "2019"}-English-Full-Base`;
    const imageId = (await new SSMClient({}).send(new GetParameterCommand({ Name: parameter })))
        .Parameter!.Value!;
    const out = await ec2.send(
        new RunInstancesCommand({
            ImageId: imageId,
            InstanceType: "m5.large",
            MinCount: 1,
            MaxCount: 1,
            KeyName: options.keyName,
            IamInstanceProfile: options.instanceProfileName
                ? { Name: options.instanceProfileName }
                : undefined,
            Placement: { AvailabilityZone: AZ },
            BlockDeviceMappings: [
                { DeviceName: "/dev/sda1", Ebs: { VolumeSize: 30, DeleteOnTermination: true } },
            ],
            TagSpecifications: [
                { ResourceType: "instance", Tags: [{ Key: "Name", Value: "windows-target" }] },
            ],
        }),
    );
    const id = out.Instances![0].InstanceId!;
    await waitUntilInstanceRunning(
        { client: ec2, maxWaitTime: 60, minDelay: 1 },
        { InstanceIds: [id] },
    );
    if (options.state === "stopped") {
        await ec2.send(new StopInstancesCommand({ InstanceIds: [id] }));
        await waitUntilInstanceStopped(
            { client: ec2, maxWaitTime: 60, minDelay: 1 },
            { InstanceIds: [id] },
        );
    }
    return describeInstance(ec2, id);
}

/** A running helper whose instance profile carries AmazonSSMManagedInstanceCore. */
export async function createHelper(
    ec2: EC2Client,
    iam: IAMClient,
    availabilityZone = AZ,
): Promise<Instance> {
    const name = uniqueName("helper");
    await createSsmInstanceProfile(iam, name);
    const out = await ec2.send(
        new RunInstancesCommand({
            ImageId: await linuxImageId(ec2),
            InstanceType: "t3.small",
            MinCount: 1,
            MaxCount: 1,
            Placement: { AvailabilityZone: availabilityZone },
            IamInstanceProfile: { Name: name },
            BlockDeviceMappings: [
                { DeviceName: "/dev/xvda", Ebs: { VolumeSize: 8, DeleteOnTermination: true } },
            ],
        }),
    );
    const id = out.Instances![0].InstanceId!;
    await waitUntilInstanceRunning(
        { client: ec2, maxWaitTime: 60, minDelay: 1 },
        { InstanceIds: [id] },
    );
    return describeInstance(ec2, id);
}

export function contextOf(target: Instance): TargetContext {
    const root = target.BlockDeviceMappings!.find((m) => m.DeviceName === target.RootDeviceName)!;
    return {
        region: REGION,
        instanceId: target.InstanceId!,
        availabilityZone: target.Placement!.AvailabilityZone!,
        rootVolumeId: root.Ebs!.VolumeId!,
        rootDeviceName: target.RootDeviceName!,
        rootDeleteOnTermination: root.Ebs!.DeleteOnTermination ?? false,
        priorState: target.State!.Name === "running" ? "running" : "stopped",
        platform: target.Platform?.toLowerCase() === "windows" ? "windows" : "linux",
    };
}

/** What "whole" means for a target: its state, and its root volume where it belongs. */
export async function targetShape(ec2: EC2Client, ctx: TargetContext) {
    const instance = await describeInstance(ec2, ctx.instanceId);
    const volume = (await ec2.send(new DescribeVolumesCommand({ VolumeIds: [ctx.rootVolumeId] })))
        .Volumes![0];
    const attachment = volume.Attachments?.find((a) => a.State !== "detached");
    return {
        state: instance.State?.Name,
        rootAttachedTo: attachment?.InstanceId,
        rootDevice: attachment?.Device,
        rootDeleteOnTermination: instance.BlockDeviceMappings?.find(
            (m) => m.Ebs?.VolumeId === ctx.rootVolumeId,
        )?.Ebs?.DeleteOnTermination,
        inProgressTag:
            instance.Tags?.some((t) => t.Key === "ec2-reset-access:in-progress") ?? false,
    };
}

export function wholeShape(ctx: TargetContext) {
    return {
        state: ctx.priorState,
        rootAttachedTo: ctx.instanceId,
        rootDevice: ctx.rootDeviceName,
        rootDeleteOnTermination: ctx.rootDeleteOnTermination,
        inProgressTag: false,
    };
}
