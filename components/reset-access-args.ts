import * as pulumi from "@pulumi/pulumi";
import * as validate from "../lib/validate-args";

/** The arguments of {@link ResetAccess}. The stack config of this project uses the same names. */
export interface ResetAccessArgs {
    /** The instance to get back into (`i-…`), Linux or Windows (the platform is read from the instance). Required. */
    instanceId: pulumi.Input<string>;
    /**
     * A subnet in the instance's Availability Zone, from which the helper reaches the SSM
     * endpoints. Default: a temporary VPC with one public subnet in that AZ, removed by
     * `pulumi destroy`.
     */
    subnetId?: pulumi.Input<string>;
    /**
     * The helper's instance type (x86_64). Default for Linux: t3.small, or the first of t3a.small, t2.small, m5.large,
     * m6i.large offered in the AZ; for Windows: t3.medium, or the first of t3a.medium, t2.medium, m5.large, m6i.large.
     */
    helperInstanceType?: pulumi.Input<string>;
    /**
     * Windows, key pair lost: the name of a key pair you own. An instance is launched from the
     * password-enabled AMI with it (the target's type, subnet, security groups and instance profile); `pulumi
     * destroy` does not delete it. Refused for a Linux target.
     */
    newKeyName?: pulumi.Input<string>;
    /**
     * Linux: your own OpenSSH public key line to install. When given, no key pair is made and nothing
     * is stored; excludes keyType, keyParameterName and keyParameterKmsKeyId.
     */
    publicKey?: pulumi.Input<string>;
    /**
     * Linux: whom to give the key: "auto" (default: the usual cloud login users present on the
     * volume, e.g. ec2-user or ubuntu, plus every user that already has authorized_keys), or
     * a list of user names (root only when named).
     */
    users?: pulumi.Input<string[] | "auto">;
    /** Linux: where the generated private key is stored (SecureString). Default: /ec2rl/openssh/<instanceId>/key, as AWS's runbook does. */
    keyParameterName?: pulumi.Input<string>;
    /**
     * Linux: KMS key for the SecureString parameter: key id, key ARN, alias name (`alias/…`) or alias ARN.
     * Default: the account's aws/ssm key. The preflight refuses, before anything is touched, a key that does
     * not exist, is not Enabled, or is not a symmetric encryption key (SSM's SecureString needs one), and one
     * it may not describe (kms:DescribeKey).
     */
    keyParameterKmsKeyId?: pulumi.Input<string>;
    /** Linux: type of the generated key: "ed25519" (default) or "rsa" (4096 bits, for sshd older than OpenSSH 6.5). */
    keyType?: pulumi.Input<"ed25519" | "rsa">;
    /** Any string; changing it performs a new reset (a new key, when one is generated; a new password-enabled AMI). Default "1". */
    rotation?: pulumi.Input<string>;
    /** Keep the backup AMI and its snapshots at `pulumi destroy`. Default true. */
    retainBackup?: pulumi.Input<boolean>;
    /**
     * Windows: keep the password-enabled AMI and its snapshots at `pulumi destroy`. Default true,
     * as AWS's runbook does. That AMI is a standing credential: anyone who may launch it gets
     * the target's Administrator account. false deregisters it and deletes its snapshots.
     */
    retainPasswordEnabledImage?: pulumi.Input<boolean>;
    /** Linux: delete the key parameter at `pulumi destroy`. Default false: it is how you log in. */
    deleteKeyParameterOnDestroy?: pulumi.Input<boolean>;
    /** The instance's region. Default: the aws provider's region. */
    region?: pulumi.Input<string>;
    /** A role the custom steps assume for their AWS calls (the ordinary resources use the aws provider's credentials). */
    assumeRoleArn?: pulumi.Input<string>;
    /**
     * The ARN of a managed policy set as the permissions boundary of the helper's role (create it
     * from iam/helper-policy.json). Required by iam/operator-policy.json, which lets its holder
     * create and change roles only with that boundary. The preflight checks that it exists.
     * Default: none.
     */
    helperPermissionsBoundary?: pulumi.Input<string>;
    /**
     * Seconds to wait for the helper to be Online in SSM and to answer a probe command, before
     * anything touches the target; past it the `up` fails with the target untouched. Default:
     * 600 for a Linux helper, 1200 for a Windows one (its first boot runs sysprep). 60 to 3600.
     */
    helperReadyTimeout?: pulumi.Input<number>;
    /** Proceed although the instance has instance-store volumes, whose data a stop loses. Default false. */
    allowInstanceStoreLoss?: pulumi.Input<boolean>;
    /** Proceed with an instance of an Auto Scaling group that may replace it while stopped. Default false. */
    allowAutoScaling?: pulumi.Input<boolean>;
}

