/** Stack config → ResetAccessArgs: the same names, typed; a wrong value names its key. */
import * as pulumi from "@pulumi/pulumi";
import type { ResetAccessArgs } from "../components/reset-access-args";

export function argsFromConfig(config: pulumi.Config): ResetAccessArgs {
    return {
        instanceId: config.require("instanceId"),
        subnetId: config.get("subnetId"),
        helperInstanceType: config.get("helperInstanceType"),
        newKeyName: config.get("newKeyName"),
        publicKey: config.get("publicKey"),
        users: usersFrom(config.get("users")),
        keyParameterName: config.get("keyParameterName"),
        keyParameterKmsKeyId: config.get("keyParameterKmsKeyId"),
        keyType: config.get("keyType", {
            allowedValues: ["ed25519", "rsa"],
        }) as ResetAccessArgs["keyType"],
        rotation: config.get("rotation"),
        retainBackup: config.getBoolean("retainBackup"),
        retainPasswordEnabledImage: config.getBoolean("retainPasswordEnabledImage"),
        deleteKeyParameterOnDestroy: config.getBoolean("deleteKeyParameterOnDestroy"),
        region: config.get("region"),
        assumeRoleArn: config.get("assumeRoleArn"),
        helperPermissionsBoundary: config.get("helperPermissionsBoundary"),
        helperReadyTimeout: config.getNumber("helperReadyTimeout"),
        allowInstanceStoreLoss: config.getBoolean("allowInstanceStoreLoss"),
        allowAutoScaling: config.getBoolean("allowAutoScaling"),
    };
}

/** `users` is "auto", a comma-separated list ("ec2-user,deploy") or a JSON list. */
function usersFrom(value: string | undefined): string[] | "auto" | undefined {
    if (value === undefined || value.trim() === "auto")
        return value === undefined ? undefined : "auto";
    const trimmed = value.trim();
    if (trimmed.startsWith("[")) return JSON.parse(trimmed);
    return trimmed
        .split(",")
        .map((name) => name.trim())
        .filter(Boolean);
}
