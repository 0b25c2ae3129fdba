/**
 * ResetAccess: gets you back into an EC2 instance you are locked out of. Linux: a new SSH key.
 * Windows: Administrator password generation re-enabled, and a password-enabled AMI. The
 * platform comes from the instance (the preflight reads it), so one set of resources serves
 * both: the helper's AMI, the document and the reset step follow the platform.
 *
 * The helper's network, role, command documents (components/command-documents.ts) and instance
 * are ordinary resources; the steps on the target are custom ones (dynamic-providers/), chained
 * so that nothing touches the target before every check and every helper resource has
 * succeeded, and each step's undo is its `delete`.
 */
import { createHash } from "node:crypto";
import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import { GeneratedSshKey } from "../dynamic-providers/generated-ssh-key";
import { HelperReady } from "../dynamic-providers/helper-ready";
import { StopTarget } from "../dynamic-providers/stop-target";
import { OfflineReset } from "../dynamic-providers/offline-reset";
import { ReleaseTarget } from "../dynamic-providers/release-target";
import { RootVolumeToHelper } from "../dynamic-providers/root-volume-to-helper";
import { TargetBackup } from "../dynamic-providers/target-backup";
import { TargetPreflight } from "../dynamic-providers/target-preflight";
import { HELPER_IAM_PATH, helperPolicyDocument } from "../lib/helper-policy";
import { passwordInstructions } from "../lib/password-instructions";
import { resetDigest } from "../lib/reset-digest";
import { toolKeyComment } from "../lib/ssh-keys";
import { helperEgress } from "../lib/subnet-reach";
import { TargetContext } from "../lib/target-context";
import { EC2_TRUST_POLICY } from "../lib/helper-role";
import * as validate from "../lib/validate-args";
import { checkedArguments, ResetAccessArgs } from "./reset-access-args";
import { commandDocuments } from "./command-documents";
import { temporaryNetwork } from "./temporary-network";

export { ResetAccessArgs } from "./reset-access-args";

export class ResetAccess extends pulumi.ComponentResource {
    /** "linux" or "windows", as the preflight found the instance. */
    readonly platform: pulumi.Output<"linux" | "windows">;
    /** Linux: where the generated private key is (SecureString); undefined when you gave publicKey, and for Windows. */
    readonly keyParameterName: pulumi.Output<string | undefined>;
    /** Linux: the public key now installed ("" for Windows). */
    readonly publicKey: pulumi.Output<string>;
    /** Linux: its SHA256 fingerprint, as `ssh-keygen -l` prints it. */
    readonly fingerprint: pulumi.Output<string | undefined>;
    /** Linux: the users whose authorized_keys now hold the key. */
    readonly usersUpdated: pulumi.Output<string[]>;
    /**
     * Windows: the password-enabled AMI (`AWSSupport-EC2Rescue: Password-enabled AMI from <instanceId>`, its Name tag).
     * A standing credential: anyone who may launch it gets the Administrator account. Kept by `pulumi destroy` unless
     * retainPasswordEnabledImage is false.
     */
    readonly passwordEnabledImageId: pulumi.Output<string | undefined>;
    /** Windows: the launch agent whose password generation was re-enabled (EC2Launch v2, EC2Launch v1 or EC2Config). */
    readonly windowsAgent: pulumi.Output<string | undefined>;
    /** Windows: how to read the new Administrator password (GetPasswordData with the key pair's private key). */
    readonly passwordInstructions: pulumi.Output<string | undefined>;
    /** Windows, with newKeyName: the instance launched from the password-enabled AMI with your key pair; `pulumi destroy` leaves it. */
    readonly replacementInstanceId: pulumi.Output<string | undefined>;
    /** The backup AMI taken before the volume moved (`AWSSupport-EC2Rescue_<instanceId>`, tagged Name `AWSSupport-EC2Rescue:<instanceId>` as the runbook names it). */
    readonly backupImageId: pulumi.Output<string>;
    /** What could still stop a login, or what changed (e.g. the public IP). */
    readonly warnings: pulumi.Output<string[]>;
    /** The helper instance (stopped once the reset is done; removed by `pulumi destroy`). */
    readonly helperInstanceId: pulumi.Output<string>;
    /** The target's state after the reset: its state before it. */
    readonly targetState: pulumi.Output<string>;
    /** pulumi-aws v7's per-resource `region` of every regional resource and invoke: the argument, else the provider's. */
    private regionArgument?: pulumi.Input<string>;

