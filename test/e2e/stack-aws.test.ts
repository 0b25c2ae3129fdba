/**
 * The steps act as the stack does: the region and credentials of the stack's aws provider
 * configuration (which a dynamic provider receives in `configure`), and the `region` argument
 * on every ordinary resource and invoke. The emulator keeps one backend per region (the
 * region of each call's SigV4 scope) and logs which access key signed each call.
 */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { DescribeInstancesCommand, DescribeVpcsCommand, EC2Client } from "@aws-sdk/client-ec2";
import { deploy, destroy } from "../../harness/deployment";
import { CallRecord } from "../../harness/emulator";
import { emulator } from "../hooks";
import { contextOf, createTarget, targetShape, wholeShape } from "../../rehearsal/targets";
import { CANNED_RESULT } from "../../rehearsal/sandbox";
import { RESET_DOCUMENT_NAMES } from "../../lib/command-document";
import resetAccessProgram = require("../../index");

const OTHER_REGION = "eu-west-1";
/** The key the tests' environment signs with (harness/emulator.ts exportEnvironment). */
const ENVIRONMENT_KEY = "testing";
/** What touches the target: the custom steps' calls. */
const STEP_CALLS =
    /^(StopInstances|StartInstances|AttachVolume|DetachVolume|SendCommand|CreateImage|CreateTags|DeleteTags)$/;

