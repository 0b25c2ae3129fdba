/**
 * Where moto's EC2 model is not AWS's: the root device a launch attaches, CreateImage's snapshots,
 * Marketplace product codes, reboots.
 */
import * as assert from "node:assert/strict";
import {
    AttachVolumeCommand,
    CreateImageCommand,
    CreateVolumeCommand,
    DescribeImagesCommand,
    DescribeSnapshotsCommand,
    DescribeVolumeAttributeCommand,
    RebootInstancesCommand,
    RunInstancesCommand,
    StopInstancesCommand,
} from "@aws-sdk/client-ec2";
import { emulator } from "../hooks";
import {
    describeInstance,
    ec2,
    launch,
    linuxImage,
    rootVolume,
    stateOf,
    volume,
} from "./ec2-support.test";

describe("EC2 launches: block devices", () => {
    beforeEach(() => emulator().reset());

    it("attaches the default root volume at the image's RootDeviceName, deleted on termination", async () => {
        const instance = await describeInstance(await launch());
        assert.equal(instance.RootDeviceName, "/dev/xvda");
        assert.deepEqual(
            instance.BlockDeviceMappings!.map((m) => [
                m.DeviceName,
                m.Ebs!.DeleteOnTermination,
                m.Ebs!.Status,
            ]),
            [["/dev/xvda", true, "attached"]],
        );
        const root = await volume(instance.BlockDeviceMappings![0].Ebs!.VolumeId!);
        assert.equal(root.Attachments![0].Device, "/dev/xvda");
        assert.match(
            root.SnapshotId ?? "",
            /^snap-/,
            "the root volume comes from the image's snapshot",
        );
    });

    it("adds the image's root volume when the mappings omit it; launch-time volumes default to DeleteOnTermination", async () => {
        const instance = await describeInstance(
            await launch({
                BlockDeviceMappings: [
                    { DeviceName: "/dev/sdf", Ebs: { VolumeSize: 2 } },
                    { DeviceName: "/dev/sdg", Ebs: { VolumeSize: 3, DeleteOnTermination: false } },
                ],
            }),
        );
        const devices = Object.fromEntries(
            instance.BlockDeviceMappings!.map((m) => [m.DeviceName, m.Ebs!.DeleteOnTermination]),
        );
        assert.deepEqual(devices, { "/dev/sdf": true, "/dev/sdg": false, "/dev/xvda": true });
        assert.ok(
            instance.BlockDeviceMappings!.some((m) => m.DeviceName === instance.RootDeviceName),
        );
    });

    it("RunInstances answers with no block devices yet, as for any pending instance", async () => {
        const { Instances } = await ec2().send(
            new RunInstancesCommand({
                ImageId: await linuxImage(),
                InstanceType: "t3.micro",
                MinCount: 1,
                MaxCount: 1,
            }),
        );
        assert.deepEqual(Instances![0].BlockDeviceMappings, []);
        assert.equal(Instances![0].RootDeviceName, "/dev/xvda");
    });
});

describe("EC2 CreateImage", () => {
    beforeEach(() => emulator().reset());

    it("snapshots the instance's actual volumes: devices, sizes, source volumes; tags images and snapshots", async () => {
        const instanceId = await launch({
            BlockDeviceMappings: [{ DeviceName: "/dev/xvda", Ebs: { VolumeSize: 10 } }],
        });
        const { VolumeId } = await ec2().send(
            new CreateVolumeCommand({ AvailabilityZone: "us-east-1a", Size: 3, VolumeType: "gp3" }),
        );
        await ec2().send(
            new AttachVolumeCommand({ VolumeId, InstanceId: instanceId, Device: "/dev/sdf" }),
        );
        await ec2().send(new StopInstancesCommand({ InstanceIds: [instanceId] }));
        const root = await rootVolume(instanceId);

        const { ImageId } = await ec2().send(
            new CreateImageCommand({
                InstanceId: instanceId,
                Name: "AWSSupport-EC2Rescue-backup",
                TagSpecifications: [
                    { ResourceType: "image", Tags: [{ Key: "purpose", Value: "backup" }] },
                    { ResourceType: "snapshot", Tags: [{ Key: "source", Value: instanceId }] },
                ],
            }),
        );
        const image = (await ec2().send(new DescribeImagesCommand({ ImageIds: [ImageId!] })))
            .Images![0];
        assert.equal(image.RootDeviceName, "/dev/xvda");
        assert.equal(image.RootDeviceType, "ebs");
        assert.deepEqual(image.Tags, [{ Key: "purpose", Value: "backup" }]);
        const mappings = image.BlockDeviceMappings!.map((m) => [
            m.DeviceName,
            m.Ebs!.VolumeSize,
            m.Ebs!.DeleteOnTermination,
            m.Ebs!.VolumeType,
        ]);
        assert.deepEqual(mappings, [
            ["/dev/sdf", 3, false, "gp3"],
            ["/dev/xvda", 10, true, "gp2"],
        ]);
        const snapshotIds = image.BlockDeviceMappings!.map((m) => m.Ebs!.SnapshotId!);
        const { Snapshots } = await ec2().send(
            new DescribeSnapshotsCommand({ SnapshotIds: snapshotIds }),
        );
        const byId = new Map(Snapshots!.map((s) => [s.SnapshotId, s]));
        assert.deepEqual(
            snapshotIds.map((id) => [byId.get(id)!.VolumeId, byId.get(id)!.VolumeSize]),
            [
                [VolumeId, 3],
                [root, 10],
            ],
        );
        for (const snapshot of Snapshots!)
            assert.deepEqual(snapshot.Tags, [{ Key: "source", Value: instanceId }]);
        const all = await ec2().send(
            new DescribeSnapshotsCommand({
                Filters: [{ Name: "description", Values: [`*${ImageId}`] }],
            }),
        );
        assert.equal(all.Snapshots!.length, 2, "no stand-in 15 GiB snapshot");
    });

    it("with NoReboot false a running instance reboots and stays running", async () => {
        const instanceId = await launch();
        await ec2().send(
            new CreateImageCommand({ InstanceId: instanceId, Name: "live", NoReboot: false }),
        );
        assert.equal(await stateOf(instanceId), "running");
    });
});