    constructor(name: string, args: ResetAccessArgs, opts?: pulumi.ComponentResourceOptions) {
        super("ec2-reset-access:index:ResetAccess", name, {}, opts);
        const child = { parent: this };
        const {
            instanceId,
            subnetId,
            users,
            ownKey,
            keyType,
            keyParameterName,
            assumeRoleArn,
            newKeyName,
            helperReadyTimeout,
            helperPermissionsBoundary,
            linuxOnlyArguments,
        } = checkedArguments(args, this);
        // The region argument reaches every ordinary resource and invoke (pulumi-aws v7's
        // per-resource `region`); without it they use the aws provider's, and so do the steps.
        const region = args.region ?? aws.getRegionOutput({}, child).region;
        this.regionArgument = args.region;
        const rotation = pulumi.output(args.rotation ?? "1");
        const access = { region, assumeRoleArn };

        // Everything below depends on the preflight: a refusal creates nothing.
        const preflight = new TargetPreflight(
            `${name}-preflight`,
            {
                ...access,
                instanceId,
                subnetId,
                helperInstanceType: args.helperInstanceType,
                allowInstanceStoreLoss: args.allowInstanceStoreLoss ?? false,
                allowAutoScaling: args.allowAutoScaling ?? false,
                rotation,
                linuxOnlyArguments,
                newKeyName,
                keyParameterName: ownKey ? undefined : keyParameterName,
                helperPermissionsBoundary,
                keyParameterKmsKeyId: ownKey ? undefined : args.keyParameterKmsKeyId,
                argumentsChecked: pulumi
                    .all([users, keyType, keyParameterName, ownKey])
                    .apply(() => true),
            },
            child,
        );
        const platform = preflight.platform;
        preflight.warnings.apply((ws) => ws?.forEach((w) => pulumi.log.warn(w, this)));
        const afterPreflight = { parent: this, dependsOn: [preflight] };

        const network = subnetId
            ? { subnetId }
            : temporaryNetwork(
                  name,
                  {
                      availabilityZone: this.availabilityZoneOf(instanceId, region),
                      region: args.region,
                  },
                  afterPreflight,
              );
        const helper = this.helper(
            name,
            { preflight, network, rotation, permissionsBoundary: helperPermissionsBoundary },
            afterPreflight,
        );
        const { reset: document, probe: probeDocument } = commandDocuments(
            name,
            { platform, instanceId, region: args.region },
            afterPreflight,
        );

        const generated = ownKey
            ? undefined
            : new GeneratedSshKey(
                  `${name}-key`,
                  {
                      ...access,
                      instanceId,
                      parameterName: keyParameterName,
                      kmsKeyId: args.keyParameterKmsKeyId,
                      keyType,
                      rotation,
                      deleteParameterOnDestroy: args.deleteKeyParameterOnDestroy ?? false,
                      platform,
                  },
                  afterPreflight,
              );
        const publicKey =
            ownKey ??
            pulumi
                .all([platform, generated!.publicKey])
                .apply(([p, k]) => (p === "windows" ? "" : validate.checkPublicKey(k)));

        const helperInstanceId = helper.instance.id;
        const digest = pulumi
            .all([instanceId, rotation, publicKey, users, ownKey ? "" : keyType, platform])
            .apply(([id, r, key, u, type, p]) =>
                resetDigest({
                    instanceId: id,
                    rotation: r,
                    publicKey: key,
                    users: u,
                    keyType: type,
                    platform: p,
                }),
            );
        // The helper proven ready (Online in SSM, a probe answered) before the target is touched;
        // again whenever the chain on the target runs again (the same digest).
        const helperReady = new HelperReady(
            `${name}-helper-ready`,
            {
                context: preflight.context,
                rotation,
                resetDigest: digest,
                helperInstanceId,
                probeDocumentName: probeDocument.name,
                helperReadyTimeout,
                network: pulumi.output(subnetId ?? "temporary").apply((subnet) => ({ subnet })),
            },
            { parent: this, dependsOn: [helper.instance, helper.profile] },
        );
        const { backup, reset, release } = this.stepsOnTarget(name, {
            context: preflight.context,
            rotation,
            resetDigest: digest,
            helperInstanceId,
            documentName: document.name,
            publicKey,
            users,
            revokeComment: pulumi
                .all([platform, rotation, instanceId])
                .apply(([p, r, id]) => revokeCommentFor(p, r, id)),
            retainBackup: args.retainBackup ?? true,
            retainPasswordEnabledImage: args.retainPasswordEnabledImage ?? true,
            waitForPasswordEnabledImage: newKeyName !== undefined,
            // The target is touched only once every helper resource exists: a failure before
            // that leaves it as it was, and after it each step repairs it before failing.
            helperResources: [
                helperReady,
                helper.instance,
                helper.profile,
                document,
                ...(generated ? [generated] : []),
            ],
        });

        const windowsOnly = <T>(value: pulumi.Output<T>) =>
            pulumi.all([platform, value]).apply(([p, v]) => (p === "windows" ? v : undefined));
        const linuxOnly = <T>(value: pulumi.Output<T>) =>
            pulumi.all([platform, value]).apply(([p, v]) => (p === "windows" ? undefined : v));
        const replacement =
            newKeyName === undefined
                ? undefined
                : this.replacementInstance(
                      name,
                      {
                          preflight,
                          imageId: release.passwordEnabledImageId,
                          keyName: newKeyName,
                          instanceId,
                      },
                      { parent: this, dependsOn: [release] },
                  );

        this.platform = platform;
        this.keyParameterName = generated
            ? linuxOnly(generated.parameterName)
            : pulumi.output(undefined);
        this.publicKey = publicKey;
        this.fingerprint = generated ? linuxOnly(generated.fingerprint) : pulumi.output(undefined);
        this.usersUpdated = reset.usersUpdated;
        this.passwordEnabledImageId = windowsOnly(release.passwordEnabledImageId);
        this.windowsAgent = windowsOnly(reset.windowsAgent);
        this.replacementInstanceId = replacement ? replacement.id : pulumi.output(undefined);
        this.passwordInstructions = windowsOnly(
            pulumi
                .all([
                    instanceId,
                    release.targetState,
                    preflight.targetKeyName,
                    release.passwordEnabledImageId,
                    replacement?.id ?? pulumi.output(""),
                    newKeyName ?? pulumi.output(""),
                ])
                .apply(([id, targetState, targetKeyName, imageId, replacementId, keyName]) =>
                    passwordInstructions({
                        instanceId: id,
                        targetState,
                        targetKeyName,
                        passwordEnabledImageId: imageId,
                        replacement: replacementId
                            ? { instanceId: replacementId, keyName }
                            : undefined,
                    }),
                ),
        );
        this.backupImageId = backup.imageId;
        this.warnings = pulumi
            .all([preflight.warnings, reset.scriptWarnings])
            .apply(([a, b]) => [...(a ?? []), ...(b ?? [])]);
        this.helperInstanceId = helperInstanceId;
        this.targetState = release.targetState;
        this.registerOutputs({
            platform: this.platform,
            passwordEnabledImageId: this.passwordEnabledImageId,
            windowsAgent: this.windowsAgent,
            passwordInstructions: this.passwordInstructions,
            replacementInstanceId: this.replacementInstanceId,
            keyParameterName: this.keyParameterName,
            publicKey: this.publicKey,
            fingerprint: this.fingerprint,
            usersUpdated: this.usersUpdated,
            backupImageId: this.backupImageId,
            warnings: this.warnings,
            helperInstanceId: this.helperInstanceId,
            targetState: this.targetState,
        });
    }