describe("the steps act as the stack: its aws region, credentials and the region argument", function () {
    this.timeout(300_000);

    beforeEach(async () => {
        await emulator().reset();
        await emulator().control("POST", "/command-faults", {
            documentName: RESET_DOCUMENT_NAMES,
            exitCode: 0,
            stdout: CANNED_RESULT,
            times: 20,
        });
    });

    async function callsDuring<T>(
        run: () => Promise<T>,
    ): Promise<{ result: T; calls: CallRecord[] }> {
        const since = Date.now() / 1000;
        const result = await run();
        return { result, calls: await emulator().calls({ since }) };
    }

    /**
     * Regions the calls acted in, with the operations seen in each (for a readable failure).
     * IAM is global (its calls are signed for us-east-1 whatever the stack's region): left out.
     */
    function byRegion(calls: CallRecord[]): Record<string, string[]> {
        const found: Record<string, string[]> = {};
        for (const c of calls.filter((c) => c.service !== "iam")) {
            const operations = (found[c.region] ??= []);
            if (!operations.includes(c.operation)) operations.push(c.operation);
        }
        return found;
    }

    async function resetInOtherRegion(config: Record<string, string>) {
        const ec2 = new EC2Client({ region: OTHER_REGION });
        const ctx = contextOf(await createTarget(ec2, { availabilityZone: `${OTHER_REGION}a` }));
        const { result, calls } = await callsDuring(() =>
            deploy(resetAccessProgram, {
                config: { "ec2-reset-access:instanceId": ctx.instanceId, ...config },
            }),
        );
        assert.equal(result.error, undefined, result.error?.stack);
        assert.deepEqual(
            Object.keys(byRegion(calls)),
            [OTHER_REGION],
            JSON.stringify(byRegion(calls)),
        );
        assert.ok(
            calls.some(
                (c) =>
                    c.operation === "StopInstances" &&
                    JSON.stringify(c.params).includes(ctx.instanceId),
            ),
            "the steps ran",
        );
        assert.deepEqual(await targetShape(ec2, { ...ctx, region: OTHER_REGION }), wholeShape(ctx));
        const home = new EC2Client({ region: "us-east-1" });
        assert.deepEqual(
            (await home.send(new DescribeInstancesCommand({}))).Reservations ?? [],
            [],
            "no instance in us-east-1",
        );
        const vpcs = await home.send(
            new DescribeVpcsCommand({
                Filters: [{ Name: "tag:ec2-reset-access:temporary", Values: ["true"] }],
            }),
        );
        assert.deepEqual(vpcs.Vpcs, [], "no temporary VPC in us-east-1");
        const { calls: destroyCalls } = await callsDuring(() => destroy(result.state));
        assert.deepEqual(
            Object.keys(byRegion(destroyCalls)),
            [OTHER_REGION],
            "destroy acts where up did",
        );
    }

    it(`with aws:region ${OTHER_REGION}, every call of the steps, resources and invokes acts in ${OTHER_REGION}, none in us-east-1`, async () => {
        await resetInOtherRegion({ "aws:region": OTHER_REGION });
    });

    it(`with the region argument ${OTHER_REGION} and aws:region us-east-1, everything acts in ${OTHER_REGION}`, async () => {
        await resetInOtherRegion({
            "aws:region": "us-east-1",
            "ec2-reset-access:region": OTHER_REGION,
        });
    });

    it("with aws:assumeRoles, the steps' calls are signed with the assumed role's credentials, as the resources' are", async () => {
        const ec2 = new EC2Client({});
        const ctx = contextOf(await createTarget(ec2));
        const roleArn = "arn:aws:iam::123456789012:role/reset-operator";
        const config = {
            "ec2-reset-access:instanceId": ctx.instanceId,
            "aws:assumeRoles": JSON.stringify([{ roleArn, sessionName: "stack-session" }]),
        };
        const { result, calls } = await callsDuring(() => deploy(resetAccessProgram, { config }));
        assert.equal(result.error, undefined, result.error?.stack);
        const assumed = calls.filter((c) => c.operation === "AssumeRole");
        assert.ok(assumed.length > 0, "AssumeRole was called");
        for (const c of assumed) assert.equal(c.params.RoleArn, roleArn);
        const steps = calls.filter((c) => STEP_CALLS.test(c.operation));
        assert.ok(steps.length >= 6, `${steps.map((c) => c.operation)}`);
        const byEnvironmentKey = calls.filter(
            (c) => c.operation !== "AssumeRole" && c.accessKeyId === ENVIRONMENT_KEY,
        );
        assert.deepEqual(
            byEnvironmentKey.map((c) => c.operation),
            [],
            "no call but AssumeRole with the environment's credentials",
        );
        assert.deepEqual(await targetShape(ec2, ctx), wholeShape(ctx));
        const { calls: destroyCalls } = await callsDuring(() => destroy(result.state));
        assert.deepEqual(
            destroyCalls
                .filter((c) => c.operation !== "AssumeRole" && c.accessKeyId === ENVIRONMENT_KEY)
                .map((c) => c.operation),
            [],
        );
    });

    it("with aws:profile, every call is signed with that profile's keys, not the environment's", async () => {
        const ec2 = new EC2Client({});
        const ctx = contextOf(await createTarget(ec2));
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "stack-aws-"));
        const credentialsFile = path.join(dir, "credentials");
        const profileKey = "AKIAPROFILERESET0001";
        fs.writeFileSync(
            credentialsFile,
            `[reset-operator]\naws_access_key_id = ${profileKey}\naws_secret_access_key = profile-secret\n`,
        );
        const saved = process.env.AWS_SHARED_CREDENTIALS_FILE;
        process.env.AWS_SHARED_CREDENTIALS_FILE = credentialsFile;
        try {
            const config = {
                "ec2-reset-access:instanceId": ctx.instanceId,
                "aws:profile": "reset-operator",
            };
            const { result, calls } = await callsDuring(() =>
                deploy(resetAccessProgram, { config }),
            );
            assert.equal(result.error, undefined, result.error?.stack);
            assert.ok(
                calls.filter((c) => STEP_CALLS.test(c.operation)).length >= 6,
                "the steps ran",
            );
            assert.deepEqual(
                [...new Set(calls.map((c) => c.accessKeyId))],
                [profileKey],
                "every call with the profile's key",
            );
            await destroy(result.state);
        } finally {
            if (saved === undefined) delete process.env.AWS_SHARED_CREDENTIALS_FILE;
            else process.env.AWS_SHARED_CREDENTIALS_FILE = saved;
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });

    it("a malformed aws:assumeRoles fails with the key named and the fix, before the target is touched", async () => {
        const ec2 = new EC2Client({});
        const ctx = contextOf(await createTarget(ec2));
        const config = {
            "ec2-reset-access:instanceId": ctx.instanceId,
            "aws:assumeRoles": JSON.stringify([{ sessionName: "no-role" }]),
        };
        const { result, calls } = await callsDuring(() => deploy(resetAccessProgram, { config }));
        assert.ok(result.error, "the deployment fails");
        assert.match(
            result.error.message,
            /aws:assumeRoles\[0\]: roleArn is missing; set it: pulumi config set --path/,
        );
        assert.deepEqual(
            calls.filter((c) => STEP_CALLS.test(c.operation)).map((c) => c.operation),
            [],
        );
        await destroy(result.state);
    });
});