/**
 * The arguments, checked: plain values at once (the constructor throws), outputs when they
 * resolve. Either way the error is a ResourceError naming the argument and the fix.
 */
export function checkedArguments(args: ResetAccessArgs, resource: pulumi.Resource) {
    const run = <T>(check: () => T): T => {
        try {
            return check();
        } catch (err) {
            if (err instanceof validate.ArgumentError)
                throw new pulumi.ResourceError(err.message, resource);
            throw err;
        }
    };
    const checked = (
        value: pulumi.Input<string>,
        check: (v: string) => void,
    ): pulumi.Output<string> => {
        if (typeof value === "string") run(() => check(value));
        return pulumi.output(value).apply((v) => run(() => (check(v), v)));
    };
    const checkedNumber = (
        value: pulumi.Input<number>,
        check: (v: number) => void,
    ): pulumi.Output<number> => {
        if (typeof value === "number") run(() => check(value));
        return pulumi.output(value).apply((v) => run(() => (check(v), v)));
    };
    run(() =>
        validate.checkExclusive(args as unknown as Record<string, unknown>, "publicKey", [
            "keyType",
            "keyParameterName",
            "keyParameterKmsKeyId",
        ]),
    );
    const instanceId = checked(args.instanceId, validate.checkInstanceId);
    // Which of them a Windows target refuses is known only after the preflight has looked.
    const linuxOnly = [
        "publicKey",
        "users",
        "keyType",
        "keyParameterName",
        "keyParameterKmsKeyId",
        "deleteKeyParameterOnDestroy",
    ] as const;
    const defaultParameter = (id: string) => `/ec2rl/openssh/${id}/key`;
    return {
        instanceId,
        subnetId:
            args.subnetId === undefined
                ? undefined
                : checked(args.subnetId, validate.checkSubnetId),
        assumeRoleArn:
            args.assumeRoleArn === undefined
                ? undefined
                : checked(args.assumeRoleArn, validate.checkAssumeRoleArn),
        helperPermissionsBoundary:
            args.helperPermissionsBoundary === undefined
                ? undefined
                : checked(args.helperPermissionsBoundary, validate.checkPermissionsBoundary),
        users: pulumi.output(args.users).apply((u) => run(() => validate.normalizeUsers(u))),
        ownKey:
            args.publicKey === undefined
                ? undefined
                : pulumi.output(args.publicKey).apply((k) => run(() => validate.checkPublicKey(k))),
        keyType: pulumi
            .output(args.keyType ?? "ed25519")
            .apply((t) => run(() => (validate.checkKeyType(t), t))),
        keyParameterName: pulumi
            .all([args.keyParameterName, instanceId])
            .apply(([name, id]) =>
                run(
                    () => (
                        validate.checkKeyParameterName(name ?? defaultParameter(id)),
                        name ?? defaultParameter(id)
                    ),
                ),
            ),
        newKeyName:
            args.newKeyName === undefined
                ? undefined
                : checked(args.newKeyName, validate.checkKeyPairName),
        helperReadyTimeout:
            args.helperReadyTimeout === undefined
                ? undefined
                : checkedNumber(args.helperReadyTimeout, validate.checkHelperReadyTimeout),
        linuxOnlyArguments: linuxOnly.filter((key) => args[key] !== undefined),
    };
}
