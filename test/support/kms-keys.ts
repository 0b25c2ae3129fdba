/**
 * KMS keys in the states the key parameter's checks tell apart: enabled, disabled, pending
 * deletion, asymmetric; each with an alias when asked.
 */
import {
    CreateAliasCommand,
    CreateKeyCommand,
    DisableKeyCommand,
    KMSClient,
    ScheduleKeyDeletionCommand,
} from "@aws-sdk/client-kms";

export type KeyKind = "enabled" | "disabled" | "pending-deletion" | "sign-verify";

export interface TestKey {
    keyId: string;
    arn: string;
    /** alias/<name>, when one was asked for. */
    alias?: string;
}

export async function createTestKey(
    kms: KMSClient,
    kind: KeyKind,
    aliasName?: string,
): Promise<TestKey> {
    const asymmetric = kind === "sign-verify";
    const { KeyMetadata } = await kms.send(
        new CreateKeyCommand({
            Description: `ec2-reset-access test key (${kind})`,
            ...(asymmetric ? { KeyUsage: "SIGN_VERIFY", KeySpec: "RSA_2048" } : {}),
        }),
    );
    const keyId = KeyMetadata!.KeyId!;
    if (kind === "disabled") await kms.send(new DisableKeyCommand({ KeyId: keyId }));
    if (kind === "pending-deletion")
        await kms.send(new ScheduleKeyDeletionCommand({ KeyId: keyId, PendingWindowInDays: 7 }));
    const alias = aliasName ? `alias/${aliasName}` : undefined;
    if (alias) await kms.send(new CreateAliasCommand({ AliasName: alias, TargetKeyId: keyId }));
    return { keyId, arn: KeyMetadata!.Arn!, alias };
}
