/**
 * Looks at the target before anything is touched: refuses what cannot be reset safely, with the
 * fix; records the facts every later step needs to act and to undo (the TargetContext).
 */
import * as pulumi from "@pulumi/pulumi";
import { GetParameterCommand, SSMClient } from "@aws-sdk/client-ssm";
import { clientsFor } from "../lib/aws-clients";
import { gatherTargetFacts } from "../lib/gather-facts";
import { permissionsBoundaryRefusal } from "../lib/helper-boundary";
import { keyParameterRefusal } from "../lib/key-parameter";
import { kmsKeyRefusals } from "../lib/kms-key";
import { evaluateTarget, refusalMessage } from "../lib/preflight-rules";
import { repairTarget } from "../lib/repair";
import { configureStackAws } from "../lib/stack-aws";
import { evaluateReach } from "../lib/subnet-reach";
import { Platform, TargetContext } from "../lib/target-context";
import { plainOutputs } from "./plain-outputs";
import { replaceOnChange } from "./replace-on-change";

export interface TargetPreflightArgs {
    instanceId: pulumi.Input<string>;
    region: pulumi.Input<string>;
    assumeRoleArn?: pulumi.Input<string>;
    subnetId?: pulumi.Input<string>;
    helperInstanceType?: pulumi.Input<string>;
    allowInstanceStoreLoss?: pulumi.Input<boolean>;
    allowAutoScaling?: pulumi.Input<boolean>;
    rotation: pulumi.Input<string>;
    /** Linux-only arguments the operator set: refused for a Windows target. */
    linuxOnlyArguments?: pulumi.Input<string[]>;
    /** Windows only: the key pair of a replacement instance; must exist. */
    newKeyName?: pulumi.Input<string>;
    /** Linux, generated key: where it will be stored; a parameter there that is not this tool's key for the instance is refused. */
    keyParameterName?: pulumi.Input<string>;
    /** The helper role's permissions boundary: it must exist and let the agent work. */
    helperPermissionsBoundary?: pulumi.Input<string>;
    /** Linux, generated key: the KMS key that will encrypt its parameter; refused unless it exists, is Enabled and is a symmetric encryption key. */
    keyParameterKmsKeyId?: pulumi.Input<string>;
    /** Resolves once the component's argument checks passed: the preflight waits for them. */
    argumentsChecked?: pulumi.Input<boolean>;
}

interface PreflightInputs {
    instanceId: string;
    region: string;
    assumeRoleArn?: string;
    subnetId?: string;
    helperInstanceType?: string;
    allowInstanceStoreLoss?: boolean;
    allowAutoScaling?: boolean;
    rotation: string;
    linuxOnlyArguments?: string[];
    newKeyName?: string;
    keyParameterName?: string;
    helperPermissionsBoundary?: string;
    keyParameterKmsKeyId?: string;
}

/** Where a replacement instance goes, and as whom it runs: the target's own settings. */
export interface ReplacementPlacement {
    instanceType: string;
    subnetId: string;
    securityGroupIds: string[];
    /** "" when the target has none. */
    instanceProfileName: string;
}

interface PreflightOutputs extends PreflightInputs {
    context: TargetContext;
    platform: Platform;
    availabilityZone: string;
    chosenHelperInstanceType: string;
    helperImageParameter: string;
    /** Read once here, so that a newer AMI published later does not replace the helper. */
    helperImageId: string;
    /** The target's key pair, if it has one: GetPasswordData's password is encrypted for it. */
    targetKeyName: string;
    replacement: ReplacementPlacement;
    /** What the helper's network needs: a public IP (only when its route needs one), DNS servers to reach. */
    helperNetwork: HelperNetworkNeeds;
    warnings: string[];
}

