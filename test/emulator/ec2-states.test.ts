/**
 * EC2 transitional states: each takes the latency profile's duration (realistic profile, scaled
 * down here), is visible in between, and ends in the final state the SDK waiters wait for.
 */
import * as assert from "node:assert/strict";
import {
    AttachVolumeCommand,
    CreateImageCommand,
    CreateSnapshotCommand,
    CreateVolumeCommand,
    DescribeImagesCommand,
    DescribeSnapshotsCommand,
    DetachVolumeCommand,
    RebootInstancesCommand,
    RunInstancesCommand,
    StartInstancesCommand,
    StopInstancesCommand,
    TerminateInstancesCommand,
    waitUntilImageAvailable,
    waitUntilInstanceRunning,
    waitUntilInstanceStopped,
    waitUntilInstanceTerminated,
    waitUntilSnapshotCompleted,
    waitUntilVolumeAvailable,
} from "@aws-sdk/client-ec2";
import { IAMClient } from "@aws-sdk/client-iam";
import { createSsmInstanceProfile } from "../../rehearsal/ssm-profile";
import { emulator } from "../hooks";
import {
    describeInstance,
    ec2,
    instantProfile,
    launch,
    linuxImage,
    pingStatus,
    poll,
    realisticProfile,
    rootVolume,
    stateOf,
    volume,
    waiter,
} from "./ec2-support.test";

