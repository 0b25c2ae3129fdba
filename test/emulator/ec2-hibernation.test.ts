/**
 * Hibernation: the emulator reports a hibernated stop as EC2 does (StateReason
 * Client.UserInitiatedHibernate); the preflight refuses such a target, and the stop step stops a
 * hibernation-enabled target without hibernating it.
 */
import * as assert from "node:assert/strict";
import { EC2Client, StopInstancesCommand, waitUntilInstanceStopped } from "@aws-sdk/client-ec2";
import { emulator } from "../hooks";
import { clientsFor } from "../../lib/aws-clients";
import { gatherTargetFacts } from "../../lib/gather-facts";
import { evaluateTarget } from "../../lib/preflight-rules";
import { stopTarget } from "../../lib/target-steps";
import { contextOf, createTarget, REGION } from "../../rehearsal/targets";
import { describeInstance } from "../../lib/ec2-instance";

describe("hibernation", () => {
    const ec2 = new EC2Client({});
    beforeEach(() => emulator().reset());

    it("a hibernated stop shows StateReason Client.UserInitiatedHibernate; the preflight refuses it with the fix", async () => {
        const target = await createTarget(ec2, { hibernation: true });
        await ec2.send(
            new StopInstancesCommand({ InstanceIds: [target.InstanceId!], Hibernate: true }),
        );
        await waitUntilInstanceStopped(
            { client: ec2, maxWaitTime: 60, minDelay: 1 },
            { InstanceIds: [target.InstanceId!] },
        );
        const stopped = await describeInstance(ec2, target.InstanceId!);
        assert.equal(stopped.StateReason?.Code, "Client.UserInitiatedHibernate");
        assert.equal(stopped.HibernationOptions?.Configured, true);

        const facts = await gatherTargetFacts(await clientsFor({ region: REGION }), {
            instanceId: target.InstanceId!,
            region: REGION,
            findHelperType: false,
        });
        const { refusals } = evaluateTarget(facts, {});
        assert.equal(refusals.length, 1);
        assert.match(
            refusals[0],
            /is stopped by hibernation: .* Start it .*then stop it normally, without --hibernate/,
        );
    });

    it("the stop step stops a running hibernation-enabled target without hibernating it", async () => {
        const target = await createTarget(ec2, { hibernation: true });
        const since = Date.now() / 1000;
        await stopTarget(await clientsFor({ region: REGION }), contextOf(target));
        const stops = await emulator().calls({ operation: "StopInstances", since });
        assert.equal(stops.length, 1);
        assert.notEqual(String(stops[0].params.Hibernate ?? "false").toLowerCase(), "true");
        const stopped = await describeInstance(ec2, target.InstanceId!);
        assert.equal(stopped.State?.Name, "stopped");
        assert.equal(stopped.StateReason?.Code, "Client.UserInitiatedShutdown");
    });
});
