/**
 * `pulumi refresh` in the harness: ordinary resources are read back from AWS as the provider
 * reads them, and the next `pulumi up` diffs against what was read.
 */
import * as assert from "node:assert/strict";
import * as aws from "@pulumi/aws";
import { DeleteDocumentCommand, SSMClient } from "@aws-sdk/client-ssm";
import { EC2Client, StopInstancesCommand, waitUntilInstanceStopped } from "@aws-sdk/client-ec2";
import { deploy, destroy, refresh, update } from "../../harness/deployment";
import { emulator } from "../hooks";

const AMI_PARAMETER = "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64";

function instanceProgram(associatePublicIpAddress: boolean | undefined) {
    return () => {
        const instance = new aws.ec2.Instance("box", {
            ami: aws.ssm.getParameterOutput({ name: AMI_PARAMETER }).value,
            instanceType: "t3.micro",
            ...(associatePublicIpAddress === undefined ? {} : { associatePublicIpAddress }),
        });
        new aws.ssm.Document("doc", {
            documentType: "Command",
            content: JSON.stringify({ schemaVersion: "2.2", description: "d", mainSteps: [] }),
        });
        return { instanceId: instance.id };
    };
}

describe("deployment harness: pulumi refresh", function () {
    this.timeout(120_000);
    const ec2 = new EC2Client({});

    beforeEach(() => emulator().reset());

    async function stop(instanceId: string) {
        await ec2.send(new StopInstancesCommand({ InstanceIds: [instanceId] }));
        await waitUntilInstanceStopped(
            { client: ec2, maxWaitTime: 60, minDelay: 1 },
            { InstanceIds: [instanceId] },
        );
    }

    it("reads a stopped instance's associatePublicIpAddress as false, and the next up replaces it (terraform-provider-aws#33775)", async () => {
        const program = instanceProgram(true);
        const up = await deploy(program);
        assert.equal(up.error, undefined, up.error?.stack);
        const id = String(up.outputs.instanceId);
        await stop(id);
        const refreshed = await refresh(up.state);
        const box = refreshed.resources.find((r) => r.name === "box")!;
        assert.equal(box.outputs.associatePublicIpAddress, false);
        assert.equal(box.outputs.instanceState, "stopped");
        assert.equal(
            box.inputs.associatePublicIpAddress,
            true,
            "inputs stay as the program set them",
        );
        const since = Date.now() / 1000;
        const again = await update(program, refreshed);
        assert.equal(again.error, undefined, again.error?.stack);
        assert.notEqual(again.outputs.instanceId, id, "replaced");
        const writes = (await emulator().calls({ since }))
            .map((c) => c.operation)
            .filter((o) => /^(Run|Terminate)/.test(o));
        assert.deepEqual(writes, ["RunInstances", "TerminateInstances"], "create before delete");
        await destroy(again.state);
    });

    it("an instance that leaves associatePublicIpAddress to the subnet is not replaced after the same refresh", async () => {
        const program = instanceProgram(undefined);
        const up = await deploy(program);
        assert.equal(up.error, undefined, up.error?.stack);
        await stop(String(up.outputs.instanceId));
        const since = Date.now() / 1000;
        const again = await update(program, await refresh(up.state));
        assert.equal(again.error, undefined, again.error?.stack);
        assert.equal(again.outputs.instanceId, up.outputs.instanceId);
        assert.deepEqual(
            (await emulator().calls({ since }))
                .map((c) => c.operation)
                .filter((o) => !/^(Describe|Get|List)/.test(o)),
            [],
        );
        await destroy(again.state);
    });

    it("a resource deleted outside Pulumi leaves the state; the next up creates it again", async () => {
        const program = instanceProgram(undefined);
        const up = await deploy(program);
        const doc = up.state.resources.find((r) => r.name === "doc")!;
        await new SSMClient({}).send(new DeleteDocumentCommand({ Name: doc.id }));
        const refreshed = await refresh(up.state);
        assert.deepEqual(
            refreshed.resources.filter((r) => r.custom).map((r) => r.name),
            ["box"],
        );
        const again = await update(program, refreshed);
        assert.equal(again.error, undefined, again.error?.stack);
        assert.ok(again.state.resources.some((r) => r.name === "doc"));
        await destroy(again.state);
    });
});
