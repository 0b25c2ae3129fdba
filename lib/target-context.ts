/**
 * What every step that touches the target needs to know, and to undo what it did: recorded by
 * the preflight before anything is touched, then passed to each step as inputs (so it is in
 * Pulumi state, and `pulumi destroy` can repair from it even after a killed `pulumi up`).
 */
export interface AwsAccess {
    /** Region of the target; the SDK's default chain when empty. */
    region?: string;
    /** Role assumed by every AWS call of the custom steps. */
    assumeRoleArn?: string;
}

export interface TargetContext extends AwsAccess {
    instanceId: string;
    availabilityZone: string;
    rootVolumeId: string;
    /** Device the root volume is attached at on the target, e.g. /dev/xvda. */
    rootDeviceName: string;
    rootDeleteOnTermination: boolean;
    /** The state to leave the target in: "running" or "stopped". */
    priorState: "running" | "stopped";
    /** What the preflight found; state written before Windows support has none: Linux. */
    platform?: Platform;
}

export type Platform = "linux" | "windows";

/** Tag on the target while a reset holds it: the crash-safe journal that repair reads. */
export const IN_PROGRESS_TAG = "ec2-reset-access:in-progress";

/** Device the target's root volume is attached at on a Linux helper (as the runbook does). */
export const HELPER_DEVICE = "/dev/sdf";
/** On a Windows helper the runbook uses xvdf: the name Windows' EC2 drivers and tools expect. */
export const WINDOWS_HELPER_DEVICE = "xvdf";

export function helperDeviceFor(ctx: Pick<TargetContext, "platform">): string {
    return ctx.platform === "windows" ? WINDOWS_HELPER_DEVICE : HELPER_DEVICE;
}