    /** The chain of steps on the target, each after the previous one. */
    private stepsOnTarget(
        name: string,
        a: {
            context: pulumi.Output<TargetContext>;
            rotation: pulumi.Output<string>;
            resetDigest: pulumi.Output<string>;
            helperInstanceId: pulumi.Output<string>;
            documentName: pulumi.Output<string>;
            publicKey: pulumi.Output<string>;
            users: pulumi.Output<string>;
            revokeComment: pulumi.Output<string>;
            retainBackup: pulumi.Input<boolean>;
            retainPasswordEnabledImage: pulumi.Input<boolean>;
            waitForPasswordEnabledImage: boolean;
            helperResources: pulumi.Resource[];
        },
    ) {
        // Every step carries the digest of all reset inputs: a change re-runs the whole chain.
        const step = { context: a.context, rotation: a.rotation, resetDigest: a.resetDigest };
        const after = (previous: pulumi.Resource | pulumi.Resource[]) => ({
            parent: this,
            dependsOn: previous,
        });
        const hold = new StopTarget(`${name}-stop`, step, after(a.helperResources));
        const backup = new TargetBackup(
            `${name}-backup`,
            { ...step, retainBackup: a.retainBackup },
            after(hold),
        );
        const moved = new RootVolumeToHelper(
            `${name}-move-root`,
            { ...step, helperInstanceId: a.helperInstanceId },
            after(backup),
        );
        const reset = new OfflineReset(
            `${name}-reset`,
            {
                ...step,
                helperInstanceId: a.helperInstanceId,
                documentName: a.documentName,
                publicKey: a.publicKey,
                users: a.users,
                revokeComment: a.revokeComment,
            },
            after(moved),
        );
        const release = new ReleaseTarget(
            `${name}-release`,
            {
                ...step,
                helperInstanceId: a.helperInstanceId,
                waitForPasswordEnabledImage: a.waitForPasswordEnabledImage,
                retainPasswordEnabledImage: a.retainPasswordEnabledImage,
            },
            after(reset),
        );
        return { backup, reset, release };
    }

