/**
 * The one undo for every step that touches the target: put its root volume back at its device
 * with its DeleteOnTermination, then, if a reset holds it (the in-progress tag), restore the
 * state it had. Idempotent, so a failed step, `pulumi destroy` and a retry can all call it.
 */
import { Clients, clientsFor } from "./aws-clients";
import { describeInstance, removeTag, startInstance, tagValue, waitForState } from "./ec2-instance";
import { attachmentOf, attachVolume, describeVolume, detachVolume, setDeleteOnTermination } from "./ec2-volume";
import { IN_PROGRESS_TAG, TargetContext } from "./target-context";

export async function restoreTarget(clients: Clients, ctx: TargetContext): Promise<void> {
    const { ec2 } = clients;
    const journal = tagValue(await describeInstance(ec2, ctx.instanceId), IN_PROGRESS_TAG);
    const moved = await returnRootVolume(clients, ctx);
    if (moved || journal) {
        await setDeleteOnTermination(ec2, ctx.instanceId, ctx.rootDeviceName, ctx.rootVolumeId, ctx.rootDeleteOnTermination);
    }
    if (journal) {
        if (journal === "running") await startInstance(ec2, ctx.instanceId);
        await removeTag(ec2, ctx.instanceId, IN_PROGRESS_TAG);
    }
}

/** The root volume back at its device on the (stopped) target; true when it had to move. */
export async function returnRootVolume({ ec2 }: Clients, ctx: TargetContext): Promise<boolean> {
    const attachment = attachmentOf(await describeVolume(ec2, ctx.rootVolumeId));
    if (attachment?.InstanceId === ctx.instanceId && attachment.Device === ctx.rootDeviceName) return false;
    await detachVolume(ec2, ctx.rootVolumeId);
    await waitForState(ec2, ctx.instanceId, "stopped", 900); // a root volume attaches to a stopped instance only
    await attachVolume(ec2, ctx.rootVolumeId, ctx.instanceId, ctx.rootDeviceName);
    return true;
}

/**
 * Runs one step; on failure restores the target before rethrowing, with the step, the instance
 * and the cause in the message (and the repair's own failure, if any: never swallowed).
 */
export async function withRepair<T>(step: string, ctx: TargetContext, run: (clients: Clients) => Promise<T>): Promise<T> {
    const clients = await clientsFor(ctx);
    try {
        return await run(clients);
    } catch (err) {
        const cause = err instanceof Error ? err.message : String(err);
        let outcome = `The instance is whole again: root volume ${ctx.rootVolumeId} at ${ctx.rootDeviceName}, ${ctx.priorState}.`;
        try {
            await restoreTarget(clients, ctx);
        } catch (repairErr) {
            const why = repairErr instanceof Error ? repairErr.message : String(repairErr);
            outcome = `Restoring the instance failed too (${why}): run \`pulumi destroy\` to retry the repair.`;
        }
        throw new Error(`step "${step}" failed for ${ctx.instanceId}: ${cause}\n${outcome}`);
    }
}
