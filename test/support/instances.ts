/** Instances for the emulator's own tests: the one Linux image, launches, the SSM agent's status, the default profile. */
import * as assert from "node:assert/strict";
import {
    DescribeImagesCommand,
    EC2Client,
    RunInstancesCommand,
    RunInstancesCommandInput,
} from "@aws-sdk/client-ec2";
import { DescribeInstanceInformationCommand, SSMClient } from "@aws-sdk/client-ssm";
import { emulator } from "../hooks";

const ec2 = () => new EC2Client({ maxAttempts: 1 });

let image: string | undefined;

/** An Amazon Linux 2023 x86_64 image that moto knows; its root device is /dev/xvda. */
export async function linuxImage(): Promise<string> {
    if (image) return image;
    const { Images } = await ec2().send(
        new DescribeImagesCommand({
            Filters: [
                { Name: "name", Values: ["al2023-ami-2023*-x86_64"] },
                { Name: "root-device-name", Values: ["/dev/xvda"] },
            ],
        }),
    );
    assert.ok(Images?.length, "moto knows no al2023 x86_64 image");
    image = Images[0].ImageId!;
    return image;
}

/** Launches `count` t3.micro from the Linux image (in us-east-1a unless `extra` says otherwise). */
export async function launchInstances(
    count: number,
    extra: Partial<RunInstancesCommandInput> = {},
): Promise<string[]> {
    const { Instances } = await ec2().send(
        new RunInstancesCommand({
            ImageId: await linuxImage(),
            InstanceType: "t3.micro",
            MinCount: count,
            MaxCount: count,
            Placement: { AvailabilityZone: "us-east-1a" },
            ...extra,
        }),
    );
    return Instances!.map((i) => i.InstanceId!);
}

/** Launches one instance, as launchInstances. */
export async function launch(extra: Partial<RunInstancesCommandInput> = {}): Promise<string> {
    return (await launchInstances(1, extra))[0];
}

/** The SSM agent's PingStatus for the instance (undefined when SSM does not list it). */
export async function pingStatus(instanceId: string): Promise<string | undefined> {
    const out = await new SSMClient({ maxAttempts: 1 }).send(
        new DescribeInstanceInformationCommand({
            Filters: [{ Key: "InstanceIds", Values: [instanceId] }],
        }),
    );
    return out.InstanceInformationList?.[0]?.PingStatus;
}

/** Back to the run's default profile (reset does not change the profile). */
export async function instantProfile(): Promise<void> {
    await emulator().control("POST", "/profile", { name: "instant", timeScale: 1 });
}
