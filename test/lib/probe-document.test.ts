/** The helper-ready probe's document: one step per platform that prints the marker, nothing else. */
import * as assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import {
    isProbeDocument,
    PROBE_MARKER,
    PROBE_STEP,
    probeDocumentContent,
} from "../../lib/probe-document";

describe("probe document", () => {
    const document = JSON.parse(probeDocumentContent());

    it("is a schema 2.2 document without parameters: nothing of the caller reaches the helper", () => {
        assert.equal(document.schemaVersion, "2.2");
        assert.equal(document.parameters, undefined);
        assert.doesNotMatch(probeDocumentContent(), /\{\{/, "nothing for SSM to substitute");
    });

    it("has one step per platform, each through the reset document's plugin, gated by platformType", () => {
        assert.deepEqual(
            document.mainSteps.map((s: { name: string; action: string; precondition: unknown }) => [
                s.name,
                s.action,
                s.precondition,
            ]),
            [
                [
                    PROBE_STEP.linux,
                    "aws:runShellScript",
                    { StringEquals: ["platformType", "Linux"] },
                ],
                [
                    PROBE_STEP.windows,
                    "aws:runPowerShellScript",
                    { StringEquals: ["platformType", "Windows"] },
                ],
            ],
        );
        assert.deepEqual(document.mainSteps[1].inputs.runCommand, [
            `Write-Output '${PROBE_MARKER}'`,
        ]);
    });

    it("the Linux step prints the marker and only the marker", () => {
        const run = spawnSync("bash", ["-c", document.mainSteps[0].inputs.runCommand.join("\n")], {
            encoding: "utf8",
        });
        assert.deepEqual([run.status, run.stdout, run.stderr], [0, `${PROBE_MARKER}\n`, ""]);
    });

    it("isProbeDocument tells the component's probe document from its reset document and AWS's", () => {
        assert.equal(isProbeDocument("reset-probe-document-1a2b3c4"), true);
        assert.equal(isProbeDocument("reset-reset-document-1a2b3c4"), false);
        assert.equal(isProbeDocument("AWS-RunShellScript"), false);
    });
});
