/**
 * AWS's public Windows Server AMIs and their SSM parameters (windows_images.py): the product's
 * Windows helper is launched from /aws/service/ami-windows-latest/..., which moto lacks.
 */
import * as assert from "node:assert/strict";
import {
    DescribeImagesCommand,
    DescribeInstancesCommand,
    EC2Client,
    Image,
    RunInstancesCommand,
} from "@aws-sdk/client-ec2";
import {
    GetParameterCommand,
    GetParametersByPathCommand,
    GetParametersCommand,
    SSMClient,
} from "@aws-sdk/client-ssm";
import { emulator } from "../hooks";

const VERSIONS = ["2016", "2019", "2022", "2025"];
const PATH = "/aws/service/ami-windows-latest";
const parameter = (version: string) => `${PATH}/Windows_Server-${version}-English-Full-Base`;

const ec2 = () => new EC2Client({ maxAttempts: 1 });
const ssm = () => new SSMClient({ maxAttempts: 1 });

async function imageIdOf(version: string): Promise<string> {
    const { Parameter } = await ssm().send(new GetParameterCommand({ Name: parameter(version) }));
    assert.equal(Parameter?.Type, "String");
    assert.equal(Parameter?.DataType, "aws:ec2:image");
    return Parameter!.Value!;
}

async function image(imageId: string): Promise<Image> {
    const { Images } = await ec2().send(new DescribeImagesCommand({ ImageIds: [imageId] }));
    assert.equal(Images?.length, 1, `${imageId} is not described`);
    return Images[0];
}

/** Each version's image id, read through its parameter, after checking the image it names. */
async function checkedImages(): Promise<Record<string, string>> {
    const ids: Record<string, string> = {};
    for (const version of VERSIONS) {
        ids[version] = await imageIdOf(version);
        const found = await image(ids[version]);
        assert.match(
            found.Name ?? "",
            new RegExp(`^Windows_Server-${version}-English-Full-Base-\\d{4}\\.\\d\\d\\.\\d\\d$`),
        );
        assert.match(
            found.Description ?? "",
            new RegExp(`^Microsoft Windows Server ${version} .*AMI provided by Amazon$`),
        );
        assert.deepEqual(
            [found.OwnerId, found.ImageOwnerAlias, found.Public],
            ["801119661308", "amazon", true],
        );
        assert.deepEqual(
            [found.Platform, found.PlatformDetails, found.Architecture],
            ["windows", "Windows", "x86_64"],
        );
        assert.deepEqual([found.RootDeviceName, found.RootDeviceType], ["/dev/sda1", "ebs"]);
        const root = found.BlockDeviceMappings?.find((m) => m.DeviceName === "/dev/sda1");
        assert.match(root?.Ebs?.SnapshotId ?? "", /^snap-/);
        assert.equal(root?.Ebs?.VolumeSize, 30);
    }
    return ids;
}

describe("Windows Server public images and their SSM parameters", () => {
    before(() => emulator().reset());

    it("each parameter names an Amazon Windows image of that version", async () => {
        const ids = await checkedImages();
        assert.equal(new Set(Object.values(ids)).size, VERSIONS.length, "one image per version");
    });

    it("GetParametersByPath lists the four; GetParameters answers them with moto's Linux ones", async () => {
        const { Parameters } = await ssm().send(new GetParametersByPathCommand({ Path: PATH }));
        assert.deepEqual(Parameters!.map((p) => p.Name).sort(), VERSIONS.map(parameter));
        const linux = "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64";
        const both = await ssm().send(
            new GetParametersCommand({ Names: [parameter("2019"), linux] }),
        );
        assert.deepEqual(
            both.Parameters!.map((p) => p.Name).sort(),
            [linux, parameter("2019")].sort(),
        );
        assert.deepEqual(both.InvalidParameters, []);
    });

    it("RunInstances of the 2022 image gives a Windows instance with its root at /dev/sda1", async () => {
        const { Instances } = await ec2().send(
            new RunInstancesCommand({
                ImageId: await imageIdOf("2022"),
                InstanceType: "m5.large",
                MinCount: 1,
                MaxCount: 1,
            }),
        );
        assert.equal(Instances![0].Platform, "windows");
        const { Reservations } = await ec2().send(
            new DescribeInstancesCommand({ InstanceIds: [Instances![0].InstanceId!] }),
        );
        const instance = Reservations![0].Instances![0];
        assert.deepEqual(
            [instance.Platform, instance.PlatformDetails, instance.RootDeviceName],
            ["windows", "Windows", "/dev/sda1"],
        );
        assert.ok(
            instance.BlockDeviceMappings!.some((m) => m.DeviceName === "/dev/sda1"),
            "a volume at the root device",
        );
    });

    it("survives a reset with the same ids", async () => {
        const before = await checkedImages();
        await emulator().reset();
        assert.deepEqual(await checkedImages(), before);
    });
});
