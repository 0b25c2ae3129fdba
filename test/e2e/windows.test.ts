/**
 * End to end for Windows targets: the program deployed by the harness against the emulator,
 * as test/e2e/reset-access.test.ts does for Linux. Where pwsh, ntfs-3g and loop devices are here,
 * the emulator runs the document's real script under pwsh against an NTFS image behind the
 * target's root volume (test/support/windows-script.ts), and the test reads the edits back from
 * the image; elsewhere test/support/powershell-stand-in.ts ends the invocation with the output the
 * script prints (each test prints which ran). Everything around it runs: the platform read from
 * the instance, the helper of another Windows Server version, the volume at xvdf, the document,
 * the password-enabled AMI taken before the target starts, the replacement, destroy.
 */
import * as assert from "node:assert/strict";
import * as zlib from "node:zlib";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import {
    CreateKeyPairCommand,
    CreateTagsCommand,
    DescribeImagesCommand,
    EC2Client,
} from "@aws-sdk/client-ec2";
import { IAMClient } from "@aws-sdk/client-iam";
import { GetDocumentCommand, GetParameterCommand, SSMClient } from "@aws-sdk/client-ssm";
import { CallRecord } from "../../harness/emulator";
import { deploy, destroy, update } from "../../harness/deployment";
import { emulator } from "../hooks";
import { createSsmInstanceProfile, uniqueName } from "../../rehearsal/ssm-profile";
import { describeInstance } from "../../lib/ec2-instance";
import { contextOf, createWindowsTarget, targetShape, wholeShape } from "../../rehearsal/targets";
import { inventory } from "../../harness/inventory";
import { scriptOnTarget, SYSTEM_HIVE } from "../support/windows-script";
import { E2E_TIME_SCALE, useRealisticEmulation } from "../support/realistic-emulation";
import { isProbeDocument, isResetDocument } from "../support/documents";
import { SCRIPT_PATH } from "../../lib/windows-document";
import {
    ACCOUNT,
    callsIn,
    createHelperBoundary,
    deniedRequests,
    ec2TagsNow,
    readPolicy,
    timed,
    worldAfter,
} from "../support/iam-evaluation";
import { ALLOWED_TAG, assertOperatorPolicyAllows } from "./reset-access.test";
import resetAccessProgram = require("../../index");

const windowsImage = async (version: string) =>
    (
        await new SSMClient({}).send(
            new GetParameterCommand({
                Name: `/aws/service/ami-windows-latest/Windows_Server-${version}-English-Full-Base`,
            }),
        )
    ).Parameter!.Value!;

