/**
 * keyParameterKmsKeyId's refusals as pure functions of DescribeKey's answer: every key state and
 * key kind, including those the emulator cannot make (PendingImport, Unavailable, an HMAC key),
 * and which error codes are refusals rather than errors. Exact messages.
 */
import * as assert from "node:assert/strict";
import { KeyMetadata } from "@aws-sdk/client-kms";
import { describeKeyRefusal, keyMetadataRefusals } from "../../lib/kms-key";

const REGION = "eu-west-1";
const KEY_ID = "1234abcd-12ab-34cd-56ef-1234567890ab";
const ARN = `arn:aws:kms:${REGION}:123456789012:key/${KEY_ID}`;
const usable: KeyMetadata = {
    KeyId: KEY_ID,
    Arn: ARN,
    KeyState: "Enabled",
    KeyUsage: "ENCRYPT_DECRYPT",
    KeySpec: "SYMMETRIC_DEFAULT",
};
const OR_DEFAULT = "or omit keyParameterKmsKeyId for the account's aws/ssm key.";
const CLI = `--key-id ${KEY_ID} --region ${REGION}`;

describe("keyParameterKmsKeyId refusals (lib/kms-key.ts)", () => {
    it("passes an Enabled symmetric encryption key", () => {
        assert.deepEqual(keyMetadataRefusals("alias/reset", usable, REGION), []);
    });

    it("names the state of a key that is not Enabled, and how to enable it", () => {
        const refusal = (change: Partial<KeyMetadata>) =>
            keyMetadataRefusals("alias/reset", { ...usable, ...change }, REGION);
        const named = `alias/reset (${ARN})`;
        assert.deepEqual(refusal({ KeyState: "Disabled" }), [
            `keyParameterKmsKeyId: the KMS key ${named} is Disabled, and KMS encrypts only with an Enabled key. Enable it (aws kms enable-key ${CLI}), or give another key, ${OR_DEFAULT}`,
        ]);
        assert.deepEqual(
            refusal({
                KeyState: "PendingDeletion",
                DeletionDate: new Date("2026-12-07T06:00:00Z"),
            }),
            [
                `keyParameterKmsKeyId: the KMS key ${named} is PendingDeletion, and KMS encrypts only with an Enabled key. It is scheduled for deletion on 2026-12-07T06:00:00.000Z: if it is still wanted, cancel that and enable it (aws kms cancel-key-deletion ${CLI}, then aws kms enable-key ${CLI}), or give another key, ${OR_DEFAULT}`,
            ],
        );
        assert.deepEqual(refusal({ KeyState: "PendingImport" }), [
            `keyParameterKmsKeyId: the KMS key ${named} is PendingImport, and KMS encrypts only with an Enabled key. It has no key material yet: import it (aws kms import-key-material ${CLI} …), or give another key, ${OR_DEFAULT}`,
        ]);
        assert.match(
            refusal({ KeyState: "Unavailable" })[0],
            /is Unavailable, .* Its custom key store is disconnected: connect it/,
        );
        assert.match(
            refusal({ KeyState: "Updating" })[0],
            /is Updating, .* Run again once it is Enabled,/,
        );
    });

    it("refuses a key that is not a symmetric encryption key: asymmetric, HMAC", () => {
        const expected = (spec: string, usage: string) =>
            `keyParameterKmsKeyId: the KMS key ${ARN} is a ${spec} key for ${usage}, and SSM encrypts a SecureString only with a symmetric encryption key (KeySpec SYMMETRIC_DEFAULT, KeyUsage ENCRYPT_DECRYPT). ` +
            `Give such a key (aws kms create-key --region ${REGION} makes one by default), ${OR_DEFAULT}`;
        for (const [KeySpec, KeyUsage] of [
            ["RSA_2048", "SIGN_VERIFY"],
            ["RSA_2048", "ENCRYPT_DECRYPT"],
            ["HMAC_256", "GENERATE_VERIFY_MAC"],
        ] as const)
            assert.deepEqual(keyMetadataRefusals(ARN, { ...usable, KeySpec, KeyUsage }, REGION), [
                expected(KeySpec, KeyUsage),
            ]);
    });

    it("a disabled asymmetric key: both refusals at once", () => {
        const refusals = keyMetadataRefusals(
            KEY_ID,
            { ...usable, KeyState: "Disabled", KeySpec: "ECC_NIST_P256", KeyUsage: "SIGN_VERIFY" },
            REGION,
        );
        assert.equal(refusals.length, 2);
    });

    it("DescribeKey's errors: not found (a key, an alias), a malformed ARN and access denied are refusals; anything else is thrown", () => {
        assert.equal(
            describeKeyRefusal("NotFoundException", "alias/nobody", REGION),
            `keyParameterKmsKeyId: the alias alias/nobody was not found in ${REGION}, so no key would encrypt the key parameter. ` +
                `Give the id, ARN or alias of a symmetric encryption key in ${REGION} (aws kms list-aliases --region ${REGION}), ${OR_DEFAULT}`,
        );
        assert.match(
            describeKeyRefusal(
                "NotFoundException",
                `arn:aws:kms:${REGION}:123456789012:alias/nobody`,
                REGION,
            )!,
            /^keyParameterKmsKeyId: the alias arn:aws:kms:eu-west-1:123456789012:alias\/nobody was not found/,
        );
        assert.equal(
            describeKeyRefusal("NotFoundException", KEY_ID, REGION),
            `keyParameterKmsKeyId: the KMS key ${KEY_ID} was not found in ${REGION} (a key id names a key of this region and account), so no key would encrypt the key parameter. ` +
                `Give the id, ARN or alias of a symmetric encryption key in ${REGION} (aws kms list-keys --region ${REGION}), ${OR_DEFAULT}`,
        );
        assert.match(
            describeKeyRefusal("InvalidArnException", "arn:aws:kms:nope", REGION)!,
            /^keyParameterKmsKeyId: arn:aws:kms:nope is not a valid KMS ARN\. Give a key id/,
        );
        assert.equal(
            describeKeyRefusal("AccessDeniedException", KEY_ID, REGION),
            `keyParameterKmsKeyId: kms:DescribeKey on ${KEY_ID} was denied (AccessDeniedException), so whether the key exists and can encrypt cannot be checked before anything is touched. ` +
                "Allow kms:DescribeKey on the key, in this identity's policy (iam/operator-policy.json's DescribeTheKeyParameterKey statement) and in the key's key policy, then run again.",
        );
        for (const code of [
            "ThrottlingException",
            "KMSInternalException",
            "DependencyTimeoutException",
            "",
        ])
            assert.equal(describeKeyRefusal(code, KEY_ID, REGION), undefined, code);
    });
});
