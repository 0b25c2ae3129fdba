/**
 * The program behind `pulumi up`: reads the stack config (keys named as ResetAccessArgs) and
 * resets access to one instance. Other projects import the component from components/.
 */
import * as pulumi from "@pulumi/pulumi";
import { ResetAccess } from "./components/reset-access";
import { argsFromConfig } from "./lib/config-args";

const reset = new ResetAccess("reset", argsFromConfig(new pulumi.Config()));

export const keyParameterName = reset.keyParameterName;
export const publicKey = reset.publicKey;
export const fingerprint = reset.fingerprint;
export const usersUpdated = reset.usersUpdated;
export const backupImageId = reset.backupImageId;
export const warnings = reset.warnings;
export const helperInstanceId = reset.helperInstanceId;
export const targetState = reset.targetState;
