/**
 * End to end: the project's program (index.ts) deployed by the harness (Pulumi's mocks, whose
 * resource registrations really create each resource in the emulator and run each dynamic
 * provider as the host does), with the realistic latency profile scaled down, against a target
 * whose root volume is a real XFS image sharing the helper's UUID.
 */
import * as assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { EC2Client } from "@aws-sdk/client-ec2";
import { GetParameterCommand, SSMClient } from "@aws-sdk/client-ssm";
import { deploy, destroy, update } from "../../harness/deployment";
import { CallRecord } from "../../harness/emulator";
import {
    callsIn,
    createHelperBoundary,
    deniedRequests,
    ec2TagsNow,
    PolicyStatement,
    readPolicy,
    timed,
    worldAfter,
} from "../support/iam-evaluation";
import { emulator } from "../hooks";
import { describeInstance } from "../../lib/ec2-instance";
import { contextOf, createTarget, targetShape, wholeShape } from "../../rehearsal/targets";
import { inventory } from "../../harness/inventory";
import { EC2_USER, TargetVolume } from "../../rehearsal/target-volume";
import { E2E_TIME_SCALE, useRealisticEmulation } from "../support/realistic-emulation";
import resetAccessProgram = require("../../index");

describe("pulumi up / pulumi destroy of the program, end to end", function () {
    this.timeout(300_000);
    const ec2 = new EC2Client({});
    let volume: TargetVolume;

    useRealisticEmulation(E2E_TIME_SCALE);

    beforeEach(() => {
        volume = new TargetVolume();
        volume.mountHelperLookalike();
    });

    afterEach(() => volume?.cleanup());

    it("up installs a key only Parameter Store holds; a second up changes nothing; destroy leaves only the backup and the key", async () => {
        const target = await createTarget(ec2, { tags: { Name: "target", [ALLOWED_TAG]: "true" } });
        const ctx = contextOf(target);
        await emulator().control("POST", "/disks", {
            volumeId: ctx.rootVolumeId,
            path: volume.imagePath,
        });
        const config = {
            "ec2-reset-access:instanceId": ctx.instanceId,
            "ec2-reset-access:helperPermissionsBoundary": await createHelperBoundary(),
        };
        const before = await inventory();

        const { result: up, window: upWindow } = await timed(() =>
            deploy(resetAccessProgram, { config }),
        );
        assert.equal(up.error, undefined, up.error?.stack);
        assert.equal(up.outputs.keyParameterName, `/ec2rl/openssh/${ctx.instanceId}/key`);
        assert.deepEqual(up.outputs.usersUpdated, [EC2_USER.name, "deploy"]);
        assert.equal(up.outputs.targetState, "running");
        const stored = await new SSMClient({}).send(
            new GetParameterCommand({
                Name: String(up.outputs.keyParameterName),
                WithDecryption: true,
            }),
        );
        const privateKeyBody = stored
            .Parameter!.Value!.split("\n")
            .filter((l) => l && !l.startsWith("-----"))
            .join("");
        const state = JSON.stringify(up.state);
        for (const piece of privateKeyBody.match(/.{1,40}/g)!)
            assert.ok(!state.includes(piece), "a piece of the private key is in the state");
        const withoutCode = JSON.stringify(
            up.state.resources.map((r) => ({ ...r.inputs, ...r.outputs, __provider: undefined })),
        );
        assert.doesNotMatch(withoutCode, /PRIVATE KEY/, "no private key in any input or output");
        assert.doesNotMatch(
            up.diagnostics.map((d) => d.message).join("\n"),
            /PRIVATE KEY/,
            "nor in the log",
        );
        const keys = volume.readFile(`home/${EC2_USER.name}/.ssh/authorized_keys`);
        assert.ok(keys);
        assert.equal(keys.uid, EC2_USER.uid);
        assert.equal(keys.gid, EC2_USER.gid);
        assert.ok(
            keys.content
                .split("\n")
                .some((line) => line.startsWith(publicKeyOf(stored.Parameter!.Value!))),
            keys.content,
        );
        assert.deepEqual(await targetShape(ec2, ctx), wholeShape(ctx));
        const helper = await describeInstance(ec2, String(up.outputs.helperInstanceId));
        assert.ok(
            ["stopping", "stopped"].includes(helper.State!.Name!),
            `the helper is ${helper.State!.Name}: it should be stopped once done`,
        );

        const since = Date.now() / 1000;
        const { result: again, window: updateWindow } = await timed(() =>
            update(resetAccessProgram, up.state, { config }),
        );
        assert.equal(again.error, undefined, again.error?.stack);
        const writes = (await emulator().calls({ since })).filter(
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
        await assertOperatorPolicyAllows(
            callsIn(await emulator().calls(), [upWindow, updateWindow, destroyWindow]),
            aliveTags,
        );
        const after = await inventory();
        assert.deepEqual(
            { ...after, images: [] },
            { ...before, images: [] },
            "no temporary resource left",
        );
        assert.deepEqual(
            after.images,
            [`AWSSupport-EC2Rescue_${ctx.instanceId}`],
            "the backup is kept",
        );
        assert.deepEqual(await targetShape(ec2, ctx), wholeShape(ctx));
    });

    it("a new rotation, on a fresh helper, revokes the key installed before and keeps every other line in order", async () => {
        const ctx = contextOf(
            await createTarget(ec2, { tags: { Name: "target", [ALLOWED_TAG]: "true" } }),
        );
        await emulator().control("POST", "/disks", {
            volumeId: ctx.rootVolumeId,
            path: volume.imagePath,
        });
        const config = { "ec2-reset-access:instanceId": ctx.instanceId };
        const file = `home/${EC2_USER.name}/.ssh/authorized_keys`;
        const comment = `ec2-reset-access@${ctx.instanceId}`;
        const others = (content: string) =>
            content.split("\n").filter((l) => l && !l.endsWith(` ${comment}`));
        const ours = (content: string) =>
            content.split("\n").filter((l) => l.endsWith(` ${comment}`));

        const first = await deploy(resetAccessProgram, { config });
        assert.equal(first.error, undefined, first.error?.stack);
        const before = volume.readFile(file)!.content;
        assert.deepEqual(ours(before), [first.outputs.publicKey]);

        const rotated = await update(resetAccessProgram, first.state, {
            config: { ...config, "ec2-reset-access:rotation": "2" },
        });
        assert.equal(rotated.error, undefined, rotated.error?.stack);
        const after = volume.readFile(file)!.content;
        assert.notEqual(rotated.outputs.publicKey, first.outputs.publicKey);
        assert.deepEqual(
            ours(after),
            [rotated.outputs.publicKey],
            "the earlier key of this tool is gone, the new one is there once",
        );
        assert.deepEqual(others(after), others(before), "every other line stays, in order");
        assert.notEqual(
            rotated.outputs.helperInstanceId,
            first.outputs.helperInstanceId,
            "a fresh helper for the new rotation",
        );
        const oldHelper = await describeInstance(ec2, String(first.outputs.helperInstanceId)).catch(
            () => undefined,
        );
        assert.ok(
            !oldHelper || ["shutting-down", "terminated"].includes(oldHelper.State!.Name!),
            "the helper that mounted the volume before is gone",
        );

        await destroy(rotated.state);
        assert.deepEqual(await targetShape(ec2, ctx), wholeShape(ctx));
    });
});

/** The admin-set tag that makes an instance a target of iam/operator-policy.json. */
export const ALLOWED_TAG = "ec2-reset-access:allowed";

/**
 * Every call of the run, evaluated against iam/operator-policy.json (plus `optIns`) by the IAM
 * simulator, with its resources' ARNs and tags: none may be denied.
 */
export async function assertOperatorPolicyAllows(
    calls: CallRecord[],
    aliveTags: Map<string, Record<string, string>>,
    optIns: PolicyStatement[] = [],
): Promise<void> {
    for (const operation of [
        "CreateVpc",
        "DeleteVpc",
        "RunInstances",
        "CreateImage",
        "DetachVolume",
        "AttachVolume",
        "SendCommand",
        "StartInstances",
        "TerminateInstances",
        "CreateRole",
        "PutRolePolicy",
    ]) {
        assert.ok(
            calls.some((c) => c.operation === operation),
            `no ${operation} in the run's calls: is the log window right?`,
        );
    }
    const policy = readPolicy("iam/operator-policy.json");
    const withOptIns = { ...policy, Statement: [...policy.Statement, ...optIns] };
    assert.deepEqual(
        await deniedRequests([withOptIns], calls, await worldAfter(calls, "us-east-1", aliveTags)),
        [],
        "iam/operator-policy.json denies these calls of the run",
    );
}

/** `ssh-keygen -y` on the private key: "type base64". */
function publicKeyOf(privateKey: string): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "e2e-key-"));
    try {
        fs.writeFileSync(path.join(dir, "id"), privateKey, { mode: 0o600 });
        return execFileSync("ssh-keygen", ["-y", "-f", path.join(dir, "id")], { encoding: "utf8" })
            .trim()
            .split(" ")
            .slice(0, 2)
            .join(" ");
    } finally {
        fs.rmSync(dir, { recursive: true, force: true });
    }
}
