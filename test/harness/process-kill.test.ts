/**
 * A deployment killed with SIGKILL in a child process leaves the state of what completed (the
 * checkpoint is written after every step), and `destroy(readState(path))` removes it.
 */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { GetParameterCommand, SSMClient } from "@aws-sdk/client-ssm";
import { deployInChild, destroy, readState } from "../../harness/deployment";
import { emulator } from "../hooks";

const PROGRAM = path.join(__dirname, "fixtures", "notes-program.ts");

async function parameter(name: string): Promise<string | undefined> {
    try {
        return (
            await new SSMClient({ maxAttempts: 1 }).send(new GetParameterCommand({ Name: name }))
        ).Parameter?.Value;
    } catch (err) {
        if ((err as Error).name === "ParameterNotFound") return undefined;
        throw err;
    }
}

describe("deployment harness: a killed deployment", function () {
    this.timeout(90_000);
    let dir: string;

    beforeEach(async () => {
        await emulator().reset();
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "harness-kill-"));
    });
    afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

    it("killAfter: the state file holds exactly the completed resources; the next up finishes; destroy removes all", async () => {
        const statePath = path.join(dir, "state.json");
        const config = { "harness:prefix": "/kill/after", "harness:slowMs": "3000" };
        const run = await deployInChild({
            modulePath: PROGRAM,
            statePath,
            config,
            killAfter: "first",
        });
        assert.equal(run.killed, true, run.stderr);
        const state = readState(statePath);
        assert.deepEqual(
            state.resources.map((r) => r.name),
            ["first"],
        );
        assert.deepEqual(
            state.pendingOperations.map((op) => [op.name, op.operation]),
            [["slow", "creating"]],
            "slow was in flight",
        );
        assert.equal(await parameter("/kill/after/first"), "1");
        assert.equal(
            await parameter("/kill/after/second"),
            undefined,
            "nothing after first started",
        );

        // The next `pulumi up` from that state drops the pending operation and finishes the rest.
        const resumed = await deployInChild({
            modulePath: PROGRAM,
            statePath,
            config: { "harness:slowMs": "0" },
            fromState: true,
        });
        assert.equal(resumed.exitCode, 0, resumed.stderr);
        assert.deepEqual(resumed.state.resources.map((r) => r.name).sort(), [
            "first",
            "second",
            "slow",
            "third",
        ]);
        assert.equal(resumed.outputs?.first, 1, "first kept its outputs: no second create");

        assert.deepEqual((await destroy(readState(statePath), { statePath })).resources, []);
        for (const name of ["first", "slow", "second", "third"])
            assert.equal(await parameter(`/kill/after/${name}`), undefined);
        assert.deepEqual(readState(statePath).resources, []);
    });

    it("killOnCall: killed while the emulator holds the call; the call lands, the step is not in state", async () => {
        const statePath = path.join(dir, "state.json");
        const config = { "harness:prefix": "/kill/call" };
        // PutParameter #1 and #2 are first's and slow's (together), #3 is second's.
        const run = await deployInChild({
            modulePath: PROGRAM,
            statePath,
            config,
            killOnCall: { operation: "PutParameter", nth: 3, seconds: 2 },
        });
        assert.equal(run.killed, true, run.stderr);
        const state = readState(statePath);
        const completed = state.resources.map((r) => r.name);
        assert.ok(
            completed.includes("first") &&
                !completed.includes("second") &&
                !completed.includes("third"),
            `${completed}`,
        );
        assert.ok(
            state.pendingOperations.some(
                (op) => op.name === "second" && op.operation === "creating",
            ),
        );
        assert.equal(
            await parameter("/kill/call/second"),
            "2",
            "AWS got the call; the program never saw the answer",
        );

        await destroy(state);
        assert.equal(await parameter("/kill/call/first"), undefined);
        assert.equal(
            await parameter("/kill/call/second"),
            "2",
            "a create killed mid-way is not in state: left behind, as with Pulumi",
        );
    });
});