describe("pulumi up / pulumi destroy for a Windows target, end to end", function () {
    this.timeout(300_000);
    const ec2 = new EC2Client({});

    useRealisticEmulation(E2E_TIME_SCALE, { loopDevices: false });
    let dir: string;
    beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), "windows-e2e-"))));
    afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

    it("re-enables the password, takes the password-enabled AMI before the target starts, launches the replacement; destroy keeps them", async () => {
        await ec2.send(new CreateKeyPairCommand({ KeyName: "ops" }));
        await ec2.send(new CreateKeyPairCommand({ KeyName: "new-key" }));
        const instanceProfileName = uniqueName("web");
        await createSsmInstanceProfile(new IAMClient({}), instanceProfileName);
        const ctx = contextOf(
            await createWindowsTarget(ec2, {
                version: "2019",
                keyName: "ops",
                instanceProfileName,
            }),
        );
        await ec2.send(
            new CreateTagsCommand({
                Resources: [ctx.instanceId],
                Tags: [{ Key: ALLOWED_TAG, Value: "true" }],
            }),
        );
        const config = {
            "ec2-reset-access:instanceId": ctx.instanceId,
            "ec2-reset-access:newKeyName": "new-key",
            "ec2-reset-access:helperPermissionsBoundary": await createHelperBoundary(),
        };
        const before = await inventory();
        const script = await scriptOnTarget(ctx.rootVolumeId, "EC2Launch v2", dir);
        const since = Date.now() / 1000;

        const { result: up, window: upWindow } = await timed(() =>
            deploy(resetAccessProgram, { config }),
        );
        assert.equal(up.error, undefined, up.error?.stack);
        const out = up.outputs;
        assert.equal(out.platform, "windows");
        assert.equal(out.windowsAgent, "EC2Launch v2");
        assert.equal(out.targetState, "running");
        assert.equal(out.keyParameterName, undefined, "no SSH key for Windows");
        assert.deepEqual(await targetShape(ec2, ctx), wholeShape(ctx));
        if (script.kind === "real script (pwsh)") {
            const files = script.files();
            assert.match(
                (
                    files.get("ProgramData\\Amazon\\EC2Launch\\config\\agent-config.yml") as Buffer
                ).toString("latin1"),
                /password:\n {8}type: random\n/,
            );
            assert.ok(
                !files.has("ProgramData\\Amazon\\EC2Launch\\state\\.run-once"),
                "the script deleted .run-once on the target's volume",
            );
        }

        const helper = await describeInstance(ec2, String(out.helperInstanceId));
        assert.equal(
            helper.ImageId,
            await windowsImage("2022"),
            "a Windows Server 2019 target gets a 2022 helper",
        );
        assert.equal(helper.Platform, "windows");

        const calls = await emulator().calls({ since });
        const probe = only(
            calls.filter((c) => isProbeDocument(c.params.DocumentName)),
            "SendCommand",
        );
        const stop = calls.findIndex(
            (c) =>
                c.operation === "StopInstances" &&
                JSON.stringify(c.params).includes(ctx.instanceId),
        );
        assert.ok(
            calls.indexOf(probe) < stop,
            "the helper answered its probe before the target was stopped",
        );
        const send = only(
            calls.filter((c) => isResetDocument(c.params.DocumentName)),
            "SendCommand",
        );
        assert.deepEqual(send.params.Parameters, {
            volumeId: [ctx.rootVolumeId],
            deviceName: ["xvdf"],
        });
        const toHelper = calls.findIndex(
            (c) => c.operation === "AttachVolume" && c.params.InstanceId === helper.InstanceId,
        );
        assert.equal(calls[toHelper].params.Device, "xvdf");
        assert.ok(toHelper < calls.indexOf(send), "the volume is on the helper before the command");
        await assertWindowsDocument(String(send.params.DocumentName));

        const image = (
            await ec2.send(
                new DescribeImagesCommand({ ImageIds: [String(out.passwordEnabledImageId)] }),
            )
        ).Images![0];
        assert.equal(
            image.Name,
            `AWSSupport-EC2Rescue_Password-enabled AMI from ${ctx.instanceId}`,
        );
        assert.equal(
            image.Tags?.find((t) => t.Key === "Name")?.Value,
            `AWSSupport-EC2Rescue: Password-enabled AMI from ${ctx.instanceId}`,
        );
        assert.equal(image.State, "available", "newKeyName waits for it");
        const created = calls.findIndex(
            (c) =>
                c.operation === "CreateImage" && String(c.params.Name).includes("Password-enabled"),
        );
        const backOnTarget = calls.findIndex(
            (c) => c.operation === "AttachVolume" && c.params.InstanceId === ctx.instanceId,
        );
        const started = calls.findIndex(
            (c) =>
                c.operation === "StartInstances" &&
                JSON.stringify(c.params).includes(ctx.instanceId),
        );
        assert.ok(
            backOnTarget < created && created < started,
            "the AMI is taken with the reset volume back on the target, before the target boots",
        );

        const replacement = await describeInstance(ec2, String(out.replacementInstanceId));
        assert.equal(replacement.ImageId, image.ImageId);
        assert.equal(replacement.KeyName, "new-key");
        const target = await describeInstance(ec2, ctx.instanceId);
        assert.equal(replacement.SubnetId, target.SubnetId);
        assert.equal(replacement.InstanceType, target.InstanceType);
        assert.deepEqual(replacement.SecurityGroups, target.SecurityGroups);
        assert.equal(replacement.IamInstanceProfile?.Arn, target.IamInstanceProfile?.Arn);
        assert.match(
            String(out.passwordInstructions),
            new RegExp(
                `get-password-data --instance-id ${ctx.instanceId} --priv-launch-key ops\\.pem`,
            ),
        );
        assert.match(
            String(out.passwordInstructions),
            new RegExp(
                `get-password-data --instance-id ${replacement.InstanceId} --priv-launch-key new-key\\.pem`,
            ),
        );

        const beforeAgain = Date.now() / 1000;
        const { result: again, window: updateWindow } = await timed(() =>
            update(resetAccessProgram, up.state, { config }),
        );
        assert.equal(again.error, undefined, again.error?.stack);
        const writes = (await emulator().calls({ since: beforeAgain })).filter(
            (c) => !/^(Describe|Get|List)/.test(c.operation),
        );
        assert.deepEqual(
            writes.map((c) => c.operation),
            [],
            "the second up makes no AWS change",
        );

        const aliveTags = await ec2TagsNow("us-east-1");
        const { result: left, window: destroyWindow } = await timed(() => destroy(again.state));
        assert.deepEqual(left.resources, []);
        const runCalls = callsIn(await emulator().calls(), [upWindow, updateWindow, destroyWindow]);
        // The replacement runs with the target's own instance profile: passing its role needs the
        // README's opt-in statement; without it, that is the one request denied.
        const targetRole = `arn:aws:iam::${ACCOUNT}:role/${instanceProfileName}`;
        const policy = readPolicy("iam/operator-policy.json");
        const denied = await deniedRequests(
            [policy],
            runCalls,
            await worldAfter(runCalls, "us-east-1", aliveTags),
        );
        assert.deepEqual(
            denied.map((d) => d.split(" (from")[0]),
            [
                `ImplicitlyDenied: iam:PassRole on ${targetRole} {"iam:PassedToService":"ec2.amazonaws.com"}`,
            ],
        );
        await assertOperatorPolicyAllows(runCalls, aliveTags, [
            {
                Sid: "PassTheTargetsRoleToItsReplacement",
                Effect: "Allow",
                Action: "iam:PassRole",
                Resource: targetRole,
                Condition: { StringEquals: { "iam:PassedToService": "ec2.amazonaws.com" } },
            },
        ]);
        const after = await inventory();
        assert.deepEqual(
            after.liveInstances,
            [...before.liveInstances, replacement.InstanceId!].sort(),
            "only the replacement stays, beside the target",
        );
        assert.deepEqual(
            { ...after, images: [], liveInstances: [] },
            { ...before, images: [], liveInstances: [] },
            "no temporary resource left",
        );
        assert.deepEqual(
            after.images.sort(),
            [`AWSSupport-EC2Rescue_${ctx.instanceId}`, image.Name].sort(),
            "the backup and the password-enabled AMI are kept",
        );
        assert.deepEqual(await targetShape(ec2, ctx), wholeShape(ctx));
    });

    it("when the script refuses, up names its reason, the target is whole and no password-enabled AMI is made", async () => {
        const ctx = contextOf(await createWindowsTarget(ec2, { version: "2022" }));
        const config = { "ec2-reset-access:instanceId": ctx.instanceId };
        const before = await inventory();
        const reason = `expected one partition of disk 1 holding ${SYSTEM_HIVE}, found 0`;
        const script = await scriptOnTarget(ctx.rootVolumeId, "no Windows", dir);
        const volumeBefore = script.kind === "real script (pwsh)" ? script.files() : undefined;

        const up = await deploy(resetAccessProgram, { config });
        assert.ok(up.error, "up fails");
        assert.match(
            up.error.message,
            new RegExp(
                `^step "reset access offline" failed for ${ctx.instanceId}: the reset script ended Failed \\(exit code 1`,
            ),
        );
        assert.ok(up.error.message.includes(reason), up.error.message);
        assert.match(up.error.message, /The instance is whole again/);
        assert.deepEqual(await targetShape(ec2, ctx), wholeShape(ctx));
        if (volumeBefore)
            assert.deepEqual(script.files(), volumeBefore, "the refused volume is as it was");
        const helper = up.state.resources.find(
            (r) => r.type === "aws:ec2/instance:Instance" && r.name === "reset-helper",
        )!;
        assert.equal(
            (await describeInstance(ec2, helper.id)).ImageId,
            await windowsImage("2019"),
            "a 2022 target gets a 2019 helper",
        );

        await destroy(up.state);
        assert.deepEqual(
            (await inventory()).images,
            [`AWSSupport-EC2Rescue_${ctx.instanceId}`],
            "only the backup",
        );
        assert.deepEqual({ ...(await inventory()), images: [] }, { ...before, images: [] });
        assert.deepEqual(await targetShape(ec2, ctx), wholeShape(ctx));
    });
});

function only(calls: CallRecord[], operation: string): CallRecord {
    const found = calls.filter((c) => c.operation === operation);
    assert.equal(found.length, 1, `one ${operation}: ${found.length}`);
    return found[0];
}

/** The document the helper ran carries the script, byte for byte, and runs it with PowerShell. */
async function assertWindowsDocument(name: string): Promise<void> {
    const doc = await new SSMClient({}).send(new GetDocumentCommand({ Name: name }));
    const step = JSON.parse(doc.Content!).mainSteps[0];
    assert.equal(step.action, "aws:runPowerShellScript");
    const lines: string[] = step.inputs.runCommand;
    const packed = lines.slice(lines.indexOf("$packed = @'") + 1, lines.indexOf("'@")).join("");
    assert.equal(
        zlib.gunzipSync(Buffer.from(packed, "base64")).toString("utf8"),
        fs.readFileSync(SCRIPT_PATH, "utf8"),
    );
}
