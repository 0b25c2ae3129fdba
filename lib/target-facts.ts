import type { Platform } from "./target-context";
import type { SubnetReach } from "./subnet-reach";

/** What the preflight learns about the target: plain data, so the rules over it stay pure. */
export interface TargetFacts {
    instanceId: string;
    region: string;
    found: boolean;
    state?: string;
    /** StateReason.Code: `Client.UserInitiatedHibernate` for an instance stopped by hibernation. */
    stateReasonCode?: string;
    /** Launched with HibernationOptions.Configured. */
    hibernationConfigured?: boolean;
    /** Where it runs, for the capacity risk of its restart. */
    placement?: { tenancy?: string; hostId?: string; groupName?: string; groupStrategy?: string };
    platform?: Platform;
    /** Windows: the Server version (year) its AMI or its SSM agent names, when one does. */
    windowsVersion?: string;
    /** The key pair it was launched with: what GetPasswordData's password is encrypted for. */
    keyName?: string;
    subnetId?: string;
    securityGroupIds?: string[];
    /** The name of its instance profile, if it has one. */
    instanceProfileName?: string;
    availabilityZone?: string;
    instanceType?: string;
    rootDeviceType?: string;
    rootDeviceName?: string;
    rootVolumeId?: string;
    rootDeleteOnTermination?: boolean;
    rootEncrypted?: boolean;
    rootKmsKeyId?: string;
    instanceStoreGiB?: number;
    stopProtection?: boolean;
    /** "spot" for a Spot instance, with its request's type ("one-time" | "persistent"). */
    lifecycle?: string;
    spotRequestType?: string;
    marketplaceProductCodes?: string[];
    publicIp?: string;
    hasElasticIp?: boolean;
    autoScaling?: { group: string; lifecycleState: string; suspendedProcesses: string[] };
    /** Only when the operator gave a subnetId. */
    subnet?: { id: string; availabilityZone?: string; found: boolean; reach?: SubnetReach };
    /** Helper types offered in the target's AZ, among the candidates asked for. */
    offeredHelperTypes?: string[];
    /** Only when the operator gave newKeyName: whether that key pair exists in the region. */
    newKeyPair?: { name: string; found: boolean };
}

export interface PreflightOptions {
    /** Proceed although instance-store data will be lost. */
    allowInstanceStoreLoss?: boolean;
    /** Proceed with an instance of an Auto Scaling group that could replace it while stopped. */
    allowAutoScaling?: boolean;
    /** The helper type the operator asked for; otherwise the first offered candidate. */
    helperInstanceType?: string;
    /** Arguments the operator set that apply to Linux targets only (publicKey, users, …). */
    linuxOnlyArguments?: string[];
    /** The key pair for a Windows replacement instance (Windows only). */
    newKeyName?: string;
}

export interface PreflightVerdict {
    refusals: string[];
    warnings: string[];
    helperInstanceType?: string;
    /** The public SSM parameter naming the helper's AMI. */
    helperImageParameter?: string;
}

/** Small current-generation types, in order of preference, for a Linux helper. */
export const HELPER_TYPE_CANDIDATES = [
    "t3.small",
    "t3a.small",
    "t2.small",
    "m5.large",
    "m6i.large",
];
/** Windows Server wants 4 GiB to bring up its agent and disk services in reasonable time. */
export const WINDOWS_HELPER_TYPE_CANDIDATES = [
    "t3.medium",
    "t3a.medium",
    "t2.medium",
    "m5.large",
    "m6i.large",
];

export function helperTypeCandidates(platform: Platform | undefined): string[] {
    return platform === "windows" ? WINDOWS_HELPER_TYPE_CANDIDATES : HELPER_TYPE_CANDIDATES;
}