    /**
     * Windows, key pair lost: an instance from the password-enabled AMI with the operator's key
     * pair, placed as the target is (type, subnet, security groups, instance profile). Not temporary: `pulumi
     * destroy` leaves it (retainOnDelete), as it leaves the target.
     */
    private replacementInstance(
        name: string,
        a: {
            preflight: TargetPreflight;
            imageId: pulumi.Output<string>;
            keyName: pulumi.Output<string>;
            instanceId: pulumi.Output<string>;
        },
        opts: pulumi.CustomResourceOptions,
    ) {
        const placement = a.preflight.replacement;
        return new aws.ec2.Instance(
            `${name}-replacement`,
            {
                ami: a.imageId,
                keyName: a.keyName,
                instanceType: placement.instanceType,
                subnetId: placement.subnetId,
                vpcSecurityGroupIds: placement.securityGroupIds,
                iamInstanceProfile: placement.instanceProfileName.apply((p) => p || undefined),
                tags: {
                    Name: pulumi.interpolate`replacement of ${a.instanceId}`,
                    "ec2-reset-access:replacement-for": a.instanceId,
                },
                region: this.regionArgument,
            },
            { ...opts, retainOnDelete: true },
        );
    }

    /** Read at preview too, so the temporary VPC's AZ is known before anything is created. */
    private availabilityZoneOf(
        instanceId: pulumi.Output<string>,
        region: pulumi.Input<string>,
    ): pulumi.Output<string> {
        return pulumi.all([instanceId, region]).apply(async ([id, where]) => {
            try {
                return (
                    await aws.ec2.getInstance({ instanceId: id, region: where }, { parent: this })
                ).availabilityZone;
            } catch (err) {
                throw new pulumi.ResourceError(
                    `instanceId: instance ${id} was not found in ${where}; check the id, and the region (config aws:region or the region argument). (${err instanceof Error ? err.message : err})`,
                    this,
                );
            }
        });
    }

