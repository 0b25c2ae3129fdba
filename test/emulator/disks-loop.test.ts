/**
 * Disk images behind EBS volumes: while attached, a real loop device that a command finds through
 * DISK_BY_ID_DIR / EBS_DEVICE_DIR. Needs root and loop devices: skipped (with the reason) elsewhere.
 */
import * as assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import {
    AttachVolumeCommand,
    CreateVolumeCommand,
    DescribeInstancesCommand,
    DetachVolumeCommand,
    TerminateInstancesCommand,
} from "@aws-sdk/client-ec2";
import { emulator } from "../hooks";
import { requireCapability, skipWith } from "../support/requirements";
import {
    ec2,
    finished,
    managedInstance,
    removeTempDirs,
    runShell,
    tempDir,
} from "./ssm-support.test";

interface DiskView {
    volumeId: string;
    path: string;
    instanceId: string | null;
    device: string | null;
    loopDevice: string | null;
    error: string | null;
}

/** A 16 MiB sparse ext4 image holding hello.txt. */
function ext4Image(text: string): string {
    const dir = tempDir("disk-test-");
    fs.mkdirSync(path.join(dir, "content"));
    fs.writeFileSync(path.join(dir, "content", "hello.txt"), text);
    const image = path.join(dir, "disk.img");
    fs.closeSync(fs.openSync(image, "w"));
    fs.truncateSync(image, 16 * 1024 * 1024);
    execFileSync("mkfs.ext4", ["-q", "-F", "-d", path.join(dir, "content"), image]);
    return image;
}

function loopsOf(image: string): string {
    return execFileSync("losetup", ["-j", image], { encoding: "utf8" }).trim();
}

async function volumeFor(instanceId: string): Promise<string> {
    const { Reservations } = await ec2().send(
        new DescribeInstancesCommand({ InstanceIds: [instanceId] }),
    );
    const zone = Reservations![0].Instances![0].Placement!.AvailabilityZone!;
    const { VolumeId } = await ec2().send(
        new CreateVolumeCommand({ AvailabilityZone: zone, Size: 1 }),
    );
    return VolumeId!;
}

const disks = async () => (await emulator().control<{ disks: DiskView[] }>("GET", "/disks")).disks;

