/**
 * KMS keys as the key parameter meets them (emulator/kms_keys.py): CreateKey's default KeyUsage,
 * and PutParameter's KeyId checked as AWS checks it. Plain moto answers no KeyUsage and stores a
 * SecureString under any KeyId, so each of these tests fails without that module.
 */
import * as assert from "node:assert/strict";
import { CreateKeyCommand, DescribeKeyCommand, KMSClient } from "@aws-sdk/client-kms";
import {
    DeleteParameterCommand,
    GetParameterCommand,
    PutParameterCommand,
    SSMClient,
} from "@aws-sdk/client-ssm";
import { emulator } from "../hooks";
import { createTestKey } from "../support/kms-keys";

const ssm = new SSMClient({ maxAttempts: 1 });
const kms = new KMSClient({ maxAttempts: 1 });
const NAME = "/ec2rl/openssh/i-0123456789abcdef0/key";
const ACCOUNT_REGION = "us-east-1:123456789012";

const put = (KeyId?: string, Type: "SecureString" | "String" = "SecureString") =>
    ssm.send(new PutParameterCommand({ Name: NAME, Type, Value: "secret", KeyId }));

async function assertNothingStored(): Promise<void> {
    await assert.rejects(ssm.send(new GetParameterCommand({ Name: NAME })), {
        name: "ParameterNotFound",
    });
}

describe("emulator: a SecureString's KMS key, checked at PutParameter", () => {
    beforeEach(() => emulator().reset());

    it("CreateKey without KeyUsage makes an ENCRYPT_DECRYPT key, as AWS's default", async () => {
        const created = await kms.send(new CreateKeyCommand({}));
        assert.equal(created.KeyMetadata!.KeyUsage, "ENCRYPT_DECRYPT");
        const described = await kms.send(
            new DescribeKeyCommand({ KeyId: created.KeyMetadata!.KeyId }),
        );
        assert.equal(described.KeyMetadata!.KeyUsage, "ENCRYPT_DECRYPT");
        assert.equal(described.KeyMetadata!.KeySpec, "SYMMETRIC_DEFAULT");
    });

    it("refuses a key that does not exist, by id and by ARN, with InvalidKeyId naming KMS's NotFoundException", async () => {
        const missing = "0f9b04ee-ab13-4f35-a2b2-d0902bfe6a1e";
        for (const keyId of [missing, `arn:aws:kms:${ACCOUNT_REGION}:key/${missing}`]) {
            await assert.rejects(put(keyId), (err: Error) => {
                assert.equal(err.name, "InvalidKeyId");
                assert.match(err.message, /does not exist \(Service: AWSKMS;.*NotFoundException/);
                return true;
            });
        }
        await assertNothingStored();
    });

    it("refuses an alias that does not exist", async () => {
        await assert.rejects(put("alias/nobody"), (err: Error) => {
            assert.equal(err.name, "InvalidKeyId");
            assert.match(
                err.message,
                /^Alias arn:aws:kms:us-east-1:123456789012:alias\/nobody is not found\. \(Service: AWSKMS;.*NotFoundException/,
            );
            return true;
        });
        await assertNothingStored();
    });

    it("refuses a disabled key, one pending deletion and an asymmetric one, each with KMS's code", async () => {
        const cases = [
            ["disabled", "DisabledException", /is disabled\./],
            ["pending-deletion", "KMSInvalidStateException", /is pending deletion\./],
            ["sign-verify", "InvalidKeyUsageException", /SIGN_VERIFY/],
        ] as const;
        for (const [kind, code, message] of cases) {
            const key = await createTestKey(kms, kind, `reset-${kind}`);
            for (const keyId of [key.keyId, key.alias!]) {
                await assert.rejects(put(keyId), (err: Error) => {
                    assert.equal(err.name, "InvalidKeyId", `${kind} ${keyId}`);
                    assert.match(err.message, message);
                    assert.ok(err.message.includes(`Error Code: ${code};`), err.message);
                    assert.ok(err.message.includes(key.arn), err.message);
                    return true;
                });
            }
        }
        await assertNothingStored();
    });

    it("stores a SecureString under an enabled symmetric key (id, ARN, alias, alias ARN), under the default key, and a String whatever KeyId", async () => {
        const key = await createTestKey(kms, "enabled", "reset-ok");
        const aliasArn = `arn:aws:kms:${ACCOUNT_REGION}:${key.alias}`;
        for (const keyId of [key.keyId, key.arn, key.alias!, aliasArn, undefined]) {
            await put(keyId);
            const stored = await ssm.send(
                new GetParameterCommand({ Name: NAME, WithDecryption: true }),
            );
            assert.equal(stored.Parameter!.Value, "secret");
            await ssm.send(new DeleteParameterCommand({ Name: NAME }));
        }
        await put("alias/nobody", "String"); // only a SecureString is encrypted
    });
});
