import * as assert from "node:assert/strict";
import { stepDiff } from "../../dynamic-providers/step-diff";
import { resetDigest } from "../../lib/reset-digest";

describe("the steps' diff: only the digest of the reset's inputs replaces a step", () => {
    const inputs = {
        instanceId: "i-0",
        rotation: "1",
        publicKey: "ssh-ed25519 AAAA a",
        users: "auto",
        keyType: "ed25519",
        platform: "linux",
    };
    const olds = {
        resetDigest: resetDigest(inputs),
        helperInstanceId: "i-helper1",
        documentName: "doc-1",
        rotation: "1",
    };

    it("a replaced helper or document is no change", async () => {
        assert.deepEqual(
            await stepDiff("id", olds, {
                ...olds,
                helperInstanceId: "i-helper2",
                documentName: "doc-2",
            }),
            { changes: false, replaces: [], deleteBeforeReplace: false },
        );
    });

    it("helper-ready (dynamic-providers/helper-ready.ts): a new probe document alone is no change, a new digest replaces", async () => {
        const ready = {
            resetDigest: resetDigest(inputs),
            helperInstanceId: "i-helper1",
            probeDocumentName: "reset-probe-document-1a2b3c4",
            network: { subnet: "temporary" },
        };
        const renamed = { ...ready, probeDocumentName: "reset-probe-document-5d6e7f8" };
        assert.deepEqual(await stepDiff("id", ready, renamed), {
            changes: false,
            replaces: [],
            deleteBeforeReplace: false,
        });
        // State written before the probe document: no name recorded, still no change.
        const { probeDocumentName: _, ...older } = ready;
        assert.equal((await stepDiff("id", older, renamed)).changes, false);
        const rotated = { ...renamed, resetDigest: resetDigest({ ...inputs, rotation: "2" }) };
        assert.deepEqual((await stepDiff("id", ready, rotated)).replaces, ["resetDigest"]);
    });

    for (const [key, value] of [
        ["publicKey", "ssh-ed25519 BBBB b"],
        ["users", '["root"]'],
        ["keyType", "rsa"],
        ["rotation", "2"],
        ["instanceId", "i-1"],
    ]) {
        it(`a new ${key} changes the digest, which replaces the step`, async () => {
            const news = { ...olds, resetDigest: resetDigest({ ...inputs, [key]: value }) };
            assert.deepEqual(await stepDiff("id", olds, news), {
                changes: true,
                replaces: ["resetDigest"],
                deleteBeforeReplace: false,
            });
        });
    }

    it("state from before the digest: rotation, publicKey or users replace, as before", async () => {
        const old = { rotation: "1", publicKey: "k", helperInstanceId: "i-1" };
        assert.deepEqual(
            (await stepDiff("id", old, { ...old, helperInstanceId: "i-2", resetDigest: "x" }))
                .replaces,
            [],
        );
        assert.deepEqual(
            (await stepDiff("id", old, { ...old, publicKey: "k2", resetDigest: "x" })).replaces,
            ["publicKey"],
        );
    });
});
