/**
 * The one undo for every step that touches the target: put its root volume back at its device
 * with its DeleteOnTermination, then, if a reset holds it (the in-progress tag), give it back
 * the state it had. "Repair" is the one word for this, wherever it runs. Idempotent, so a failed step, `pulumi destroy` and a retry can all call it.
 */
import * as pulumi from "@pulumi/pulumi";
import {
    CreateTagsCommand,
    DescribeInstancesCommand,
    DescribeVolumesCommand,
    Instance,
} from "@aws-sdk/client-ec2";
import { Clients, clientsFor } from "./aws-clients";
import { awsErrorCode } from "./aws-errors";
import { removeTag, startTargetInstance, tagValue, waitForState } from "./ec2-instance";
import {
    attachmentOf,
    attachVolume,
    describeVolume,
    detachVolume,
    setDeleteOnTermination,
} from "./ec2-volume";
import { IN_PROGRESS_TAG, TargetContext } from "./target-context";

export async function repairTarget(clients: Clients, ctx: TargetContext): Promise<void> {
    const { ec2 } = clients;
    const instance = await instanceIfPresent(clients, ctx.instanceId);
    // Terminated (or gone from the API): nothing to return the volume to; it is kept, and
    // `pulumi destroy` must end.
    if (!instance || ["shutting-down", "terminated"].includes(instance.State?.Name ?? ""))
        return keepRootOfTerminated(clients, ctx);
    const journal = tagValue(instance, IN_PROGRESS_TAG);
    // No journal: no reset holds it. The steps tag the target before they touch it and untag it
    // last, so a root volume that is elsewhere without the tag was replaced outside this tool
    // (ReplaceRootVolume, a manual swap): putting the recorded one back would undo that.
    if (!journal) return;
    const moved = await returnRootVolume(clients, ctx);
    if (moved || journal) {
        await setDeleteOnTermination(
            ec2,
            ctx.instanceId,
            ctx.rootDeviceName,
            ctx.rootVolumeId,
            ctx.rootDeleteOnTermination,
        );
    }
    if (journal) {
        // No capacity past the deadline: the journal stays, so that destroy or a new up starts it.
        if (journal === "running") await startTargetInstance(ec2, ctx.instanceId, ctx.rootVolumeId);
        await removeTag(ec2, ctx.instanceId, IN_PROGRESS_TAG);
    }
}

/** The instance, or undefined once EC2 no longer lists it (terminated a while ago). */
async function instanceIfPresent(
    { ec2 }: Clients,
    instanceId: string,
): Promise<Instance | undefined> {
    try {
        const out = await ec2.send(new DescribeInstancesCommand({ InstanceIds: [instanceId] }));
        return out.Reservations?.[0]?.Instances?.[0];
    } catch (err) {
        if (awsErrorCode(err) === "InvalidInstanceID.NotFound") return undefined;
        throw err;
    }
}

/**
 * The target was terminated while a reset held its root volume: there is nothing to return it
 * to. When the volume (the customer's data) is still on the helper it is detached, so that
 * removing the helper cannot take it, tagged, and kept; otherwise there is nothing to do.
 */
async function keepRootOfTerminated({ ec2 }: Clients, ctx: TargetContext): Promise<void> {
    const volume = await ec2
        .send(new DescribeVolumesCommand({ VolumeIds: [ctx.rootVolumeId] }))
        .then(
            (o) => o.Volumes?.[0],
            (err) => {
                if (awsErrorCode(err) === "InvalidVolume.NotFound") return undefined;
                throw err;
            },
        );
    if (!volume) return; // deleted with the instance: it was attached to it, DeleteOnTermination
    const attachment = attachmentOf(volume);
    if (!attachment || attachment.InstanceId === ctx.instanceId) return; // not held by a reset: nothing to do
    await detachVolume(ec2, ctx.rootVolumeId);
    await ec2.send(
        new CreateTagsCommand({
            Resources: [ctx.rootVolumeId],
            Tags: [{ Key: "ec2-reset-access:root-of-terminated", Value: ctx.instanceId }],
        }),
    );
    pulumi.log.warn(
        `${ctx.instanceId} was terminated while its root volume ${ctx.rootVolumeId} was away; the volume is kept, available, tagged ec2-reset-access:root-of-terminated.`,
    );
}

/** The root volume back at its device on the (stopped) target; true when it had to move. */
export async function returnRootVolume({ ec2 }: Clients, ctx: TargetContext): Promise<boolean> {
    const attachment = attachmentOf(await describeVolume(ec2, ctx.rootVolumeId));
    if (attachment?.InstanceId === ctx.instanceId && attachment.Device === ctx.rootDeviceName)
        return false;
    await detachVolume(ec2, ctx.rootVolumeId);
    await waitForState(ec2, ctx.instanceId, "stopped", 900); // a root volume attaches to a stopped instance only
    await attachVolume(ec2, ctx.rootVolumeId, ctx.instanceId, ctx.rootDeviceName);
    return true;
}

/**
 * Runs one step; on failure repairs the target before rethrowing, with the step, the instance
 * and the cause in the message (and the repair's own failure, if any: never swallowed).
 */
export async function withRepair<T>(
    step: string,
    ctx: TargetContext,
    run: (clients: Clients) => Promise<T>,
): Promise<T> {
    const clients = await clientsFor(ctx);
    try {
        return await run(clients);
    } catch (err) {
        const cause = err instanceof Error ? err.message : String(err);
        // The repair has run already, up to the start that found no capacity: do not wait again.
        if ((err as Error)?.name === "InsufficientCapacityOnRestart")
            throw new Error(`step "${step}" failed for ${ctx.instanceId}: ${cause}`, {
                cause: err,
            });
        let outcome = `The instance is whole again: root volume ${ctx.rootVolumeId} at ${ctx.rootDeviceName}, ${ctx.priorState}.`;
        try {
            await repairTarget(clients, ctx);
        } catch (repairErr) {
            const why = repairErr instanceof Error ? repairErr.message : String(repairErr);
            outcome = `Repairing the instance failed too (${why}): run \`pulumi destroy\` to retry the repair.`;
        }
        throw new Error(`step "${step}" failed for ${ctx.instanceId}: ${cause}\n${outcome}`, {
            cause: err,
        });
    }
}
