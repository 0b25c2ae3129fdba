/**
 * keyParameterKmsKeyId, checked before anything is touched. SSM encrypts a SecureString with
 * the key at PutParameter, which runs only once the helper, its network, role and document
 * exist: a key that does not exist or cannot encrypt would fail the `up` after creating them
 * (the target is touched only after the key is stored, so it stays whole either way). Parameter
 * Store "only supports symmetric encryption KMS keys" (AWS Systems Manager User Guide, "AWS KMS
 * encryption for AWS Systems Manager Parameter Store SecureString parameters"), and KMS uses a
 * key only while its state is Enabled (AWS KMS Developer Guide, "Key states of AWS KMS keys").
 */
import { DescribeKeyCommand, KeyMetadata, KMSClient } from "@aws-sdk/client-kms";
import { awsErrorCode } from "./aws-errors";

const ARGUMENT = "keyParameterKmsKeyId";
const OR_DEFAULT = "or omit keyParameterKmsKeyId for the account's aws/ssm key";

/** Why the key cannot encrypt the key parameter (none: it can). Errors other than the refusals below are thrown. */
export async function kmsKeyRefusals(
    kms: KMSClient,
    keyId: string,
    region: string,
): Promise<string[]> {
    let metadata: KeyMetadata | undefined;
    try {
        metadata = (await kms.send(new DescribeKeyCommand({ KeyId: keyId }))).KeyMetadata;
    } catch (err) {
        const refusal = describeKeyRefusal(awsErrorCode(err), keyId, region);
        if (refusal) return [refusal];
        throw err;
    }
    if (!metadata) throw new Error(`kms:DescribeKey of ${keyId} answered without KeyMetadata`);
    return keyMetadataRefusals(keyId, metadata, region);
}

/** The refusal for DescribeKey's error code, or undefined for an error that is not about the key (it is thrown). */
export function describeKeyRefusal(
    code: string,
    keyId: string,
    region: string,
): string | undefined {
    const isAlias = /^(alias\/|arn:[^:]+:kms:[^:]*:[^:]*:alias\/)/.test(keyId);
    switch (code) {
        case "NotFoundException":
            return isAlias
                ? `${ARGUMENT}: the alias ${keyId} was not found in ${region}, so no key would encrypt the key parameter. ` +
                      `Give the id, ARN or alias of a symmetric encryption key in ${region} (aws kms list-aliases --region ${region}), ${OR_DEFAULT}.`
                : `${ARGUMENT}: the KMS key ${keyId} was not found in ${region} (a key id names a key of this region and account), so no key would encrypt the key parameter. ` +
                      `Give the id, ARN or alias of a symmetric encryption key in ${region} (aws kms list-keys --region ${region}), ${OR_DEFAULT}.`;
        case "InvalidArnException":
            return `${ARGUMENT}: ${keyId} is not a valid KMS ARN. Give a key id (1234abcd-12ab-34cd-56ef-1234567890ab), a key ARN (arn:aws:kms:${region}:<account>:key/<key id>), an alias name (alias/<name>) or an alias ARN, ${OR_DEFAULT}.`;
        case "AccessDeniedException":
            return (
                `${ARGUMENT}: kms:DescribeKey on ${keyId} was denied (AccessDeniedException), so whether the key exists and can encrypt cannot be checked before anything is touched. ` +
                "Allow kms:DescribeKey on the key, in this identity's policy (iam/operator-policy.json's DescribeTheKeyParameterKey statement) and in the key's key policy, then run again."
            );
        default:
            return undefined;
    }
}

/** What of the key's state, usage and spec keeps SSM from encrypting a SecureString with it. */
export function keyMetadataRefusals(keyId: string, key: KeyMetadata, region: string): string[] {
    const named = key.Arn && key.Arn !== keyId ? `${keyId} (${key.Arn})` : keyId;
    const cli = `--key-id ${key.KeyId ?? keyId} --region ${region}`;
    const refusals: string[] = [];
    if (key.KeyState !== "Enabled")
        refusals.push(
            `${ARGUMENT}: the KMS key ${named} is ${key.KeyState}, and KMS encrypts only with an Enabled key. ${stateFix(key, cli)}, or give another key, ${OR_DEFAULT}.`,
        );
    if (key.KeyUsage !== "ENCRYPT_DECRYPT" || key.KeySpec !== "SYMMETRIC_DEFAULT")
        refusals.push(
            `${ARGUMENT}: the KMS key ${named} is a ${key.KeySpec} key for ${key.KeyUsage}, and SSM encrypts a SecureString only with a symmetric encryption key (KeySpec SYMMETRIC_DEFAULT, KeyUsage ENCRYPT_DECRYPT). ` +
                `Give such a key (aws kms create-key --region ${region} makes one by default), ${OR_DEFAULT}.`,
        );
    return refusals;
}

function stateFix(key: KeyMetadata, cli: string): string {
    switch (key.KeyState) {
        case "Disabled":
            return `Enable it (aws kms enable-key ${cli})`;
        case "PendingDeletion": {
            const when = key.DeletionDate ? ` on ${key.DeletionDate.toISOString()}` : "";
            return `It is scheduled for deletion${when}: if it is still wanted, cancel that and enable it (aws kms cancel-key-deletion ${cli}, then aws kms enable-key ${cli})`;
        }
        case "PendingImport":
            return `It has no key material yet: import it (aws kms import-key-material ${cli} …)`;
        case "Unavailable":
            return "Its custom key store is disconnected: connect it (aws kms connect-custom-key-store)";
        default:
            return "Run again once it is Enabled";
    }
}
