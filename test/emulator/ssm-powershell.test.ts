/**
 * The emulator runs aws:runPowerShellScript with pwsh (emulator/powershell_runner.py): the
 * project's Windows document, sent with SendCommand to a managed Windows instance, runs the real
 * enable-password-reset.ps1 against the NTFS disk image registered for the attached volume,
 * through the Storage-cmdlet stand-in (emulator/powershell/StorageStandIn.psm1: the volume's
 * loop device, its MBR partition, an ntfs-3g mount). Needs pwsh, root, loop devices, FUSE and
 * ntfs-3g: skipped with the reason elsewhere. Not Windows: the Storage module, drive letters and
 * Windows PowerShell 5.1 are stood in for (see the stand-in's header).
 */
import * as assert from "node:assert/strict";
import * as path from "node:path";
import {
    AttachVolumeCommand,
    CreateVolumeCommand,
    DescribeInstancesCommand,
    RunInstancesCommand,
} from "@aws-sdk/client-ec2";
import {
    CreateDocumentCommand,
    GetParameterCommand,
    SendCommandCommand,
} from "@aws-sdk/client-ssm";
import { windowsDocumentContent } from "../../lib/windows-document";
import { planEdits } from "../../tools/windows-agent-model/agent-edits";
import { fixture, replaceOnce } from "../windows/helpers";
import { makeWindowsDiskImage, readWindowsDiskImage, VolumeTree } from "../windows/ntfs-volume";
import { ntfsSkipReason, skipUnless } from "../windows/pwsh";
import { emulator } from "../hooks";
import { ec2, finished, instanceProfile, removeTempDirs, ssm, tempDir } from "./ssm-support.test";

const V2_CONFIG = "ProgramData\\Amazon\\EC2Launch\\config\\agent-config.yml";
const V2_RUN_ONCE = "ProgramData\\Amazon\\EC2Launch\\state\\.run-once";
const V1_CONFIG = "ProgramData\\Amazon\\EC2-Windows\\Launch\\Config\\LaunchConfig.json";
const V1_TASK = "Windows\\System32\\Tasks\\Amazon Ec2 Launch - Instance Initialization";
const SYSTEM_HIVE = "Windows\\System32\\config\\SYSTEM";

/** A managed Windows Server 2022 instance with a volume holding `tree` attached at xvdf. */
async function windowsInstanceWithVolume(
    tree: VolumeTree,
): Promise<{ instanceId: string; volumeId: string; image: string }> {
    const { Parameter } = await ssm().send(
        new GetParameterCommand({
            Name: "/aws/service/ami-windows-latest/Windows_Server-2022-English-Full-Base",
        }),
    );
    const { Instances } = await ec2().send(
        new RunInstancesCommand({
            ImageId: Parameter!.Value!,
            InstanceType: "m5.large",
            MinCount: 1,
            MaxCount: 1,
            IamInstanceProfile: { Arn: await instanceProfile() },
        }),
    );
    const instanceId = Instances![0].InstanceId!;
    const { Reservations } = await ec2().send(
        new DescribeInstancesCommand({ InstanceIds: [instanceId] }),
    );
    const { VolumeId } = await ec2().send(
        new CreateVolumeCommand({
            AvailabilityZone: Reservations![0].Instances![0].Placement!.AvailabilityZone!,
            Size: 1,
        }),
    );
    const image = path.join(tempDir("windows-disk-"), "disk.img");
    makeWindowsDiskImage(image, tree);
    await emulator().control("POST", "/disks", { volumeId: VolumeId, path: image });
    await ec2().send(new AttachVolumeCommand({ VolumeId, InstanceId: instanceId, Device: "xvdf" }));
    return { instanceId, volumeId: VolumeId!, image };
}

async function runWindowsDocument(instanceId: string, volumeId: string) {
    const name = `ec2-reset-access-windows-${Date.now()}`;
    await ssm().send(
        new CreateDocumentCommand({
            Name: name,
            Content: windowsDocumentContent(),
            DocumentType: "Command",
            DocumentFormat: "JSON",
        }),
    );
    const { Command } = await ssm().send(
        new SendCommandCommand({
            DocumentName: name,
            InstanceIds: [instanceId],
            Parameters: { volumeId: [volumeId], deviceName: ["xvdf"] },
        }),
    );
    return finished(Command!.CommandId!, instanceId, 300_000);
}

const lastJson = (stdout: string) => JSON.parse(stdout.trimEnd().split("\n").pop()!);
const text = (files: Map<string, Buffer | string>, name: string) =>
    (files.get(name) as Buffer).toString("latin1");

describe("emulator: aws:runPowerShellScript runs the real Windows script under pwsh", function () {
    this.timeout(600_000);
    beforeEach(async function () {
        skipUnless(this, ntfsSkipReason());
        await emulator().reset();
        const capability = await emulator().control<{
            loopDevices: boolean;
            reason: string | null;
        }>("GET", "/disks/capability");
        skipUnless(
            this,
            capability.loopDevices ? null : `loop devices unavailable: ${capability.reason}`,
        );
    });

    afterEach(async () => {
        await emulator().reset();
        removeTempDirs();
    });

    it("the Windows document re-enables EC2Launch v2's password on the attached volume's NTFS partition", async () => {
        const config = replaceOnce(
            fixture("ec2launch-v2/agent-config.yml"),
            "        type: random\n",
            "        type: static\n        data: Sup3r-Secret!\n",
        );
        const { instanceId, volumeId, image } = await windowsInstanceWithVolume({
            [SYSTEM_HIVE]: "regf",
            [V2_CONFIG]: config,
            [V2_RUN_ONCE]: "",
        });
        const out = await runWindowsDocument(instanceId, volumeId);
        assert.equal(
            out.Status,
            "Success",
            `${out.StandardOutputContent}${out.StandardErrorContent}`,
        );
        const result = lastJson(out.StandardOutputContent!);
        assert.deepEqual(
            [result.status, result.volumeId, result.agent],
            ["ok", volumeId, "EC2Launch v2"],
        );
        assert.match(
            out.StandardOutputContent!,
            /==> Bringing disk 1 online \(its signature is kept\)\n[\s\S]*==> Taking disk 1 offline\n/,
        );
        const after = readWindowsDiskImage(image);
        assert.equal(
            text(after, V2_CONFIG),
            planEdits("EC2Launch v2", { [V2_CONFIG]: config }).files[V2_CONFIG],
        );
        assert.ok(!after.has(V2_RUN_ONCE));
        assert.equal(
            [...after.keys()].filter((name) => name.includes(".ec2-reset-access.bak-")).length,
            2,
        );
    });

    it("a refusal (EC2Launch v1 after its first boot) fails the command with exit 1 and leaves the volume as it was", async () => {
        const tree = {
            [SYSTEM_HIVE]: "regf",
            [V1_CONFIG]: fixture("ec2launch-v1/LaunchConfig.json"),
            [V1_TASK]: fixture("ec2launch-v1/instance-initialization.after-run.xml"),
        };
        const { instanceId, volumeId, image } = await windowsInstanceWithVolume(tree);
        const before = readWindowsDiskImage(image);
        const out = await runWindowsDocument(instanceId, volumeId);
        assert.equal(out.Status, "Failed");
        assert.equal(out.ResponseCode, 1);
        assert.match(lastJson(out.StandardOutputContent!).error, /the task is disabled/);
        assert.deepEqual(readWindowsDiskImage(image), before);
    });
});