describe("EC2 transitional states", () => {
    beforeEach(() => emulator().reset());
    afterEach(() => instantProfile());

    it("RunInstances answers pending; the instance runs instance.start later", async () => {
        await realisticProfile(0.02); // instance.start 15 s -> 0.3 s
        const { Instances } = await ec2().send(
            new RunInstancesCommand({
                ImageId: await linuxImage(),
                InstanceType: "t3.micro",
                MinCount: 1,
                MaxCount: 1,
            }),
        );
        const instanceId = Instances![0].InstanceId!;
        assert.deepEqual(Instances![0].State, { Code: 0, Name: "pending" });
        assert.equal(await stateOf(instanceId), "pending");
        const started = Date.now();
        await waitUntilInstanceRunning(waiter(), { InstanceIds: [instanceId] });
        assert.ok(Date.now() - started < 1_000, "running after more than 1 s");
        assert.deepEqual((await describeInstance(instanceId)).State, { Code: 16, Name: "running" });
    });

    it("StopInstances answers running -> stopping; stopped instance.stop later", async () => {
        const instanceId = await launch();
        await realisticProfile(0.01); // instance.stop 40 s -> 0.4 s
        const { StoppingInstances } = await ec2().send(
            new StopInstancesCommand({ InstanceIds: [instanceId] }),
        );
        assert.deepEqual(StoppingInstances, [
            {
                InstanceId: instanceId,
                CurrentState: { Code: 64, Name: "stopping" },
                PreviousState: { Code: 16, Name: "running" },
            },
        ]);
        assert.equal(await stateOf(instanceId), "stopping");
        await waitUntilInstanceStopped(waiter(), { InstanceIds: [instanceId] });
        assert.deepEqual((await describeInstance(instanceId)).State, { Code: 80, Name: "stopped" });
    });

    it("a forced stop ends a stop in progress after instance.forceStop", async () => {
        const instanceId = await launch();
        await realisticProfile(0.05); // instance.stop 40 s -> 2 s, instance.forceStop 10 s -> 0.5 s
        await ec2().send(new StopInstancesCommand({ InstanceIds: [instanceId] }));
        const forced = Date.now();
        const { StoppingInstances } = await ec2().send(
            new StopInstancesCommand({ InstanceIds: [instanceId], Force: true }),
        );
        assert.deepEqual(StoppingInstances![0].CurrentState, { Code: 64, Name: "stopping" });
        assert.deepEqual(StoppingInstances![0].PreviousState, { Code: 64, Name: "stopping" });
        await waitUntilInstanceStopped(waiter(), { InstanceIds: [instanceId] });
        const took = Date.now() - forced;
        assert.ok(took >= 450 && took < 1_500, `stopped ${took} ms after the forced stop`);
    });

    it("StartInstances answers stopped -> pending; running instance.start later", async () => {
        const instanceId = await launch();
        await ec2().send(new StopInstancesCommand({ InstanceIds: [instanceId] }));
        await realisticProfile(0.02);
        const { StartingInstances } = await ec2().send(
            new StartInstancesCommand({ InstanceIds: [instanceId] }),
        );
        assert.deepEqual(StartingInstances, [
            {
                InstanceId: instanceId,
                CurrentState: { Code: 0, Name: "pending" },
                PreviousState: { Code: 80, Name: "stopped" },
            },
        ]);
        assert.equal(await stateOf(instanceId), "pending");
        await waitUntilInstanceRunning(waiter(), { InstanceIds: [instanceId] });
    });

    it("TerminateInstances: shutting-down with volumes attached, then terminated; DeleteOnTermination decides each volume", async () => {
        const instanceId = await launch({
            BlockDeviceMappings: [
                { DeviceName: "/dev/xvda", Ebs: { VolumeSize: 8 } },
                { DeviceName: "/dev/sdf", Ebs: { VolumeSize: 2, DeleteOnTermination: false } },
            ],
        });
        const root = await rootVolume(instanceId);
        const data = (await describeInstance(instanceId)).BlockDeviceMappings!.find(
            (m) => m.DeviceName === "/dev/sdf",
        )!.Ebs!.VolumeId!;
        await realisticProfile(0.01); // instance.terminate 40 s -> 0.4 s
        const { TerminatingInstances } = await ec2().send(
            new TerminateInstancesCommand({ InstanceIds: [instanceId] }),
        );
        assert.deepEqual(TerminatingInstances![0].CurrentState, {
            Code: 32,
            Name: "shutting-down",
        });
        assert.deepEqual(TerminatingInstances![0].PreviousState, { Code: 16, Name: "running" });
        assert.equal(await stateOf(instanceId), "shutting-down");
        assert.equal((await volume(data)).State, "in-use");
        assert.equal((await volume(root)).State, "in-use");

        await waitUntilInstanceTerminated(waiter(), { InstanceIds: [instanceId] });
        assert.equal(
            (await volume(data)).State,
            "available",
            "a volume without DeleteOnTermination is kept",
        );
        await assert.rejects(volume(root), { name: "InvalidVolume.NotFound" });
        assert.deepEqual((await describeInstance(instanceId)).BlockDeviceMappings, []);
    });

    it("AttachVolume: attaching, then attached volume.attach later; DetachVolume: detaching, then available", async () => {
        const instanceId = await launch();
        const { VolumeId } = await ec2().send(
            new CreateVolumeCommand({ AvailabilityZone: "us-east-1a", Size: 1 }),
        );
        await realisticProfile(0.05); // volume.attach 5 s -> 0.25 s, volume.detach 10 s -> 0.5 s
        const attached = await ec2().send(
            new AttachVolumeCommand({ VolumeId, InstanceId: instanceId, Device: "/dev/sdf" }),
        );
        assert.equal(attached.State, "attaching");
        const during = await volume(VolumeId!);
        assert.equal(during.State, "in-use");
        assert.equal(during.Attachments![0].State, "attaching");
        const mapping = (await describeInstance(instanceId)).BlockDeviceMappings!.find(
            (m) => m.DeviceName === "/dev/sdf",
        );
        assert.equal(mapping?.Ebs?.Status, "attaching");
        await poll("attached", async () =>
            (await volume(VolumeId!)).Attachments?.[0]?.State === "attached" ? true : undefined,
        );

        const detached = await ec2().send(new DetachVolumeCommand({ VolumeId }));
        assert.equal(detached.State, "detaching");
        assert.equal((await volume(VolumeId!)).Attachments![0].State, "detaching");
        await waitUntilVolumeAvailable(waiter(), { VolumeIds: [VolumeId!] });
        assert.deepEqual((await volume(VolumeId!)).Attachments, []);
        const devices = (await describeInstance(instanceId)).BlockDeviceMappings!.map(
            (m) => m.DeviceName,
        );
        assert.deepEqual(devices, ["/dev/xvda"]);
    });

    it("CreateSnapshot answers pending with a progress; completed snapshot.create later", async () => {
        const { VolumeId } = await ec2().send(
            new CreateVolumeCommand({ AvailabilityZone: "us-east-1a", Size: 8 }),
        );
        await realisticProfile(0.005); // snapshot.create 120 s -> 0.6 s
        const snapshot = await ec2().send(new CreateSnapshotCommand({ VolumeId }));
        assert.equal(snapshot.State, "pending");
        const { Snapshots } = await ec2().send(
            new DescribeSnapshotsCommand({ SnapshotIds: [snapshot.SnapshotId!] }),
        );
        assert.equal(Snapshots![0].State, "pending");
        assert.match(Snapshots![0].Progress!, /^\d{1,2}%$/);
        await waitUntilSnapshotCompleted(waiter(), { SnapshotIds: [snapshot.SnapshotId!] });
        const done = await ec2().send(
            new DescribeSnapshotsCommand({ SnapshotIds: [snapshot.SnapshotId!] }),
        );
        assert.equal(done.Snapshots![0].Progress, "100%");
    });

    it("CreateImage: the image and its snapshots are pending, then all available/completed after image.create", async () => {
        const instanceId = await launch();
        await ec2().send(new StopInstancesCommand({ InstanceIds: [instanceId] }));
        // image.create 180 s -> 3.6 s: a window wide enough that a slow describe still sees "pending"
        await realisticProfile(0.02);
        const { ImageId } = await ec2().send(
            new CreateImageCommand({ InstanceId: instanceId, Name: "backup-states" }),
        );
        // The mappings name their snapshots only once image.snapshotIds has passed (as on AWS, where
        // it is not documented when they start): poll for the id, as the backup step does.
        let image = (await ec2().send(new DescribeImagesCommand({ ImageIds: [ImageId!] })))
            .Images![0];
        while (!image.BlockDeviceMappings?.[0]?.Ebs?.SnapshotId) {
            await new Promise((resolve) => setTimeout(resolve, 10));
            image = (await ec2().send(new DescribeImagesCommand({ ImageIds: [ImageId!] })))
                .Images![0];
        }
        assert.equal(image.State, "pending");
        const snapshotId = image.BlockDeviceMappings![0].Ebs!.SnapshotId!;
        const pending = await ec2().send(
            new DescribeSnapshotsCommand({ SnapshotIds: [snapshotId] }),
        );
        assert.equal(pending.Snapshots![0].State, "pending");
        await waitUntilImageAvailable(waiter(), { ImageIds: [ImageId!] });
        const completed = await ec2().send(
            new DescribeSnapshotsCommand({ SnapshotIds: [snapshotId] }),
        );
        assert.equal(completed.Snapshots![0].State, "completed");
    });

    it("the SSM agent is Online ssm.register after running (emulator_running_since), and reconnects after a reboot", async () => {
        const profile = await createSsmInstanceProfile(
            new IAMClient({ maxAttempts: 1 }),
            "ec2-test-managed",
        );
        await realisticProfile(0.01); // instance.start 0.15 s, ssm.register 0.45 s
        // Timed from before the launch request: the moment the waiter sees `running` can lag by a
        // poll or more on a busy machine, so it gives no lower bound.
        const launched = Date.now();
        const instanceId = await launch({ IamInstanceProfile: { Arn: profile } });
        await waitUntilInstanceRunning(waiter(), { InstanceIds: [instanceId] });
        await poll("Online", async () =>
            (await pingStatus(instanceId)) === "Online" ? true : undefined,
        );
        const took = Date.now() - launched;
        // Never before instance.start (0.15 s) + ssm.register (0.45 s): had it registered at once, ~150 ms.
        assert.ok(
            took >= 600 && took < 3_000,
            `Online ${took} ms after the launch request, not about 600 ms`,
        );

        await ec2().send(new RebootInstancesCommand({ InstanceIds: [instanceId] }));
        assert.equal(await stateOf(instanceId), "running");
        assert.equal(await pingStatus(instanceId), "ConnectionLost");
        await poll("Online again", async () =>
            (await pingStatus(instanceId)) === "Online" ? true : undefined,
        );
    });

    it("under the instant profile every transition has ended by the next call, answers keep AWS's states", async () => {
        const instanceId = await launch();
        assert.equal(await stateOf(instanceId), "running");
        const { StoppingInstances } = await ec2().send(
            new StopInstancesCommand({ InstanceIds: [instanceId] }),
        );
        assert.equal(StoppingInstances![0].CurrentState!.Name, "stopping");
        assert.equal(await stateOf(instanceId), "stopped");
        const { StartingInstances } = await ec2().send(
            new StartInstancesCommand({ InstanceIds: [instanceId] }),
        );
        assert.equal(StartingInstances![0].CurrentState!.Name, "pending");
        assert.equal(await stateOf(instanceId), "running");
    });
});
