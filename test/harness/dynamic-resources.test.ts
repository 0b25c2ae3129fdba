/** The deployment harness with dynamic resources: the host's loading, order, failure, update, destroy. */
import * as assert from "node:assert/strict";
import * as pulumi from "@pulumi/pulumi";
import { DeleteParameterCommand, GetParameterCommand, SSMClient } from "@aws-sdk/client-ssm";
import {
    deploy,
    destroy,
    DestroyError,
    DeploymentState,
    loadDynamicProvider,
    update,
} from "../../harness/deployment";
import { emulator } from "../hooks";
import { Note, noteProvider } from "./fixtures/note";

const ssm = () => new SSMClient({ maxAttempts: 1 });

async function parameter(name: string): Promise<string | undefined> {
    try {
        return (await ssm().send(new GetParameterCommand({ Name: name }))).Parameter?.Value;
    } catch (err) {
        if ((err as Error).name === "ParameterNotFound") return undefined;
        throw err;
    }
}

const names = (state: DeploymentState) => state.resources.map((r) => r.name);
const byName = (state: DeploymentState, name: string) =>
    state.resources.find((r) => r.name === name)!;
const WRITES =
    /^(Put|Delete|Create|Run|Terminate|Attach|Detach|Modify|Associate|Authorize|Revoke|Add|Remove|Send)/;

