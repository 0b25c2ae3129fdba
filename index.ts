/**
 * The program behind `pulumi up`: reads the stack config (keys named as ResetAccessArgs) and
 * resets access to one instance; what it returns are the stack outputs. Pulumi calls a
 * program exported as a function; the tests run this same function under the harness.
 * Other projects use the component itself: components/reset-access.ts.
 */
import * as pulumi from "@pulumi/pulumi";
import { ResetAccess } from "./components/reset-access";
import { argsFromConfig } from "./lib/config-args";

export = function resetAccessProgram() {
    const reset = new ResetAccess("reset", argsFromConfig(new pulumi.Config()));
    return {
        platform: reset.platform,
        keyParameterName: reset.keyParameterName,
        publicKey: reset.publicKey,
        fingerprint: reset.fingerprint,
        usersUpdated: reset.usersUpdated,
        backupImageId: reset.backupImageId,
        passwordEnabledImageId: reset.passwordEnabledImageId,
        windowsAgent: reset.windowsAgent,
        passwordInstructions: reset.passwordInstructions,
        replacementInstanceId: reset.replacementInstanceId,
        warnings: reset.warnings,
        helperInstanceId: reset.helperInstanceId,
        targetState: reset.targetState,
    };
};
