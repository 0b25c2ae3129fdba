/**
 * keyParameterKmsKeyId end to end: the project's program deployed by the harness against the
 * emulator (instant profile; the helper's command answers a canned result, as no disk is
 * needed here). A key that cannot encrypt the key parameter fails the `up` at the preflight:
 * no AWS write at all, the target still running with its root volume attached, no key
 * parameter, no helper, role, document or network. A customer managed key, given by its alias,
 * encrypts the stored key, and every call of that run is allowed by iam/operator-policy.json.
 */
import * as assert from "node:assert/strict";
import { EC2Client } from "@aws-sdk/client-ec2";
import { KMSClient } from "@aws-sdk/client-kms";
import { DescribeParametersCommand, GetParameterCommand, SSMClient } from "@aws-sdk/client-ssm";
import { deploy, destroy } from "../../harness/deployment";
import { inventory } from "../../harness/inventory";
import { CANNED_RESULT } from "../../rehearsal/sandbox";
import { contextOf, createTarget, targetShape, wholeShape } from "../../rehearsal/targets";
import { TargetContext } from "../../lib/target-context";
import { emulator } from "../hooks";
import {
    callsIn,
    createHelperBoundary,
    deniedRequests,
    ec2TagsNow,
    readPolicy,
    timed,
    worldAfter,
} from "../support/iam-evaluation";
import { createTestKey, KeyKind } from "../support/kms-keys";
import { RESET_DOCUMENT_NAMES } from "../../lib/command-document";
import resetAccessProgram = require("../../index");

const ALLOWED_TAG = "ec2-reset-access:allowed"; // what makes an instance a target of the operator policy
const READS = /^(Describe|Get|List)/;