describe("deployment harness: dynamic resources", () => {
    beforeEach(() => emulator().reset());

    it("loads the provider text as the host does and runs its create", async () => {
        const serialized = await pulumi.runtime.serializeFunction(() => noteProvider, {
            allowSecrets: true,
        });
        const provider = loadDynamicProvider(serialized.text);
        const created = await provider.create({ parameterName: "/harness/direct", value: "v" });
        assert.equal(created.id, "/harness/direct");
        assert.equal(await parameter("/harness/direct"), "v");

        const { state } = await deploy(
            () => void new Note("n", { parameterName: "/harness/n", value: "1" }),
        );
        const text = byName(state, "n").outputs.__provider;
        assert.equal(typeof text, "string");
        assert.equal(text, byName(state, "n").inputs.__provider);
        assert.deepEqual(Object.keys(loadDynamicProvider(text as string)).sort(), [
            "create",
            "delete",
            "diff",
            "update",
        ]);
        await destroy(state);
    });

    it("fails a create whose outputs would not cross the host's gRPC boundary, as the host does", async () => {
        const careless: pulumi.dynamic.ResourceProvider = {
            async create() {
                return { id: "x", outs: { optional: undefined } };
            },
        };
        class Careless extends pulumi.dynamic.Resource {
            constructor(name: string) {
                super(careless, name, {}, {}, "harness", "Careless");
            }
        }
        const { error, state } = await deploy(() => void new Careless("careless"));
        assert.equal(error?.message, "Unexpected struct type.");
        assert.deepEqual(state.resources, []);
    });

    it("creates each resource after its dependencies, independent ones at once, and destroys dependents first", async () => {
        const { state, outputs, error } = await deploy(() => {
            const a = new Note("a", { parameterName: "/harness/a", value: "a", holdMs: 400 });
            const d = new Note("d", { parameterName: "/harness/d", value: "d", holdMs: 400 });
            const b = new Note(
                "b",
                { parameterName: "/harness/b", value: "b" },
                { dependsOn: [a] },
            );
            const c = new Note("c", {
                parameterName: "/harness/c",
                value: a.version.apply((v) => `after a v${v}`),
            });
            return { b: b.version, c: c.value, d: d.id };
        });
        assert.equal(error, undefined);
        assert.deepEqual(outputs, { b: 1, c: "after a v1", d: "/harness/d" });
        assert.deepEqual(
            await Promise.all(["a", "b", "c", "d"].map((n) => parameter(`/harness/${n}`))),
            ["a", "b", "after a v1", "d"],
        );
        const time = (name: string, key: "startedAt" | "finishedAt") =>
            byName(state, name).outputs[key] as number;
        assert.ok(
            time("a", "startedAt") < time("d", "finishedAt") &&
                time("d", "startedAt") < time("a", "finishedAt"),
            "a and d overlap",
        );
        assert.ok(
            time("b", "startedAt") >= time("a", "finishedAt"),
            "b (dependsOn a) starts after a",
        );
        assert.ok(
            time("c", "startedAt") >= time("a", "finishedAt"),
            "c (uses a.version) starts after a",
        );
        const aUrn = byName(state, "a").urn;
        assert.equal(
            aUrn,
            "urn:pulumi:test::ec2-reset-access::pulumi-nodejs:dynamic/harness:Note::a",
        );
        assert.deepEqual(byName(state, "b").dependencies, [aUrn]);
        assert.deepEqual(byName(state, "c").propertyDependencies, { value: [aUrn] });
        const order = names(state);
        assert.ok(
            order.indexOf("b") > order.indexOf("a") && order.indexOf("c") > order.indexOf("a"),
            `completion order ${order}`,
        );

        const since = Date.now() / 1000;
        const left = await destroy(state);
        assert.deepEqual(left.resources, []);
        assert.deepEqual(
            await Promise.all(["a", "b", "c", "d"].map((n) => parameter(`/harness/${n}`))),
            [undefined, undefined, undefined, undefined],
        );
        const deletes = (await emulator().calls({ operation: "DeleteParameter", since })).map(
            (c) => c.params.Name,
        );
        assert.equal(deletes.length, 4);
        assert.ok(
            deletes.indexOf("/harness/a") > deletes.indexOf("/harness/b") &&
                deletes.indexOf("/harness/a") > deletes.indexOf("/harness/c"),
        );
    });

    it("reports a failing create as the error, after the steps in flight, keeping what completed", async () => {
        const { state, error } = await deploy(() => {
            const a = new Note("a", { parameterName: "/harness/a", value: "a" });
            const b = new Note(
                "b",
                { parameterName: "/harness/b", value: "b", failWith: "injected create failure" },
                { dependsOn: [a] },
            );
            new Note("c", { parameterName: "/harness/c", value: "c" }, { dependsOn: [b] });
            new Note("d", { parameterName: "/harness/d", value: "d", holdMs: 800 });
        });
        assert.equal(error?.message, "injected create failure");
        assert.deepEqual(
            names(state),
            ["a", "d"],
            "d was in flight when b failed: it finished and is in state",
        );
        assert.deepEqual(state.pendingOperations, []);
        assert.equal(await parameter("/harness/c"), undefined, "nothing after a failure starts");
        await destroy(state);
        assert.equal(await parameter("/harness/a"), undefined);
        assert.equal(
            await parameter("/harness/b"),
            "b",
            "a failed create's leftovers are not in state (as with Pulumi)",
        );
    });

    it("updates: no change makes no AWS call; a change goes through diff, then update or replace; removed resources are deleted", async () => {
        const program = (x: string, yName: string, withZ: boolean) => () => {
            new Note("x", { parameterName: "/harness/x", value: x });
            new Note("y", { parameterName: yName, value: "y" });
            if (withZ) new Note("z", { parameterName: "/harness/z", value: "z" });
        };
        const first = await deploy(program("1", "/harness/y", true));
        let since = Date.now() / 1000;
        const same = await update(program("1", "/harness/y", true), first.state);
        assert.equal(same.error, undefined);
        assert.deepEqual(await emulator().calls({ since }), [], "no AWS call at all");
        const outputsByName = (state: DeploymentState) =>
            Object.fromEntries(state.resources.map((r) => [r.name, r.outputs]));
        assert.deepEqual(outputsByName(same.state), outputsByName(first.state));

        since = Date.now() / 1000;
        const changed = await update(program("2", "/harness/y2", false), same.state);
        assert.equal(changed.error, undefined);
        const writes = (await emulator().calls({ since }))
            .filter((c) => WRITES.test(c.operation))
            .map((c) => `${c.operation} ${c.params.Name}`);
        assert.deepEqual(writes.slice(0, 2).sort(), [
            "PutParameter /harness/x",
            "PutParameter /harness/y2",
        ]);
        assert.deepEqual(
            writes.slice(2).sort(),
            ["DeleteParameter /harness/y", "DeleteParameter /harness/z"],
            "replaced and removed go last",
        );
        assert.equal(byName(changed.state, "x").outputs.version, 2, "x updated in place");
        assert.equal(byName(changed.state, "y").id, "/harness/y2", "y replaced");
        assert.deepEqual(names(changed.state).sort(), ["x", "y"]);
        await destroy(changed.state);
    });

    it("replaces with deleteBeforeReplace: the old resource goes first", async () => {
        const program = (name: string) => () =>
            void new Note("n", { parameterName: name, value: "v" }, { deleteBeforeReplace: true });
        const first = await deploy(program("/harness/old"));
        const since = Date.now() / 1000;
        const replaced = await update(program("/harness/new"), first.state);
        assert.equal(replaced.error, undefined);
        const writes = (await emulator().calls({ since }))
            .filter((c) => WRITES.test(c.operation))
            .map((c) => `${c.operation} ${c.params.Name}`);
        assert.deepEqual(writes, ["DeleteParameter /harness/old", "PutParameter /harness/new"]);
        assert.deepEqual(
            replaced.state.resources.map((r) => r.id),
            ["/harness/new"],
        );
        await destroy(replaced.state);
    });

    it("returns additionalSecretOutputs and outputs of secret inputs as secrets, and hands the provider plain values", async () => {
        const { state, outputs } = await deploy(async () => {
            const n = new Note(
                "n",
                { parameterName: "/harness/n", value: pulumi.secret("hush") },
                { additionalSecretOutputs: ["version"] },
            );
            return {
                version: await pulumi.isSecret(n.version),
                value: await pulumi.isSecret(n.value),
                startedAt: await pulumi.isSecret(n.startedAt),
            };
        });
        assert.deepEqual(outputs, { version: true, value: true, startedAt: false });
        assert.equal(await parameter("/harness/n"), "hush");
        assert.deepEqual(byName(state, "n").secretOutputs.sort(), ["value", "version"]);
        assert.deepEqual(byName(state, "n").options, { additionalSecretOutputs: ["version"] });
        await destroy(state);
    });

    it("destroy: retainOnDelete leaves the resource in AWS, protect refuses, deleting what is gone succeeds", async () => {
        const { state } = await deploy(() => {
            new Note(
                "kept",
                { parameterName: "/harness/kept", value: "k" },
                { retainOnDelete: true },
            );
            new Note("locked", { parameterName: "/harness/locked", value: "l" }, { protect: true });
            new Note("gone", { parameterName: "/harness/gone", value: "g" });
        });
        await ssm().send(new DeleteParameterCommand({ Name: "/harness/gone" }));
        const err = await destroy(state).then(
            () => undefined,
            (e: DestroyError) => e,
        );
        assert.ok(err instanceof DestroyError);
        assert.match(err.errors[0].message, /cannot be deleted because it is protected/);
        assert.deepEqual(names(err.state), ["locked"]);
        assert.equal(await parameter("/harness/kept"), "k");
    });

    it("destroy collects delete errors, keeps the failed resource and what it depends on, and a second destroy finishes", async () => {
        const { state } = await deploy(() => {
            const a = new Note("a", { parameterName: "/harness/a", value: "a" });
            new Note("b", { parameterName: "/harness/b", value: "b" }, { dependsOn: [a] });
        });
        await emulator().control("POST", "/faults", {
            operation: "DeleteParameter",
            code: "AccessDeniedException",
            message: "no delete (injected)",
        });
        const err = await destroy(state).then(
            () => undefined,
            (e: DestroyError) => e,
        );
        assert.ok(err instanceof DestroyError);
        assert.deepEqual(
            err.errors.map((e) => e.message),
            ["no delete (injected)"],
        );
        assert.deepEqual(names(err.state), ["a", "b"], "b failed; a waits for b");
        assert.deepEqual(await destroy(err.state).then((s) => s.resources), []);
        assert.equal(await parameter("/harness/a"), undefined);
    });
});