/** The read-only look at the target: its facts and the verdict on them. */
async function examineTarget(inputs: PreflightInputs) {
    const clients = await clientsFor(inputs);
    const facts = await gatherTargetFacts(clients, {
        instanceId: inputs.instanceId,
        region: inputs.region,
        subnetId: inputs.subnetId || undefined,
        findHelperType: !inputs.helperInstanceType,
        newKeyName: inputs.newKeyName || undefined,
    });
    const verdict = evaluateTarget(facts, {
        allowInstanceStoreLoss: inputs.allowInstanceStoreLoss,
        allowAutoScaling: inputs.allowAutoScaling,
        helperInstanceType: inputs.helperInstanceType || undefined,
        linuxOnlyArguments: inputs.linuxOnlyArguments,
        newKeyName: inputs.newKeyName || undefined,
    });
    const refusals = [...verdict.refusals];
    if (inputs.keyParameterName && facts.platform !== "windows") {
        const taken = await keyParameterRefusal(
            clients.ssm,
            inputs.keyParameterName,
            inputs.instanceId,
        );
        if (taken) refusals.push(taken);
        // Only a generated key is stored (keyParameterName is given for one only), and only for Linux.
        if (inputs.keyParameterKmsKeyId)
            refusals.push(
                ...(await kmsKeyRefusals(clients.kms, inputs.keyParameterKmsKeyId, inputs.region)),
            );
    }
    if (inputs.helperPermissionsBoundary) {
        const unusable = await permissionsBoundaryRefusal(
            clients.iam,
            inputs.helperPermissionsBoundary,
        );
        if (unusable) refusals.push(unusable);
    }
    return { clients, facts, verdict, refusals };
}

/**
 * What check adds to the inputs so that `pulumi preview` shows it: the engine previews a
 * create of a provider without preview support (the dynamic-provider host) as its checked
 * inputs (pulumi/pulumi pkg/resource/plugin/provider_plugin.go, Create with preview), so the
 * component's `warnings` output is known, and logged, at preview. Never an input change.
 */
const PREVIEWED_OUTPUTS = ["warnings"];

function withoutPreviewed(props: Record<string, unknown>): Record<string, unknown> {
    return Object.fromEntries(
        Object.entries(props).filter(([k]) => !PREVIEWED_OUTPUTS.includes(k)),
    );
}

/** Inputs equal but for the provider text: an unchanged preflight, which check leaves alone. */
function sameInputs(olds: Record<string, unknown>, news: Record<string, unknown>): boolean {
    const keys = new Set(
        [...Object.keys(olds), ...Object.keys(news)].filter(
            (k) => k !== "__provider" && !PREVIEWED_OUTPUTS.includes(k),
        ),
    );
    return [...keys].every((k) => JSON.stringify(olds[k]) === JSON.stringify(news[k]));
}

export interface HelperNetworkNeeds {
    /** Ask for a public IP at launch: the route needs one and the subnet does not assign it. */
    publicIp: boolean;
    dnsServers: string[];
}

