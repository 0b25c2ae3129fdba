/**
 * The preflight's check of keyParameterKmsKeyId, loaded from its serialized form as the host
 * loads it, against the emulator's KMS: each key that cannot encrypt the key parameter is
 * refused with its fix (create, as at `pulumi up`, and check, as at `pulumi preview`); a usable
 * key passes in each of the four forms DescribeKey takes; no check for a Windows target or
 * for the operator's own public key (no key parameter then). Deployments that prove nothing is
 * created or touched on a refusal: test/e2e/kms-key.test.ts.
 */
import * as assert from "node:assert/strict";
import * as pulumi from "@pulumi/pulumi";
import { EC2Client } from "@aws-sdk/client-ec2";
import { KMSClient } from "@aws-sdk/client-kms";
import { TargetPreflight } from "../../dynamic-providers/target-preflight";
import { hostedProvider } from "../../harness/serialized-provider";
import { createTarget, createWindowsTarget, REGION } from "../../rehearsal/targets";
import { emulator } from "../hooks";
import { createTestKey, KeyKind } from "../support/kms-keys";

const ACCOUNT = "123456789012";
const OR_DEFAULT = "or omit keyParameterKmsKeyId for the account's aws/ssm key.";

describe("preflight: keyParameterKmsKeyId (host-loaded provider)", () => {
    const ec2 = new EC2Client({});
    const kms = new KMSClient({});
    let preflight: pulumi.dynamic.ResourceProvider;

    before(async () => {
        preflight = await hostedProvider(
            () =>
                new TargetPreflight("preflight", {
                    instanceId: "i-0",
                    region: REGION,
                    rotation: "1",
                }),
        );
    });

    beforeEach(() => emulator().reset());

    /** The component's inputs for a generated key: keyParameterName is set whenever a key is generated. */
    const inputs = (instanceId: string, keyParameterKmsKeyId?: string) => ({
        instanceId,
        region: REGION,
        rotation: "1",
        keyParameterName: `/ec2rl/openssh/${instanceId}/key`,
        keyParameterKmsKeyId,
    });
    const refusedWith = (message: string | RegExp) => (err: Error) => {
        if (typeof message === "string")
            assert.equal(err.message, `refused before touching anything: ${message}`);
        else assert.match(err.message, message);
        return true;
    };

    it("passes an Enabled symmetric encryption key given by id, key ARN, alias name or alias ARN", async () => {
        const id = (await createTarget(ec2)).InstanceId!;
        const key = await createTestKey(kms, "enabled", "reset-ok");
        const aliasArn = `arn:aws:kms:${REGION}:${ACCOUNT}:${key.alias}`;
        const since = Date.now() / 1000;
        for (const keyId of [key.keyId, key.arn, key.alias!, aliasArn])
            await preflight.create!(inputs(id, keyId));
        const described = await emulator().calls({ operation: "DescribeKey", since });
        assert.deepEqual(
            described.map((c) => [c.params.KeyId, c.status]),
            [key.keyId, key.arn, key.alias, aliasArn].map((k) => [k, 200]),
        );
    });

    it("refuses a key id and an alias that do not exist", async () => {
        const id = (await createTarget(ec2)).InstanceId!;
        const missing = "0f9b04ee-ab13-4f35-a2b2-d0902bfe6a1e";
        await assert.rejects(
            preflight.create!(inputs(id, missing)),
            refusedWith(
                `keyParameterKmsKeyId: the KMS key ${missing} was not found in ${REGION} (a key id names a key of this region and account), so no key would encrypt the key parameter. ` +
                    `Give the id, ARN or alias of a symmetric encryption key in ${REGION} (aws kms list-keys --region ${REGION}), ${OR_DEFAULT}`,
            ),
        );
        await assert.rejects(
            preflight.create!(inputs(id, "alias/reset-typo")),
            refusedWith(
                `keyParameterKmsKeyId: the alias alias/reset-typo was not found in ${REGION}, so no key would encrypt the key parameter. ` +
                    `Give the id, ARN or alias of a symmetric encryption key in ${REGION} (aws kms list-aliases --region ${REGION}), ${OR_DEFAULT}`,
            ),
        );
    });

    const unusable: Array<[KeyKind, RegExp]> = [
        [
            "disabled",
            /is Disabled, and KMS encrypts only with an Enabled key\. Enable it \(aws kms enable-key --key-id [-0-9a-f]+ --region us-east-1\)/,
        ],
        [
            "pending-deletion",
            /is PendingDeletion, and KMS encrypts only with an Enabled key\. It is scheduled for deletion on \d{4}-\d\d-\d\dT[\d:.]+Z: if it is still wanted, cancel that and enable it \(aws kms cancel-key-deletion/,
        ],
        [
            "sign-verify",
            /is a RSA_2048 key for SIGN_VERIFY, and SSM encrypts a SecureString only with a symmetric encryption key \(KeySpec SYMMETRIC_DEFAULT, KeyUsage ENCRYPT_DECRYPT\)/,
        ],
    ];
    for (const [kind, message] of unusable)
        it(`refuses a ${kind} key, by its alias, naming the alias and the key`, async () => {
            const id = (await createTarget(ec2)).InstanceId!;
            const key = await createTestKey(kms, kind, `reset-${kind}`);
            await assert.rejects(preflight.create!(inputs(id, key.alias)), (err: Error) => {
                assert.ok(
                    err.message.startsWith(
                        `refused before touching anything: keyParameterKmsKeyId: the KMS key ${key.alias} (${key.arn}) `,
                    ),
                    err.message,
                );
                assert.match(err.message, message);
                assert.ok(err.message.endsWith(OR_DEFAULT), err.message);
                return true;
            });
        });

    it("refuses when kms:DescribeKey is denied, naming the permission (an injected AccessDeniedException)", async () => {
        const id = (await createTarget(ec2)).InstanceId!;
        const key = await createTestKey(kms, "enabled", "reset-denied");
        await emulator().control("POST", "/faults", {
            service: "kms",
            operation: "DescribeKey",
            kind: "error",
            code: "AccessDeniedException",
            message: `User: arn:aws:iam::${ACCOUNT}:user/operator is not authorized to perform: kms:DescribeKey on resource: ${key.arn}`,
            times: 1,
        });
        await assert.rejects(
            preflight.create!(inputs(id, key.alias)),
            refusedWith(
                `keyParameterKmsKeyId: kms:DescribeKey on ${key.alias} was denied (AccessDeniedException), so whether the key exists and can encrypt cannot be checked before anything is touched. ` +
                    "Allow kms:DescribeKey on the key, in this identity's policy (iam/operator-policy.json's DescribeTheKeyParameterKey statement) and in the key's key policy, then run again.",
            ),
        );
    });

    it("pulumi preview (check) refuses a missing alias too, on instanceId with the other refusals", async () => {
        const id = (await createTarget(ec2, { disableApiStop: true })).InstanceId!;
        const checked = await preflight.check!({}, inputs(id, "alias/reset-typo"));
        assert.equal(checked.failures?.length, 1);
        assert.equal(checked.failures![0].property, "instanceId");
        assert.match(
            checked.failures![0].reason,
            /^refused before touching anything:\n- instanceId: .* has stop protection on.*\n- keyParameterKmsKeyId: the alias alias\/reset-typo was not found in us-east-1/,
        );
    });

    it("is not checked without a key parameter (the operator's own public key) nor for a Windows target", async () => {
        const linux = (await createTarget(ec2)).InstanceId!;
        const windows = (await createWindowsTarget(ec2)).InstanceId!;
        const since = Date.now() / 1000;
        await preflight.create!({
            ...inputs(linux, "alias/reset-typo"),
            keyParameterName: undefined,
        });
        // The component refuses keyParameterKmsKeyId for Windows through linuxOnlyArguments; the preflight does not look at the key.
        await preflight.create!(inputs(windows, "alias/reset-typo"));
        assert.deepEqual(await emulator().calls({ operation: "DescribeKey", since }), []);
    });
});
