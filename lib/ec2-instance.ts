/** Instance state changes with their waits. Each acts only when needed (describe first). */
import {
    CreateTagsCommand,
    DeleteTagsCommand,
    DescribeInstancesCommand,
    EC2Client,
    Instance,
    StartInstancesCommand,
    StopInstancesCommand,
} from "@aws-sdk/client-ec2";
import * as pulumi from "@pulumi/pulumi";
import { awsErrorCode, NotFound } from "./aws-errors";
import { isWaitTimeout, waitFor } from "./waits";

/** How long a graceful stop may take before it is forced (the runbook: stop, stop, force). */
const GRACEFUL_STOP_SECONDS = 600;
const FORCED_STOP_SECONDS = 600;
const START_SECONDS = 900;
/** How long the target's start is retried while EC2 has no capacity for it. */
export const CAPACITY_RETRY_SECONDS = 1800;

export async function describeInstance(ec2: EC2Client, instanceId: string): Promise<Instance> {
    const out = await ec2.send(new DescribeInstancesCommand({ InstanceIds: [instanceId] }));
    const instance = out.Reservations?.[0]?.Instances?.[0];
    if (!instance) throw new NotFound("instance", instanceId);
    return instance;
}

export async function instanceState(ec2: EC2Client, instanceId: string): Promise<string> {
    return (await describeInstance(ec2, instanceId)).State?.Name ?? "unknown";
}

/** Stops the instance and waits until it is stopped; forces the stop if it hangs. */
export async function stopInstance(ec2: EC2Client, instanceId: string): Promise<void> {
    const state = await instanceState(ec2, instanceId);
    if (state === "stopped") return;
    // Never a hibernation: the instance must boot from the changed root volume, not resume its memory.
    if (state !== "stopping")
        await ec2.send(new StopInstancesCommand({ InstanceIds: [instanceId], Hibernate: false }));
    try {
        await waitForState(ec2, instanceId, "stopped", GRACEFUL_STOP_SECONDS);
    } catch (err) {
        if (!isWaitTimeout(err)) throw err;
        await ec2.send(new StopInstancesCommand({ InstanceIds: [instanceId], Force: true }));
        await waitForState(ec2, instanceId, "stopped", FORCED_STOP_SECONDS);
    }
}

/** Starts the instance (waiting out a stop in progress first) and waits until it runs. */
export async function startInstance(ec2: EC2Client, instanceId: string): Promise<void> {
    let state = await instanceState(ec2, instanceId);
    if (state === "running") return;
    if (state === "stopping")
        state = await waitForState(ec2, instanceId, "stopped", FORCED_STOP_SECONDS);
    if (state !== "pending")
        await ec2.send(new StartInstancesCommand({ InstanceIds: [instanceId] }));
    await waitForState(ec2, instanceId, "running", START_SECONDS);
}

/**
 * The target's start, retried with backoff while EC2 answers InsufficientInstanceCapacity (EC2
 * docs, troubleshooting launches: capacity after a stop is not guaranteed). Past the deadline
 * the error (name "InsufficientCapacityOnRestart") says what state the instance is in and what to try.
 */
export async function startTargetInstance(
    ec2: EC2Client,
    instanceId: string,
    rootVolume: string,
): Promise<void> {
    let attempts = 0;
    try {
        await waitFor(
            {
                what: `capacity to start ${instanceId}`,
                deadlineSeconds: CAPACITY_RETRY_SECONDS,
                intervalSeconds: 15,
                maxIntervalSeconds: 120,
                reportEverySeconds: 120,
            },
            async () => {
                try {
                    await startInstance(ec2, instanceId);
                    return true;
                } catch (err) {
                    if (awsErrorCode(err) !== "InsufficientInstanceCapacity") throw err;
                    attempts += 1;
                    pulumi.log.info(
                        `no capacity to start ${instanceId} (InsufficientInstanceCapacity, attempt ${attempts}); retrying with backoff for up to ${CAPACITY_RETRY_SECONDS} s`,
                    );
                    return undefined;
                }
            },
        );
    } catch (err) {
        if (!isWaitTimeout(err)) throw err;
        const out = new Error(
            `${instanceId} could not be started: EC2 had no capacity for it (InsufficientInstanceCapacity, ${attempts} attempts over ${CAPACITY_RETRY_SECONDS} s). ` +
                `Its root volume ${rootVolume} is back and the instance is stopped and whole. Try another instance type ` +
                `(aws ec2 modify-instance-attribute --instance-id ${instanceId} --instance-type <type>), a capacity reservation, or later ` +
                `(aws ec2 start-instances --instance-ids ${instanceId}); \`pulumi destroy\` or a new \`pulumi up\` also starts it again.`,
        );
        out.name = "InsufficientCapacityOnRestart";
        throw out;
    }
}

/** Asks for a stop and does not wait (the helper, once it is no longer needed). */
export async function requestStop(ec2: EC2Client, instanceId: string): Promise<void> {
    const state = await instanceState(ec2, instanceId).catch(() => "gone");
    if (state === "running") {
        // a pending instance that never ran cannot be stopped yet
        await ec2.send(new StopInstancesCommand({ InstanceIds: [instanceId] }));
    }
}

export async function waitForState(
    ec2: EC2Client,
    instanceId: string,
    wanted: string,
    deadlineSeconds: number,
): Promise<string> {
    return waitFor({ what: `${instanceId} to be ${wanted}`, deadlineSeconds }, async () => {
        const state = await instanceState(ec2, instanceId);
        if (state === wanted) return state;
        if (state === "terminated" || state === "shutting-down") {
            throw new Error(`${instanceId} is ${state} while waiting for it to be ${wanted}`);
        }
        return undefined;
    });
}

export async function setTag(
    ec2: EC2Client,
    instanceId: string,
    key: string,
    value: string,
): Promise<void> {
    await ec2.send(
        new CreateTagsCommand({ Resources: [instanceId], Tags: [{ Key: key, Value: value }] }),
    );
}

export async function removeTag(ec2: EC2Client, instanceId: string, key: string): Promise<void> {
    await ec2.send(new DeleteTagsCommand({ Resources: [instanceId], Tags: [{ Key: key }] }));
}

export function tagValue(instance: Instance, key: string): string | undefined {
    return instance.Tags?.find((tag) => tag.Key === key)?.Value;
}
