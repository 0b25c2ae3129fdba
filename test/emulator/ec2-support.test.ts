/**
 * What the EC2 emulator tests share: a client, an Amazon Linux 2023 image, launches, the realistic
 * profile at a small time scale, and waiter settings for it. (A .test.ts file so that it may live
 * beside them; its tests check the fixtures themselves.)
 */
import * as assert from "node:assert/strict";
import {
    DescribeInstancesCommand,
    DescribeVolumesCommand,
    EC2Client,
    Instance,
    Volume,
} from "@aws-sdk/client-ec2";
import { emulator } from "../hooks";
import { instantProfile, launch, linuxImage, pingStatus } from "../support/instances";

export const ec2 = () => new EC2Client({ maxAttempts: 1 });

/** Waiter settings for the realistic profile scaled down: poll fast, give up after `seconds`. */
export const waiter = (seconds = 5) => ({
    client: ec2(),
    maxWaitTime: seconds,
    minDelay: 0.02,
    maxDelay: 0.1,
});

/** The realistic profile (AWS durations) at this time scale: 0.01 turns a 40 s stop into 0.4 s. */
export async function realisticProfile(timeScale: number): Promise<void> {
    await emulator().control("POST", "/profile", { name: "realistic", timeScale });
}

export { instantProfile, launch, linuxImage, pingStatus };

export async function describeInstance(instanceId: string): Promise<Instance> {
    const { Reservations } = await ec2().send(
        new DescribeInstancesCommand({ InstanceIds: [instanceId] }),
    );
    return Reservations![0].Instances![0];
}

export async function stateOf(instanceId: string): Promise<string | undefined> {
    return (await describeInstance(instanceId)).State?.Name;
}

export async function volume(volumeId: string): Promise<Volume> {
    const { Volumes } = await ec2().send(new DescribeVolumesCommand({ VolumeIds: [volumeId] }));
    return Volumes![0];
}

/** The volume attached at the instance's root device. */
export async function rootVolume(instanceId: string): Promise<string> {
    const instance = await describeInstance(instanceId);
    const root = instance.BlockDeviceMappings?.find(
        (m) => m.DeviceName === instance.RootDeviceName,
    );
    assert.ok(root?.Ebs?.VolumeId, `${instanceId} has nothing at ${instance.RootDeviceName}`);
    return root.Ebs.VolumeId;
}

export { poll, sleep } from "../support/poll";

describe("EC2 test fixtures", () => {
    beforeEach(() => emulator().reset());

    it("launch a running AL2023 instance under the instant profile", async () => {
        const instanceId = await launch();
        assert.match(instanceId, /^i-[0-9a-f]+$/);
        assert.equal(await stateOf(instanceId), "running");
        assert.match(await rootVolume(instanceId), /^vol-/);
    });
});