const provider: pulumi.dynamic.ResourceProvider = {
    configure: configureStackAws, // the stack's aws credentials and region (lib/stack-aws.ts)
    diff: (id, olds, news) => replaceOnChange(id, withoutPreviewed(olds), withoutPreviewed(news)),
    /**
     * `pulumi preview` runs check, never create: the read-only checks run here too, so a preview
     * of a target that would be refused fails with the refusal, and one that passes shows its
     * warnings (PREVIEWED_OUTPUTS). Only when the preflight would be created or replaced (an
     * unchanged one is not run again), and not with unknown inputs.
     */
    async check(olds: Record<string, unknown>, news: Record<string, unknown>) {
        const unknown = news.instanceId === undefined || news.region === undefined;
        if (unknown || (Object.keys(olds).length > 0 && sameInputs(olds, news)))
            return { inputs: news };
        const { verdict, refusals } = await examineTarget(news as unknown as PreflightInputs);
        if (!refusals.length) return { inputs: { ...news, warnings: verdict.warnings } };
        return {
            inputs: news,
            failures: [{ property: "instanceId", reason: refusalMessage(refusals) }],
        };
    },
    async create(inputs: PreflightInputs) {
        const { clients, facts, verdict, refusals } = await examineTarget(inputs);
        if (refusals.length) throw new Error(refusalMessage(refusals));
        const context: TargetContext = {
            region: inputs.region,
            assumeRoleArn: inputs.assumeRoleArn,
            instanceId: inputs.instanceId,
            availabilityZone: facts.availabilityZone!,
            rootVolumeId: facts.rootVolumeId!,
            rootDeviceName: facts.rootDeviceName!,
            rootDeleteOnTermination: facts.rootDeleteOnTermination ?? false,
            priorState: facts.state === "running" ? "running" : "stopped",
            platform: facts.platform ?? "linux",
        };
        const outs = {
            ...inputs,
            context,
            platform: context.platform!,
            availabilityZone: context.availabilityZone,
            chosenHelperInstanceType: verdict.helperInstanceType!,
            helperImageParameter: verdict.helperImageParameter!,
            helperImageId: await publicImageId(
                clients.ssm,
                verdict.helperImageParameter!,
                inputs.region,
            ),
            targetKeyName: facts.keyName ?? "",
            replacement: {
                instanceType: facts.instanceType!,
                subnetId: facts.subnetId ?? "",
                securityGroupIds: facts.securityGroupIds ?? [],
                instanceProfileName: facts.instanceProfileName ?? "",
            },
            // The temporary VPC: a public subnet with an internet gateway, and Amazon's DNS.
            helperNetwork: facts.subnet?.reach
                ? {
                      publicIp:
                          evaluateReach(facts.subnet.id, facts.subnet.reach).helperNeedsPublicIp &&
                          !facts.subnet.reach.mapsPublicIp,
                      dnsServers: facts.subnet.reach.customDnsServers,
                  }
                : { publicIp: false, dnsServers: [] }, // its public subnet assigns public IPs itself
            warnings: verdict.warnings,
        } satisfies PreflightOutputs;
        return { id: `${inputs.instanceId}-preflight`, outs: plainOutputs(outs) };
    },
    async delete(_id: pulumi.ID, props: Partial<PreflightOutputs>) {
        // The preflight only reads, but it is the one step every other depends on, so it is in
        // state whenever any step ran: its delete repairs a target held by a step that was
        // killed before its own completion was recorded (a no-op on a whole target).
        if (!props?.context?.rootVolumeId) return;
        await repairTarget(await clientsFor(props.context), props.context);
    },
};

/** The AMI id behind one of AWS's public parameters; a missing one is a refusal like the others. */
async function publicImageId(ssm: SSMClient, parameter: string, region: string): Promise<string> {
    try {
        const out = await ssm.send(new GetParameterCommand({ Name: parameter }));
        if (out.Parameter?.Value) return out.Parameter.Value;
    } catch (err) {
        throw new Error(
            refusalMessage([
                `helper image: the public parameter ${parameter} could not be read in ${region} (${err instanceof Error ? err.message : err}); allow ssm:GetParameter on arn:aws:ssm:*::parameter/aws/service/*, then run again.`,
            ]),
            { cause: err },
        );
    }
    throw new Error(
        refusalMessage([
            `helper image: the public parameter ${parameter} has no value in ${region}.`,
        ]),
    );
}

export class TargetPreflight extends pulumi.dynamic.Resource {
    declare readonly context: pulumi.Output<TargetContext>;
    declare readonly platform: pulumi.Output<Platform>;
    declare readonly availabilityZone: pulumi.Output<string>;
    declare readonly chosenHelperInstanceType: pulumi.Output<string>;
    declare readonly helperImageParameter: pulumi.Output<string>;
    declare readonly helperImageId: pulumi.Output<string>;
    declare readonly targetKeyName: pulumi.Output<string>;
    declare readonly replacement: pulumi.Output<ReplacementPlacement>;
    declare readonly helperNetwork: pulumi.Output<HelperNetworkNeeds>;
    declare readonly warnings: pulumi.Output<string[]>;

    constructor(name: string, args: TargetPreflightArgs, opts?: pulumi.CustomResourceOptions) {
        const outputs = {
            context: undefined,
            platform: undefined,
            availabilityZone: undefined,
            chosenHelperInstanceType: undefined,
            helperImageParameter: undefined,
            helperImageId: undefined,
            targetKeyName: undefined,
            replacement: undefined,
            helperNetwork: undefined,
            warnings: undefined,
        };
        super(provider, name, { ...args, ...outputs }, opts, "ec2-reset-access", "TargetPreflight");
    }
}
