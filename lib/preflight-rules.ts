/**
 * The refusals and warnings, as pure functions of the facts: every message names the problem
 * and the fix, and nothing has been touched when a refusal is raised.
 */
import { chooseHelperImage } from "./helper-image";
import { evaluateReach } from "./subnet-reach";
import {
    helperTypeCandidates,
    PreflightOptions,
    PreflightVerdict,
    TargetFacts,
} from "./target-facts";

type Rule = (f: TargetFacts, o: PreflightOptions) => string | undefined;

const refusalRules: Rule[] = [
    (f) =>
        f.found
            ? undefined
            : `instanceId: instance ${f.instanceId} was not found in ${f.region}; check the id, and the region (config aws:region or the region argument).`,
    (f) =>
        f.state === "running" || f.state === "stopped"
            ? undefined
            : `instanceId: ${f.instanceId} is ${f.state}; run again once it is running or stopped.`,
    (f) =>
        f.state !== "stopped" || f.stateReasonCode !== "Client.UserInitiatedHibernate"
            ? undefined
            : `instanceId: ${f.instanceId} is stopped by hibernation: on its next start it would resume its memory image on top of a root volume changed offline. Start it (aws ec2 start-instances --instance-ids ${f.instanceId}), then stop it normally, without --hibernate (aws ec2 stop-instances --instance-ids ${f.instanceId}), and run again.`,
    ...platformArgumentRules(),
    (f) =>
        f.rootDeviceType === "ebs" && f.rootVolumeId
            ? undefined
            : `instanceId: ${f.instanceId} has an instance-store root device, which cannot be moved to a helper; such an instance cannot be reset offline.`,
    (f, o) =>
        !f.instanceStoreGiB || o.allowInstanceStoreLoss
            ? undefined
            : `instanceId: ${f.instanceId} (${f.instanceType}) has ${f.instanceStoreGiB} GiB of instance-store volumes, whose data is lost when it stops; copy what you need, then set allowInstanceStoreLoss: true.`,
    (f) =>
        !f.stopProtection
            ? undefined
            : `instanceId: ${f.instanceId} has stop protection on; turn it off (aws ec2 modify-instance-attribute --instance-id ${f.instanceId} --no-disable-api-stop), then run again.`,
    (f) =>
        f.lifecycle !== "spot" || f.spotRequestType === "persistent"
            ? undefined
            : `instanceId: ${f.instanceId} is a one-time Spot instance, which cannot be stopped; it cannot be reset offline.`,
    (f) =>
        !f.marketplaceProductCodes?.length
            ? undefined
            : `instanceId: ${f.instanceId} has AWS Marketplace product codes (${f.marketplaceProductCodes.join(", ")}); its root volume can only be attached to a stopped instance, so it cannot be mounted on a helper.`,
    autoScalingRefusal,
    (f) => {
        if (!f.subnet) return undefined;
        if (!f.subnet.found)
            return `subnetId: subnet ${f.subnet.id} was not found in ${f.region}; give a subnet in ${f.availabilityZone}, or omit subnetId for a temporary VPC.`;
        return f.subnet.availabilityZone === f.availabilityZone
            ? undefined
            : `subnetId: subnet ${f.subnet.id} is in ${f.subnet.availabilityZone} but ${f.instanceId} is in ${f.availabilityZone}; give a subnet in ${f.availabilityZone}, or omit subnetId for a temporary VPC.`;
    },
    (f) => (f.subnet?.reach ? evaluateReach(f.subnet.id, f.subnet.reach).refusal : undefined),
    (f, o) =>
        o.helperInstanceType || f.offeredHelperTypes === undefined || f.offeredHelperTypes.length
            ? undefined
            : `helperInstanceType: none of ${helperTypeCandidates(f.platform).join(", ")} is offered in ${f.availabilityZone}; set helperInstanceType to a small x86_64 type offered there.`,
];

/** Arguments that mean nothing for the target's platform are refused rather than ignored. */
function platformArgumentRules(): Rule[] {
    return [
        (f, o) => {
            const given = o.linuxOnlyArguments ?? [];
            if (f.platform !== "windows" || !given.length) return undefined;
            return `${given.join(", ")}: ${f.instanceId} runs Windows, and ${given.length > 1 ? "these apply" : "this applies"} to Linux targets only (an SSH key); remove ${given.length > 1 ? "them" : "it"}. For Windows a new Administrator password is generated at next boot; set newKeyName for a replacement instance with a key pair you own.`;
        },
        (f, o) =>
            !o.newKeyName || f.platform === "windows"
                ? undefined
                : `newKeyName: ${f.instanceId} runs Linux, and newKeyName applies to Windows targets only (a replacement launched from the password-enabled AMI); remove it: a Linux target gets a new SSH key in place.`,
        (f) =>
            !f.newKeyPair || f.newKeyPair.found || f.platform !== "windows"
                ? undefined
                : `newKeyName: key pair ${f.newKeyPair.name} was not found in ${f.region}; create or import it first (aws ec2 import-key-pair --key-name ${f.newKeyPair.name} --public-key-material fileb://key.pub), then run again.`,
    ];
}

