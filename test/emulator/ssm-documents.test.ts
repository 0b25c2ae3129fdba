/** Command documents created in the emulator: parameters validated and substituted as SSM does. */
import * as assert from "node:assert/strict";
import {
    CreateDocumentCommand,
    GetCommandInvocationCommand,
    SendCommandCommand,
} from "@aws-sdk/client-ssm";
import { emulator } from "../hooks";
import { finished, invocation, managedInstance, poll, ssm } from "./ssm-support.test";

const DOCUMENT = {
    schemaVersion: "2.2",
    description: "Emulator test document.",
    parameters: {
        message: { type: "String", description: "Words.", allowedPattern: "^[a-z ]+$" },
        lines: { type: "StringList", description: "Commands.", default: ["echo default-line"] },
        count: {
            type: "String",
            description: "A number.",
            default: "2",
            allowedValues: ["1", "2", "3"],
        },
    },
    mainSteps: [
        {
            action: "aws:runShellScript",
            name: "speak",
            precondition: { StringEquals: ["platformType", "Linux"] },
            inputs: {
                runCommand: [
                    "echo 'msg={{ message }}'",
                    "echo 'json={{lines}}'",
                    "{{ lines }}",
                    "echo count={{ count }}",
                ],
            },
        },
    ],
};

const YAML_DOCUMENT = `---
schemaVersion: '2.2'
description: Two steps, one for Windows only.
parameters:
  name:
    type: String
    default: world
mainSteps:
- action: aws:runPowerShellScript
  name: windowsOnly
  precondition:
    StringEquals: [platformType, Windows]
  inputs:
    runCommand: ['Write-Host nope']
- action: aws:runShellScript
  name: greet
  inputs:
    timeoutSeconds: '5'
    runCommand:
    - echo "hello {{ name }}"
`;

async function createDocument(
    name: string,
    content: string,
    format: "JSON" | "YAML" = "JSON",
): Promise<void> {
    await ssm().send(
        new CreateDocumentCommand({
            Name: name,
            Content: content,
            DocumentType: "Command",
            DocumentFormat: format,
        }),
    );
}

async function send(
    instanceId: string,
    name: string,
    parameters: Record<string, string[]>,
): Promise<string> {
    const { Command } = await ssm().send(
        new SendCommandCommand({
            DocumentName: name,
            InstanceIds: [instanceId],
            Parameters: parameters,
        }),
    );
    return Command!.CommandId!;
}

describe("SSM Run Command with a Command document created in the emulator", () => {
    beforeEach(() => emulator().reset());

    it("substitutes String and StringList parameters as the agent does, applying defaults", async () => {
        const instanceId = await managedInstance();
        await createDocument("Speak", JSON.stringify(DOCUMENT));
        const given = await finished(
            await send(instanceId, "Speak", {
                message: ["hi there"],
                lines: ["echo first", "echo second"],
            }),
            instanceId,
        );
        assert.equal(given.Status, "Success", given.StandardErrorContent);
        assert.equal(given.PluginName, "speak");
        assert.equal(
            given.StandardOutputContent,
            'msg=hi there\njson=["echo first","echo second"]\nfirst\nsecond\ncount=2\n',
        );

        const defaults = await finished(
            await send(instanceId, "Speak", { message: ["hi"], count: ["3"] }),
            instanceId,
        );
        assert.equal(
            defaults.StandardOutputContent,
            'msg=hi\njson=["echo default-line"]\ndefault-line\ncount=3\n',
        );
    });

    it("rejects with InvalidParameters a value failing allowedPattern or allowedValues, a missing required or an unknown parameter", async () => {
        const instanceId = await managedInstance();
        await createDocument("Speak", JSON.stringify(DOCUMENT));
        const cases: Array<[Record<string, string[]>, string]> = [
            [{ message: ["hi; rm -rf /"] }, "message"], // allowedPattern
            [{ message: ["hi"], count: ["4"] }, "count"], // allowedValues
            [{ lines: ["echo x"] }, "message"], // required, no default
            [{ message: ["hi"], colour: ["blue"] }, "colour"], // not declared
            [{ message: ["hi", "there"] }, "message"], // a String takes one value
        ];
        for (const [parameters, named] of cases) {
            await assert.rejects(
                send(instanceId, "Speak", parameters),
                (err: Error) => err.name === "InvalidParameters" && err.message.includes(named),
                JSON.stringify(parameters),
            );
        }
    });

    it("runs a YAML document's steps, skipping one whose platformType precondition is not met", async () => {
        const instanceId = await managedInstance();
        await createDocument("Greet", YAML_DOCUMENT, "YAML");
        const commandId = await send(instanceId, "Greet", {});
        await poll("the command to end", async () => {
            const out = await ssm().send(
                new GetCommandInvocationCommand({
                    CommandId: commandId,
                    InstanceId: instanceId,
                    PluginName: "greet",
                }),
            );
            return out.Status === "Success" ? out : undefined;
        });
        const greet = await invocation(commandId, instanceId, "greet");
        assert.equal(greet.StandardOutputContent, "hello world\n");
        const skipped = await invocation(commandId, instanceId, "windowsOnly");
        assert.equal(skipped.Status, "Success");
        assert.match(skipped.StandardOutputContent!, /skipped due to unsatisfied preconditions/);
        await assert.rejects(invocation(commandId, instanceId), { name: "InvalidPluginName" });
    });

    it("rejects an unknown document with InvalidDocument", async () => {
        const instanceId = await managedInstance();
        await assert.rejects(send(instanceId, "NoSuchDocument", {}), { name: "InvalidDocument" });
    });
});
