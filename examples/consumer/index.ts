/**
 * Another project's program using the ec2-reset-access package: it gets back into two
 * instances, one with a key generated for it (the private key lands in SSM Parameter Store),
 * one with the operator's own public key (nothing generated, nothing stored).
 *
 *   pulumi config set webInstanceId i-0123456789abcdef0
 *   pulumi config set dbInstanceId i-0fedcba9876543210
 *   pulumi config set operatorPublicKey "$(cat ~/.ssh/id_ed25519.pub)"
 *   pulumi up
 */
import * as pulumi from "@pulumi/pulumi";
import { ResetAccess } from "ec2-reset-access";

const config = new pulumi.Config();

const web = new ResetAccess("web", {
    instanceId: config.require("webInstanceId"),
});

const db = new ResetAccess("db", {
    instanceId: config.require("dbInstanceId"),
    publicKey: config.require("operatorPublicKey"),
    users: ["ec2-user"],
    retainBackup: false,
});

/** `aws ssm get-parameter --with-decryption --name <this>` gives web's private key. */
export const webKeyParameter = web.keyParameterName;
export const webFingerprint = web.fingerprint;
export const webUsers = web.usersUpdated;
export const webBackupImageId = web.backupImageId;
export const dbUsers = db.usersUpdated;
export const dbState = db.targetState;
export const warnings = pulumi.all([web.warnings, db.warnings]).apply(([w, d]) => [...w, ...d]);