function autoScalingRefusal(f: TargetFacts, o: PreflightOptions): string | undefined {
    const asg = f.autoScaling;
    if (!asg || o.allowAutoScaling || asg.lifecycleState.startsWith("Standby")) return undefined;
    const suspended = asg.suspendedProcesses;
    if (suspended.includes("HealthCheck") || suspended.includes("ReplaceUnhealthy"))
        return undefined;
    return (
        `instanceId: ${f.instanceId} is ${asg.lifecycleState} in Auto Scaling group ${asg.group}, which would replace it while it is stopped; ` +
        `put it in Standby (aws autoscaling enter-standby --should-decrement-desired-capacity --auto-scaling-group-name ${asg.group} --instance-ids ${f.instanceId}) ` +
        `or suspend HealthCheck and ReplaceUnhealthy, then run again.`
    );
}

const warningRules: Array<(f: TargetFacts, o: PreflightOptions) => string | undefined> = [
    (f) =>
        f.hibernationConfigured && f.state === "running"
            ? `${f.instanceId}: it is enabled for hibernation; it is stopped without hibernating (what is in its memory is lost, as in a shutdown), so that it boots from the changed root volume.`
            : undefined,
    capacityWarning,
    (f) => (f.subnet?.reach ? evaluateReach(f.subnet.id, f.subnet.reach).warning : undefined),
    (f) =>
        f.publicIp && !f.hasElasticIp
            ? `${f.instanceId}: its public IP ${f.publicIp} will change when it stops (no Elastic IP is associated).`
            : undefined,
    (f) =>
        f.rootEncrypted
            ? `${f.instanceId}: its root volume is encrypted${f.rootKmsKeyId ? ` with ${f.rootKmsKeyId}` : ""}; you need kms:CreateGrant and kms:Decrypt on that key to attach it to the helper.`
            : undefined,
    (f, o) =>
        f.platform === "windows" && !f.keyName && !o.newKeyName
            ? `${f.instanceId}: it was launched without a key pair, so the password generated at next boot cannot be decrypted (GetPasswordData needs the key pair's private key); set newKeyName to launch a replacement from the password-enabled AMI with a key pair you own.`
            : undefined,
    (f) => {
        if (f.platform !== "windows" || f.windowsVersion) return undefined;
        const helper = chooseHelperImage("windows").windowsVersion;
        return `${f.instanceId}: neither its AMI nor SSM names its Windows Server version; the helper runs Windows Server ${helper}. If the target runs ${helper} too, their disks may share a signature: the script then stops before changing anything, and the target is repaired.`;
    },
];

/** Placements where a restart after the stop is likely to find no capacity (InsufficientInstanceCapacity). */
function capacityWarning(f: TargetFacts): string | undefined {
    const p = f.placement;
    const where =
        p?.hostId || p?.tenancy === "host"
            ? `on dedicated host ${p.hostId ?? "(host tenancy)"}`
            : p?.groupStrategy === "cluster"
              ? `in cluster placement group ${p.groupName}`
              : undefined;
    if (!where) return undefined;
    return `${f.instanceId}: it runs ${where}, where a restart after the stop may find no capacity (InsufficientInstanceCapacity); the reset retries the start for a while, and if it still fails the instance stays stopped and whole (try another instance type, a capacity reservation, or later).`;
}

export function evaluateTarget(facts: TargetFacts, options: PreflightOptions): PreflightVerdict {
    // Once the instance is missing, the other rules have nothing to say.
    const rules = facts.found ? refusalRules : refusalRules.slice(0, 1);
    const refusals = rules.map((rule) => rule(facts, options)).filter((m): m is string => !!m);
    const warnings = facts.found
        ? warningRules.map((rule) => rule(facts, options)).filter((m): m is string => !!m)
        : [];
    const helperInstanceType = options.helperInstanceType ?? facts.offeredHelperTypes?.[0];
    const helperImageParameter = facts.found
        ? chooseHelperImage(facts.platform ?? "linux", facts.windowsVersion).parameter
        : undefined;
    return { refusals, warnings, helperInstanceType, helperImageParameter };
}

/** One error for all refusals, so the operator fixes everything in one go. */
export function refusalMessage(refusals: string[]): string {
    return refusals.length === 1
        ? `refused before touching anything: ${refusals[0]}`
        : `refused before touching anything:\n${refusals.map((r) => `- ${r}`).join("\n")}`;
}
