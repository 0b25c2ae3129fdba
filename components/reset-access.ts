/**
 * ResetAccess: gets you back into an EC2 instance whose SSH key is lost. The helper's network,
 * role, command document and instance are ordinary resources; the steps on the target are
 * custom ones (dynamic-providers/), chained so that nothing touches the target before every
 * check and every helper resource has succeeded, and each step's undo is its `delete`.
 */
import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import * as awsx from "@pulumi/awsx";
import { GeneratedSshKey } from "../dynamic-providers/generated-ssh-key";
import { HoldTarget } from "../dynamic-providers/hold-target";
import { ReleaseTarget } from "../dynamic-providers/release-target";
import { RootVolumeToHelper } from "../dynamic-providers/root-volume-to-helper";
import { SshKeyReset } from "../dynamic-providers/ssh-key-reset";
import { TargetBackup } from "../dynamic-providers/target-backup";
import { TargetPreflight } from "../dynamic-providers/target-preflight";
import { resetDocumentContent } from "../lib/reset-document";
import { TargetContext } from "../lib/target-context";
import * as validate from "../lib/validate-args";
import { ResetAccessArgs } from "./reset-access-args";

export { ResetAccessArgs } from "./reset-access-args";

/** AWS's public parameter for the current Amazon Linux 2023 AMI: SSM agent preinstalled. */
export const HELPER_AMI_PARAMETER = "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64";
const SSM_POLICY_ARN = "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore";

export class ResetAccess extends pulumi.ComponentResource {
    /** Where the generated private key is (SecureString); undefined when you gave publicKey. */
    readonly keyParameterName: pulumi.Output<string | undefined>;
    /** The public key now installed. */
    readonly publicKey: pulumi.Output<string>;
    /** Its SHA256 fingerprint, as `ssh-keygen -l` prints it. */
    readonly fingerprint: pulumi.Output<string | undefined>;
    /** The users whose authorized_keys now hold the key. */
    readonly usersUpdated: pulumi.Output<string[]>;
    /** The backup AMI taken before the volume moved (`AWSSupport-EC2Rescue_<instanceId>`, tagged Name `AWSSupport-EC2Rescue:<instanceId>` as the runbook names it). */
    readonly backupImageId: pulumi.Output<string>;
    /** What could still stop a login, or what changed (e.g. the public IP). */
    readonly warnings: pulumi.Output<string[]>;
    /** The helper instance (stopped once the reset is done; removed by `pulumi destroy`). */
    readonly helperInstanceId: pulumi.Output<string>;
    /** The target's state after the reset: its state before it. */
    readonly targetState: pulumi.Output<string>;