    private helper(
        name: string,
        {
            preflight,
            network,
            rotation,
            permissionsBoundary,
        }: {
            preflight: TargetPreflight;
            network: { subnetId: pulumi.Input<string>; vpcId?: pulumi.Input<string> };
            rotation: pulumi.Output<string>;
            permissionsBoundary?: pulumi.Input<string>;
        },
        opts: pulumi.CustomResourceOptions,
    ) {
        const vpcId =
            network.vpcId ??
            aws.ec2.getSubnetOutput(
                { id: network.subnetId, region: this.regionArgument },
                { parent: this },
            ).vpcId;
        const securityGroup = new aws.ec2.SecurityGroup(
            `${name}-helper`,
            {
                vpcId,
                description:
                    "ec2-reset-access helper: no inbound; outbound HTTPS to the SSM endpoints",
                // DNS too when the VPC's DHCP options name their own servers (the agent resolves the endpoints through them).
                egress: preflight.helperNetwork.apply((n) => helperEgress(n?.dnsServers ?? [])),
                tags: { Name: `${name}-helper`, "ec2-reset-access:temporary": "true" },
                region: this.regionArgument,
            },
            opts,
        );
        const role = new aws.iam.Role(
            `${name}-helper`,
            {
                assumeRolePolicy: EC2_TRUST_POLICY,
                description: "ec2-reset-access helper: SSM Run Command only",
                // The operator policy lets its holder create roles and profiles under this path only,
                // and only with the boundary, which caps whatever inline policy the role is given.
                path: HELPER_IAM_PATH,
                permissionsBoundary,
            },
            opts,
        );
        // Inline, so that nothing else grants the helper more: the agent's Run Command calls only.
        const agentPolicy = new aws.iam.RolePolicy(
            `${name}-helper-agent`,
            { role: role.name, policy: helperPolicyDocument() },
            opts,
        );
        const profile = new aws.iam.InstanceProfile(
            `${name}-helper`,
            { role: role.name, path: HELPER_IAM_PATH },
            { ...opts, dependsOn: [preflight, agentPolicy] },
        );
        const instance = new aws.ec2.Instance(
            `${name}-helper`,
            {
                // Read by the preflight: Amazon Linux 2023, or a Windows Server of another version than the target's.
                ami: preflight.helperImageId,
                instanceType: preflight.chosenHelperInstanceType,
                subnetId: network.subnetId,
                vpcSecurityGroupIds: [securityGroup.id],
                iamInstanceProfile: profile.name,
                // A public IP only when the subnet's route needs one (an internet gateway, no endpoints)
                // and the subnet does not assign one itself; otherwise unset, the subnet decides (never
                // forced to false). Unset is also what keeps a refresh from replacing the helper: the
                // provider reads the attribute back from the primary interface, a stopped helper reads
                // false (hashicorp/terraform-provider-aws#33775), so only that one case can show a diff.
                associatePublicIpAddress: preflight.helperNetwork.apply((n) =>
                    n?.publicIp ? true : undefined,
                ),
                metadataOptions: { httpTokens: "required", httpEndpoint: "enabled" },
                rootBlockDevice: { encrypted: true, volumeType: "gp3", deleteOnTermination: true },
                tags: {
                    Name: `${name}-helper`,
                    "ec2-reset-access:helper-for": preflight.context.apply(
                        (c) => c?.instanceId ?? "",
                    ),
                },
                region: this.regionArgument,
                // A fresh helper for each rotation: one that has mounted a target volume (an
                // attacker-shaped filesystem) is never given another. The user data only names the
                // rotation, hashed (no operator text reaches a script), and a change replaces the instance.
                userData: rotation.apply(helperUserData),
                userDataReplaceOnChange: true,
            },
            opts,
        );
        return { instance, profile };
    }
}

/** The helper's user data: a comment naming the rotation by its hash; cloud-init and EC2Launch ignore it. */
export function helperUserData(rotation: string): string {
    return `# ec2-reset-access helper, rotation sha256:${createHash("sha256").update(rotation).digest("hex")}\n`;
}

/** The rotation a stack starts with; any other value is a new rotation. */
const FIRST_ROTATION = "1";

/**
 * Linux, a new rotation: the comment of the keys this tool installed before for the instance
 * (every generated key carries it), which the script removes from every authorized_keys before
 * adding the new key. The first reset has no earlier key of this stack to revoke.
 */
export function revokeCommentFor(platform: string, rotation: string, instanceId: string): string {
    return platform === "windows" || rotation === FIRST_ROTATION ? "" : toolKeyComment(instanceId);
}