describe("emulator disks: images behind EBS volumes", () => {
    before(function () {
        requireCapability(this, "loop-devices", "e2fsprogs");
    });

    beforeEach(async function () {
        await emulator().reset();
        const capability = await emulator().control<{
            loopDevices: boolean;
            reason: string | null;
        }>("GET", "/disks/capability");
        if (!capability.loopDevices)
            skipWith(this, `the emulator finds loop devices unavailable: ${capability.reason}`);
    });

    afterEach(async () => {
        await emulator().reset(); // releases the loop devices before their images go
        removeTempDirs();
    });

    it("gives an attached volume a loop device that a command mounts through DISK_BY_ID_DIR, released on detach", async () => {
        const image = ext4Image("hello from the disk\n");
        const instanceId = await managedInstance();
        const volumeId = await volumeFor(instanceId);
        await emulator().control("POST", "/disks", { volumeId, path: image });
        assert.equal(loopsOf(image), "", "a loop device before AttachVolume");

        await ec2().send(
            new AttachVolumeCommand({
                VolumeId: volumeId,
                InstanceId: instanceId,
                Device: "/dev/sdf",
            }),
        );
        const [disk] = await disks();
        assert.deepEqual(
            { ...disk, loopDevice: undefined },
            {
                volumeId,
                path: image,
                instanceId,
                device: "/dev/sdf",
                loopDevice: undefined,
                error: null,
            },
        );
        assert.match(disk.loopDevice!, /^\/dev\/loop\d+$/);
        assert.match(loopsOf(image), new RegExp(`^${disk.loopDevice}:`));

        const byId = `nvme-Amazon_Elastic_Block_Store_${volumeId.replace("-", "")}`;
        const out = await finished(
            await runShell(instanceId, [
                "set -eu",
                `device=$(readlink -f "$DISK_BY_ID_DIR/${byId}")`,
                'echo "device=$device ebs=$(readlink -f "$EBS_DEVICE_DIR/sdf")"',
                "mnt=$(mktemp -d)",
                'unshare --mount sh -c "mount -o ro $device $mnt && cat $mnt/hello.txt"',
                'rmdir "$mnt"',
            ]),
            instanceId,
        );
        assert.equal(out.Status, "Success", out.StandardErrorContent);
        assert.equal(
            out.StandardOutputContent,
            `device=${disk.loopDevice} ebs=${disk.loopDevice}\nhello from the disk\n`,
        );

        await ec2().send(new DetachVolumeCommand({ VolumeId: volumeId, InstanceId: instanceId }));
        assert.equal(loopsOf(image), "", "the loop device outlived DetachVolume");
        assert.deepEqual(
            (await disks()).map((d) => [d.instanceId, d.loopDevice]),
            [[null, null]],
        );
        const after = await finished(
            await runShell(instanceId, [
                'ls -A "$DISK_BY_ID_DIR" "$EBS_DEVICE_DIR" | grep -v : | grep . || echo none',
            ]),
            instanceId,
        );
        assert.equal(after.StandardOutputContent, "none\n");
    });

    it("sets up a volume already attached when it is registered, and releases it on terminate and on reset", async () => {
        const instanceId = await managedInstance();
        const [first, second] = [await volumeFor(instanceId), await volumeFor(instanceId)];
        const [imageA, imageB] = [ext4Image("a"), ext4Image("b")];
        await ec2().send(
            new AttachVolumeCommand({
                VolumeId: first,
                InstanceId: instanceId,
                Device: "/dev/sdg",
            }),
        );
        await ec2().send(
            new AttachVolumeCommand({
                VolumeId: second,
                InstanceId: instanceId,
                Device: "/dev/sdh",
            }),
        );
        const registered = await emulator().control<DiskView>("POST", "/disks", {
            volumeId: first,
            path: imageA,
        });
        assert.match(registered.loopDevice ?? "", /^\/dev\/loop\d+$/);
        await emulator().control("POST", "/disks", { volumeId: second, path: imageB });
        assert.notEqual(loopsOf(imageB), "");

        await ec2().send(new TerminateInstancesCommand({ InstanceIds: [instanceId] }));
        assert.equal(loopsOf(imageA), "", "terminate left a loop device");
        assert.equal(loopsOf(imageB), "", "terminate left a loop device");

        const other = await managedInstance();
        const third = await volumeFor(other);
        await emulator().control("POST", "/disks", { volumeId: third, path: imageA });
        await ec2().send(
            new AttachVolumeCommand({ VolumeId: third, InstanceId: other, Device: "/dev/sdf" }),
        );
        assert.notEqual(loopsOf(imageA), "");
        await emulator().reset();
        assert.equal(loopsOf(imageA), "", "reset left a loop device");
        assert.deepEqual(await disks(), []);
    });

    it("refuses a relative or missing path and an unknown volume; unregisters with DELETE", async () => {
        const instanceId = await managedInstance();
        const volumeId = await volumeFor(instanceId);
        await assert.rejects(
            emulator().control("POST", "/disks", { volumeId, path: "disk.img" }),
            /absolute path/,
        );
        await assert.rejects(
            emulator().control("POST", "/disks", { volumeId, path: "/nonexistent/disk.img" }),
            /absolute path/,
        );
        await assert.rejects(
            emulator().control("POST", "/disks", {
                volumeId: "vol-0123456789abcdef0",
                path: ext4Image("x"),
            }),
            /no volume/,
        );
        const image = ext4Image("x");
        await emulator().control("POST", "/disks", { volumeId, path: image });
        await ec2().send(
            new AttachVolumeCommand({
                VolumeId: volumeId,
                InstanceId: instanceId,
                Device: "/dev/sdf",
            }),
        );
        await emulator().control("DELETE", "/disks", { volumeId });
        assert.equal(loopsOf(image), "");
        assert.deepEqual(await disks(), []);
    });
});