describe("EC2 Marketplace product codes", () => {
    beforeEach(() => emulator().reset());

    it("a volume's codes, given by the control route, show in DescribeVolumeAttribute (moto: HTTP 500)", async () => {
        const { VolumeId } = await ec2().send(
            new CreateVolumeCommand({ AvailabilityZone: "us-east-1a", Size: 1 }),
        );
        const attribute = () =>
            ec2().send(new DescribeVolumeAttributeCommand({ VolumeId, Attribute: "productCodes" }));
        assert.deepEqual((await attribute()).ProductCodes, []);
        await emulator().control("POST", "/volumes/product-codes", {
            volumeId: VolumeId,
            productCodes: ["abc123"],
        });
        assert.deepEqual((await attribute()).ProductCodes, [
            { ProductCodeId: "abc123", ProductCodeType: "marketplace" },
        ]);
        await assert.rejects(
            emulator().control("POST", "/volumes/product-codes", {
                volumeId: "vol-0000",
                productCodes: ["x"],
            }),
            /no volume/,
        );
    });

    it("an image's codes go to instances launched from it and their root volumes, and to images made from them", async () => {
        const imageId = await linuxImage();
        await emulator().control("POST", "/images/product-codes", {
            imageId,
            productCodes: ["mkt1"],
        });
        const listed = (await ec2().send(new DescribeImagesCommand({ ImageIds: [imageId] })))
            .Images![0];
        assert.deepEqual(listed.ProductCodes, [
            { ProductCodeId: "mkt1", ProductCodeType: "marketplace" },
        ]);
        const byCode = await ec2().send(
            new DescribeImagesCommand({ Filters: [{ Name: "product-code", Values: ["mkt1"] }] }),
        );
        assert.deepEqual(
            byCode.Images!.map((i) => i.ImageId),
            [imageId],
        );

        const instanceId = await launch();
        const instance = await describeInstance(instanceId);
        assert.deepEqual(instance.ProductCodes, [
            { ProductCodeId: "mkt1", ProductCodeType: "marketplace" },
        ]);
        const root = await rootVolume(instanceId);
        const codes = await ec2().send(
            new DescribeVolumeAttributeCommand({ VolumeId: root, Attribute: "productCodes" }),
        );
        assert.deepEqual(codes.ProductCodes, [
            { ProductCodeId: "mkt1", ProductCodeType: "marketplace" },
        ]);

        const { ImageId } = await ec2().send(
            new CreateImageCommand({ InstanceId: instanceId, Name: "copy" }),
        );
        const copy = (await ec2().send(new DescribeImagesCommand({ ImageIds: [ImageId!] })))
            .Images![0];
        assert.deepEqual(copy.ProductCodes, [
            { ProductCodeId: "mkt1", ProductCodeType: "marketplace" },
        ]);
    });

    it("an existing instance's route gives the instance and its root volume the codes", async () => {
        const instanceId = await launch();
        const out = await emulator().control<{ rootVolumeId: string }>(
            "POST",
            "/instances/product-codes",
            { instanceId, productCodes: ["p1"] },
        );
        assert.equal(out.rootVolumeId, await rootVolume(instanceId));
        assert.deepEqual((await describeInstance(instanceId)).ProductCodes, [
            { ProductCodeId: "p1", ProductCodeType: "marketplace" },
        ]);
        const codes = await ec2().send(
            new DescribeVolumeAttributeCommand({
                VolumeId: out.rootVolumeId,
                Attribute: "productCodes",
            }),
        );
        assert.deepEqual(codes.ProductCodes, [
            { ProductCodeId: "p1", ProductCodeType: "marketplace" },
        ]);
    });
});

describe("EC2 RebootInstances", () => {
    beforeEach(() => emulator().reset());

    it("keeps a stopped instance stopped (moto starts it) and a running one running", async () => {
        const [running, halted] = [await launch(), await launch()];
        await ec2().send(new StopInstancesCommand({ InstanceIds: [halted] }));
        await ec2().send(new RebootInstancesCommand({ InstanceIds: [running, halted] }));
        assert.equal(await stateOf(running), "running");
        assert.equal(await stateOf(halted), "stopped");
    });
});