    constructor(name: string, args: ResetAccessArgs, opts?: pulumi.ComponentResourceOptions) {
        super("ec2-reset-access:index:ResetAccess", name, {}, opts);
        const child = { parent: this };
        const { instanceId, subnetId, users, ownKey, keyType, keyParameterName, assumeRoleArn } = checkedArguments(args, this);
        const region = args.region ?? aws.getRegionOutput({}, child).region;
        const rotation = pulumi.output(args.rotation ?? "1");
        const access = { region, assumeRoleArn };

        // Everything below depends on the preflight: a refusal creates nothing.
        const preflight = new TargetPreflight(`${name}-preflight`, {
            ...access,
            instanceId,
            subnetId,
            helperInstanceType: args.helperInstanceType,
            allowInstanceStoreLoss: args.allowInstanceStoreLoss ?? false,
            allowAutoScaling: args.allowAutoScaling ?? false,
            rotation,
            argumentsChecked: pulumi.all([users, keyType, keyParameterName, ownKey]).apply(() => true),
        }, child);
        preflight.warnings.apply((ws) => ws?.forEach((w) => pulumi.log.warn(w, this)));
        const afterPreflight = { parent: this, dependsOn: [preflight] };

        const network = subnetId
            ? { subnetId, publicIp: false }
            : this.temporaryNetwork(name, this.availabilityZoneOf(instanceId, region), afterPreflight);
        const helper = this.helper(name, preflight, network, afterPreflight);
        const document = new aws.ssm.Document(`${name}-reset-ssh-key`, {
            documentType: "Command",
            documentFormat: "JSON",
            content: resetDocumentContent(),
            tags: { "ec2-reset-access:for": instanceId },
        }, afterPreflight);

        const generated = ownKey ? undefined : new GeneratedSshKey(`${name}-key`, {
            ...access, instanceId, parameterName: keyParameterName, kmsKeyId: args.keyParameterKmsKeyId,
            keyType, rotation, deleteParameterOnDestroy: args.deleteKeyParameterOnDestroy ?? false,
        }, afterPreflight);
        const publicKey = ownKey ?? generated!.publicKey.apply((k) => validate.checkPublicKey(k));

        const helperInstanceId = helper.instance.id;
        const { backup, reset, release } = this.stepsOnTarget(name, {
            context: preflight.context, rotation, helperInstanceId, documentName: document.name, publicKey, users,
            retainBackup: args.retainBackup ?? true,
            // The target is touched only once every helper resource exists: a failure before
            // that leaves it as it was, and after it each step restores it before failing.
            helperResources: [helper.instance, helper.profile, document, ...(generated ? [generated] : [])],
        });

        this.keyParameterName = generated ? generated.parameterName : pulumi.output(undefined);
        this.publicKey = publicKey;
        this.fingerprint = generated ? generated.fingerprint : pulumi.output(undefined);
        this.usersUpdated = reset.usersUpdated;
        this.backupImageId = backup.imageId;
        this.warnings = pulumi.all([preflight.warnings, reset.scriptWarnings]).apply(([a, b]) => [...(a ?? []), ...(b ?? [])]);
        this.helperInstanceId = helperInstanceId;
        this.targetState = release.targetState;
        this.registerOutputs({
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
    private stepsOnTarget(name: string, a: {
        context: pulumi.Output<TargetContext>; rotation: pulumi.Output<string>; helperInstanceId: pulumi.Output<string>;
        documentName: pulumi.Output<string>; publicKey: pulumi.Output<string>; users: pulumi.Output<string>;
        retainBackup: pulumi.Input<boolean>; helperResources: pulumi.Resource[];
    }) {
        const step = { context: a.context, rotation: a.rotation };
        const after = (previous: pulumi.Resource | pulumi.Resource[]) => ({ parent: this, dependsOn: previous });
        const hold = new HoldTarget(`${name}-stop`, step, after(a.helperResources));
        const backup = new TargetBackup(`${name}-backup`, { ...step, retainBackup: a.retainBackup }, after(hold));
        const moved = new RootVolumeToHelper(`${name}-move-root`, { ...step, helperInstanceId: a.helperInstanceId }, after(backup));
        const reset = new SshKeyReset(`${name}-reset`, {
            ...step, helperInstanceId: a.helperInstanceId, documentName: a.documentName, publicKey: a.publicKey, users: a.users,
        }, after(moved));
        const release = new ReleaseTarget(`${name}-release`, { ...step, helperInstanceId: a.helperInstanceId }, after(reset));
        return { backup, reset, release };
    }

    /** One public subnet in the target's AZ; no NAT gateway (the helper gets a public IP). */
    private temporaryNetwork(name: string, az: pulumi.Output<string>, opts: pulumi.ComponentResourceOptions) {
        const vpc = new awsx.ec2.Vpc(`${name}-vpc`, {
            cidrBlock: "10.213.0.0/24",
            // Typed as plain names; a remote component's inputs may be outputs, and this one is
            // known at preview too (it comes from an invoke, not from a resource).
            availabilityZoneNames: [az] as unknown as string[],
            natGateways: { strategy: awsx.ec2.NatGatewayStrategy.None },
            subnetStrategy: awsx.ec2.SubnetAllocationStrategy.Auto,
            subnetSpecs: [{ type: awsx.ec2.SubnetType.Public, cidrMask: 26 }],
            tags: { Name: `${name}-vpc`, "ec2-reset-access:temporary": "true" },
        }, opts);
        return { subnetId: vpc.publicSubnetIds.apply((ids) => ids[0]), vpcId: vpc.vpcId, publicIp: true };
    }

    /** Read at preview too, so the temporary VPC's AZ is known before anything is created. */
    private availabilityZoneOf(instanceId: pulumi.Output<string>, region: pulumi.Input<string>): pulumi.Output<string> {
        return pulumi.all([instanceId, region]).apply(async ([id, where]) => {
            try {
                return (await aws.ec2.getInstance({ instanceId: id, region: where }, { parent: this })).availabilityZone;
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
        preflight: TargetPreflight,
        network: { subnetId: pulumi.Input<string>; vpcId?: pulumi.Input<string>; publicIp: boolean },
        opts: pulumi.CustomResourceOptions,
    ) {
        const vpcId = network.vpcId ?? aws.ec2.getSubnetOutput({ id: network.subnetId }, { parent: this }).vpcId;
        const securityGroup = new aws.ec2.SecurityGroup(`${name}-helper`, {
            vpcId,
            description: "ec2-reset-access helper: no inbound; outbound HTTPS to the SSM endpoints",
            egress: [{ protocol: "tcp", fromPort: 443, toPort: 443, cidrBlocks: ["0.0.0.0/0"] }],
            tags: { Name: `${name}-helper` },
        }, opts);
        const role = new aws.iam.Role(`${name}-helper`, {
            assumeRolePolicy: JSON.stringify({
                Version: "2012-10-17",
                Statement: [{ Effect: "Allow", Principal: { Service: "ec2.amazonaws.com" }, Action: "sts:AssumeRole" }],
            }),
            description: "ec2-reset-access helper: SSM Run Command only",
        }, opts);
        const attachment = new aws.iam.RolePolicyAttachment(`${name}-helper-ssm`, { role: role.name, policyArn: SSM_POLICY_ARN }, opts);
        const profile = new aws.iam.InstanceProfile(`${name}-helper`, { role: role.name }, { ...opts, dependsOn: [preflight, attachment] });
        const ami = aws.ssm.getParameterOutput({ name: HELPER_AMI_PARAMETER }, { parent: this }).value;
        const instance = new aws.ec2.Instance(`${name}-helper`, {
            ami,
            instanceType: preflight.chosenHelperInstanceType,
            subnetId: network.subnetId,
            vpcSecurityGroupIds: [securityGroup.id],
            iamInstanceProfile: profile.name,
            associatePublicIpAddress: network.publicIp,
            metadataOptions: { httpTokens: "required", httpEndpoint: "enabled" },
            rootBlockDevice: { encrypted: true, volumeType: "gp3", deleteOnTermination: true },
            tags: { Name: `${name}-helper`, "ec2-reset-access:helper-for": preflight.context.apply((c) => c?.instanceId ?? "") },
        }, opts);
        return { instance, profile };
    }
}

/**
 * The arguments, checked: plain values at once (the constructor throws), outputs when they
 * resolve. Either way the error is a ResourceError naming the argument and the fix.
 */
function checkedArguments(args: ResetAccessArgs, resource: pulumi.Resource) {
    const run = <T>(check: () => T): T => {
        try {
            return check();
        } catch (err) {
            if (err instanceof validate.ArgumentError) throw new pulumi.ResourceError(err.message, resource);
            throw err;
        }
    };
    const checked = (value: pulumi.Input<string>, check: (v: string) => void): pulumi.Output<string> => {
        if (typeof value === "string") run(() => check(value));
        return pulumi.output(value).apply((v) => run(() => (check(v), v)));
    };
    run(() => validate.checkExclusive(args as unknown as Record<string, unknown>, "publicKey", ["keyType", "keyParameterName", "keyParameterKmsKeyId"]));
    const instanceId = checked(args.instanceId, validate.checkInstanceId);
    const defaultParameter = (id: string) => `/ec2rl/openssh/${id}/key`;
    return {
        instanceId,
        subnetId: args.subnetId === undefined ? undefined : checked(args.subnetId, validate.checkSubnetId),
        assumeRoleArn: args.assumeRoleArn === undefined ? undefined : checked(args.assumeRoleArn, validate.checkAssumeRoleArn),
        users: pulumi.output(args.users).apply((u) => run(() => validate.normalizeUsers(u))),
        ownKey: args.publicKey === undefined ? undefined : pulumi.output(args.publicKey).apply((k) => run(() => validate.checkPublicKey(k))),
        keyType: pulumi.output(args.keyType ?? "ed25519").apply((t) => run(() => (validate.checkKeyType(t), t))),
        keyParameterName: pulumi.all([args.keyParameterName, instanceId]).apply(([name, id]) =>
            run(() => (validate.checkKeyParameterName(name ?? defaultParameter(id)), name ?? defaultParameter(id))),
        ),
    };
}
