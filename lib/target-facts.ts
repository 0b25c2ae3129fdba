/** What the preflight learns about the target: plain data, so the rules over it stay pure. */
export interface TargetFacts {
    instanceId: string;
    region: string;
    found: boolean;
    state?: string;
    platform?: "linux" | "windows";
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
    subnet?: { id: string; availabilityZone?: string; found: boolean };
    /** Helper types offered in the target's AZ, among the candidates asked for. */
    offeredHelperTypes?: string[];
}

export interface PreflightOptions {
    /** Proceed although instance-store data will be lost. */
    allowInstanceStoreLoss?: boolean;
    /** Proceed with an instance of an Auto Scaling group that could replace it while stopped. */
    allowAutoScaling?: boolean;
    /** The helper type the operator asked for; otherwise the first offered candidate. */
    helperInstanceType?: string;
}

export interface PreflightVerdict {
    refusals: string[];
    warnings: string[];
    helperInstanceType?: string;
}

/** Small current-generation types, in order of preference, for the helper. */
export const HELPER_TYPE_CANDIDATES = ["t3.small", "t3a.small", "t2.small", "m5.large", "m6i.large"];