describe("keyParameterKmsKeyId, end to end", function () {
    this.timeout(300_000);
    const ec2 = new EC2Client({});
    const ssm = new SSMClient({});
    const kms = new KMSClient({});

    beforeEach(async () => {
        await emulator().reset();
        // Every reset command ends Success with the script's canned result line (the probe runs).
        await emulator().control("POST", "/command-faults", {
            documentName: RESET_DOCUMENT_NAMES,
            exitCode: 0,
            stdout: CANNED_RESULT,
            times: 40,
        });
    });

    async function allowedTarget(): Promise<TargetContext> {
        return contextOf(
            await createTarget(ec2, { tags: { Name: "target", [ALLOWED_TAG]: "true" } }),
        );
    }

    const keyParameter = (ctx: TargetContext) => `/ec2rl/openssh/${ctx.instanceId}/key`;
    const config = (ctx: TargetContext, keyId: string, boundary?: string) => ({
        "ec2-reset-access:instanceId": ctx.instanceId,
        "ec2-reset-access:keyParameterKmsKeyId": keyId,
        // What iam/operator-policy.json needs for the helper's role (README, Permissions).
        ...(boundary ? { "ec2-reset-access:helperPermissionsBoundary": boundary } : {}),
    });

    /** Deploys with `keyId`, expects the preflight's refusal, and proves nothing was created or touched. */
    async function assertRefusedUntouched(keyId: string, refusal: RegExp): Promise<void> {
        const ctx = await allowedTarget();
        const before = await inventory();
        const since = Date.now() / 1000;
        const result = await deploy(resetAccessProgram, { config: config(ctx, keyId) });
        assert.ok(result.error, "the up fails");
        assert.match(
            result.error.message,
            /refused before touching anything: keyParameterKmsKeyId: /,
        );
        assert.match(result.error.message, refusal);
        const calls = await emulator().calls({ since });
        assert.ok(
            calls.some((c) => c.operation === "DescribeKey"),
            "the preflight described the key",
        );
        assert.deepEqual(
            calls.filter((c) => !READS.test(c.operation)).map((c) => c.operation),
            [],
            "no AWS write at all",
        );
        assert.deepEqual(
            await targetShape(ec2, ctx),
            wholeShape(ctx),
            "the target still runs, its root volume attached",
        );
        await assert.rejects(ssm.send(new GetParameterCommand({ Name: keyParameter(ctx) })), {
            name: "ParameterNotFound",
        });
        assert.deepEqual(
            await inventory(),
            before,
            "no helper, role, profile, document or network",
        );
        assert.deepEqual(
            result.state.resources.filter((r) => r.type.startsWith("aws:")).map((r) => r.type),
            [],
        );
        await destroy(result.state);
        assert.deepEqual(await targetShape(ec2, ctx), wholeShape(ctx));
    }

    it("a key id that does not exist", () =>
        assertRefusedUntouched(
            "0f9b04ee-ab13-4f35-a2b2-d0902bfe6a1e",
            /the KMS key 0f9b04ee-\S+ was not found in us-east-1/,
        ));

    it("an alias that does not exist", () =>
        assertRefusedUntouched(
            "alias/reset-typo",
            /the alias alias\/reset-typo was not found in us-east-1/,
        ));

    const unusable: Array<[KeyKind, RegExp]> = [
        ["disabled", /is Disabled, and KMS encrypts only with an Enabled key\. Enable it/],
        ["pending-deletion", /is PendingDeletion, and KMS encrypts only with an Enabled key\./],
        [
            "sign-verify",
            /is a RSA_2048 key for SIGN_VERIFY, and SSM encrypts a SecureString only with a symmetric encryption key/,
        ],
    ];
    for (const [kind, refusal] of unusable)
        it(`a ${kind} key`, async () => {
            const key = await createTestKey(kms, kind, `reset-${kind}`);
            await assertRefusedUntouched(key.alias!, refusal);
        });

    it("kms:DescribeKey denied (an injected AccessDeniedException)", async () => {
        const key = await createTestKey(kms, "enabled", "reset-denied");
        await emulator().control("POST", "/faults", {
            service: "kms",
            operation: "DescribeKey",
            kind: "error",
            code: "AccessDeniedException",
            message: "not authorized to perform: kms:DescribeKey",
            times: 10, // check and create both describe the key
        });
        await assertRefusedUntouched(
            key.alias!,
            /kms:DescribeKey on alias\/reset-denied was denied \(AccessDeniedException\)/,
        );
    });

    it("a customer managed key, by its alias, encrypts the stored key; iam/operator-policy.json allows every call of the up and the destroy", async () => {
        const key = await createTestKey(kms, "enabled", "reset-keys");
        const ctx = await allowedTarget();
        const boundary = await createHelperBoundary();
        const { result: up, window: upWindow } = await timed(() =>
            deploy(resetAccessProgram, { config: config(ctx, key.alias!, boundary) }),
        );
        assert.equal(up.error, undefined, up.error?.stack);
        const [stored] = (
            await ssm.send(
                new DescribeParametersCommand({
                    ParameterFilters: [
                        { Key: "Name", Option: "Equals", Values: [keyParameter(ctx)] },
                    ],
                }),
            )
        ).Parameters!;
        assert.equal(stored.Type, "SecureString");
        assert.equal(stored.KeyId, key.alias, "encrypted with the given key, not aws/ssm");
        assert.deepEqual(await targetShape(ec2, ctx), wholeShape(ctx));

        const aliveTags = await ec2TagsNow("us-east-1");
        const { result: left, window: destroyWindow } = await timed(() => destroy(up.state));
        assert.deepEqual(left.resources, []);
        const calls = callsIn(await emulator().calls(), [upWindow, destroyWindow]);
        assert.ok(
            calls.some((c) => c.operation === "DescribeKey" && c.params.KeyId === key.alias),
            "the preflight's DescribeKey is among the evaluated calls",
        );
        assert.deepEqual(
            await deniedRequests(
                [readPolicy("iam/operator-policy.json")],
                calls,
                await worldAfter(calls, "us-east-1", aliveTags),
            ),
            [],
            "iam/operator-policy.json denies these calls of the run",
        );
    });
});
