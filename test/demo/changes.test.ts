/** What the rehearsal records and prints per step, from the states around it and the call log. */
import * as assert from "node:assert/strict";
import {
    changeOf,
    deletedBetween,
    differingOutputs,
    publicKeyOf,
    writesOf,
} from "../../demo/changes";
import { homeOf } from "../../demo/demo";
import type { ResourceState } from "../../harness/deployment";

function resource(
    name: string,
    id: string,
    outputs: Record<string, unknown> = {},
    custom = true,
): ResourceState {
    return {
        urn: `urn:pulumi:test::ec2-reset-access::t::${name}`,
        type: "t",
        name,
        custom,
        id,
        inputs: { a: 1 },
        outputs,
        dependencies: [],
        propertyDependencies: {},
        options: {},
        secretOutputs: [],
    };
}

describe("demo: what a step changed", () => {
    it("keeps the AWS writes in order, leaving out Describe*, Get* and List*", () => {
        const calls = [
            "DescribeInstances",
            "StopInstances",
            "GetParameter",
            "CreateImage",
            "ListCommands",
            "SendCommand",
            "DescribeVolumes",
            "GetCommandInvocation",
            "StartInstances",
        ];
        assert.deepEqual(writesOf(calls.map((operation) => ({ operation }))), [
            "StopInstances",
            "CreateImage",
            "SendCommand",
            "StartInstances",
        ]);
    });

    it("tells created, replaced, updated and unchanged resources apart by URN, id, inputs and outputs", () => {
        const old = resource("key", "k-1", { publicKey: "A" });
        assert.equal(changeOf(undefined, old), "+");
        assert.equal(changeOf(old, resource("key", "k-2", { publicKey: "B" })), "+-");
        assert.equal(changeOf(old, resource("key", "k-1", { publicKey: "B" })), "~");
        assert.equal(
            changeOf(old, { ...resource("key", "k-1", { publicKey: "A" }), inputs: { a: 2 } }),
            "~",
        );
        assert.equal(changeOf(old, resource("key", "k-1", { publicKey: "A" })), undefined);
        assert.equal(
            changeOf(resource("reset", "", {}, false), resource("reset", "", { x: 1 }, false)),
            undefined,
            "a component's outputs come later",
        );
    });

    it("finds what a step deleted: gone, or an old copy replaced", () => {
        const kept = resource("vpc", "vpc-1");
        const replaced = resource("key", "k-1");
        const gone = resource("helper", "i-1");
        const after = [kept, resource("key", "k-2")];
        assert.deepEqual(
            deletedBetween([kept, replaced, gone], after).map((r) => r.id),
            ["k-1", "i-1"],
        );
    });

    it("names the outputs a refresh read differently, sorted, values left out", () => {
        const before = resource("helper", "i-1", {
            instanceState: "running",
            publicIp: "1.2.3.4",
            ami: "ami-1",
        });
        const after = resource("helper", "i-1", { instanceState: "stopped", ami: "ami-1" });
        assert.deepEqual(differingOutputs(before, after), ["instanceState", "publicIp"]);
    });

    it("records the publicKey output, or null without one", () => {
        assert.equal(publicKeyOf({ publicKey: "ssh-ed25519 AAAA c" }), "ssh-ed25519 AAAA c");
        assert.equal(publicKeyOf(undefined), null);
        assert.equal(publicKeyOf({ publicKey: "" }), null);
    });

    it("finds a user's home in the volume's /etc/passwd", () => {
        const passwd =
            "root:x:0:0:root:/root:/bin/bash\nadmin:x:1000:1000:Debian:/home/admin:/bin/bash\n";
        assert.equal(homeOf(passwd, "admin"), "/home/admin");
        assert.equal(homeOf(passwd, "ec2-user"), undefined);
    });
});
