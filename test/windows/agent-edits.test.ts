/**
 * planEdits/applyEdits per launch agent on the agents' real configuration files: the one key
 * changes, every other byte stays, a second run changes nothing, and a state in which no password
 * would be generated at next boot is refused before anything is written.
 */
import * as assert from "node:assert/strict";
import {
    AGENT_DATA,
    AgentName,
    applyEdits,
    EditRefused,
    planEdits,
} from "../../tools/windows-agent-model/agent-edits";
import { crlf, fixture, replaceOnce } from "./helpers";

const V2_CONFIG = "ProgramData\\Amazon\\EC2Launch\\config\\agent-config.yml";
const V2_RUN_ONCE = "ProgramData\\Amazon\\EC2Launch\\state\\.run-once";
const V1_CONFIG = "ProgramData\\Amazon\\EC2-Windows\\Launch\\Config\\LaunchConfig.json";
const V1_TASK = "Windows\\System32\\Tasks\\Amazon Ec2 Launch - Instance Initialization";
const EC2CONFIG = "Program Files\\Amazon\\Ec2ConfigService\\Settings\\config.xml";

/** planEdits gives `expected` with `actions`; on its own output it changes nothing more. */
function assertPlan(
    agent: AgentName,
    files: Record<string, string>,
    expected: Record<string, string>,
    actions: string[],
    again: string[],
): void {
    const plan = planEdits(agent, files);
    assert.deepEqual(plan.files, expected);
    assert.deepEqual(
        plan.changes.map((change) => change.action),
        actions,
    );
    assert.deepEqual(applyEdits(agent, files), expected);
    const second = planEdits(agent, plan.files);
    assert.deepEqual(second.files, plan.files);
    assert.deepEqual(
        second.changes.map((change) => change.action),
        again,
    );
}

function assertRefused(agent: AgentName, files: Record<string, string>, reason: RegExp): void {
    assert.throws(
        () => planEdits(agent, files),
        (error: unknown) => error instanceof EditRefused && reason.test(error.message),
    );
}

describe("agent edits: the data", () => {
    it("detects EC2Launch v2 first, then EC2Launch v1, then EC2Config, each by its configuration file", () => {
        assert.deepEqual(
            AGENT_DATA.agents.map((agent) => [agent.name, agent.marker]),
            [
                ["EC2Launch v2", V2_CONFIG],
                ["EC2Launch v1", V1_CONFIG],
                ["EC2Config", EC2CONFIG],
            ],
        );
    });

    it("puts every check before the first change, so a refusal writes nothing", () => {
        for (const agent of AGENT_DATA.agents) {
            const kinds = agent.edits.map((edit) => edit.kind);
            const firstChange = kinds.findIndex((kind) => kind !== "require-boot-task");
            assert.ok(
                kinds.slice(firstChange).every((kind) => kind !== "require-boot-task"),
                agent.name,
            );
        }
    });

    it("says honestly that EC2Launch v1's offline scheduling is not established", () => {
        const v1 = AGENT_DATA.agents[1];
        assert.match(
            v1.nextBoot,
            /InitializeInstance\.ps1 -Schedule registers the scheduled task 'Amazon Ec2 Launch - Instance Initialization'/,
        );
        assert.match(v1.nextBoot, /The offline equivalent is NOT established/);
    });
});

describe("agent edits: EC2Launch v2", () => {
    const config = fixture("ec2launch-v2/agent-config.yml");
    const statik = replaceOnce(
        config,
        "        type: random\n",
        "        type: static\n        data: Sup3r-Secret!\n",
    );

    it("deletes .run-once and leaves a default agent-config.yml byte for byte", () => {
        assertPlan(
            "EC2Launch v2",
            { [V2_CONFIG]: config, [V2_RUN_ONCE]: "" },
            { [V2_CONFIG]: config },
            ["unchanged", "deleted"],
            ["unchanged", "absent"],
        );
    });

    it("sets the password type to random, in CRLF files too", () => {
        assertPlan(
            "EC2Launch v2",
            { [V2_CONFIG]: statik, [V2_RUN_ONCE]: "" },
            { [V2_CONFIG]: config },
            ["modified", "deleted"],
            ["unchanged", "absent"],
        );
        assertPlan(
            "EC2Launch v2",
            { [V2_CONFIG]: crlf(statik) },
            { [V2_CONFIG]: crlf(config) },
            ["modified", "absent"],
            ["unchanged", "absent"],
        );
    });

    it("refuses without agent-config.yml", () => {
        assertRefused(
            "EC2Launch v2",
            { [V2_RUN_ONCE]: "" },
            /^ProgramData\\Amazon\\EC2Launch\\config\\agent-config\.yml: not found$/,
        );
    });
});

describe("agent edits: EC2Launch v1", () => {
    const config = fixture("ec2launch-v1/LaunchConfig.json");
    const scheduled = fixture("ec2launch-v1/instance-initialization.scheduled.xml");
    const afterRun = fixture("ec2launch-v1/instance-initialization.after-run.xml");
    const random = replaceOnce(
        config,
        '"adminPasswordType": "DoNothing"',
        '"adminPasswordType": "Random"',
    );

    it("sets adminPasswordType to Random when initialization is scheduled for the next boot; the task is only read", () => {
        assertPlan(
            "EC2Launch v1",
            { [V1_CONFIG]: config, [V1_TASK]: scheduled },
            { [V1_CONFIG]: random, [V1_TASK]: scheduled },
            ["checked", "modified"],
            ["checked", "unchanged"],
        );
        JSON.parse(
            planEdits("EC2Launch v1", { [V1_CONFIG]: config, [V1_TASK]: scheduled }).files[
                V1_CONFIG
            ],
        );
    });

    it("edits the key as ConvertTo-Json writes it (capitalised, two spaces, CRLF)", () => {
        const written = crlf(
            '{\n    "SetComputerName":  false,\n    "HandleUserData":  true,\n    "AdminPasswordType":  "Specify",\n    "AdminPassword":  "x"\n}',
        );
        const expected = replaceOnce(
            written,
            '"AdminPasswordType":  "Specify"',
            '"AdminPasswordType":  "Random"',
        );
        assertPlan(
            "EC2Launch v1",
            { [V1_CONFIG]: written, [V1_TASK]: scheduled },
            { [V1_CONFIG]: expected, [V1_TASK]: scheduled },
            ["checked", "modified"],
            ["checked", "unchanged"],
        );
    });

    it("refuses after the first boot (the task is disabled): no password would come, and nothing is changed", () => {
        assertRefused(
            "EC2Launch v1",
            { [V1_CONFIG]: config, [V1_TASK]: afterRun },
            /^Windows\\System32\\Tasks\\Amazon Ec2 Launch - Instance Initialization: the task is disabled .*; EC2Launch v1 would not initialize the instance at next boot, so no password would be generated; this tool cannot schedule that offline/,
        );
    });

    it("refuses when the task is missing, its boot trigger disabled or absent, or it runs something else", () => {
        assertRefused(
            "EC2Launch v1",
            { [V1_CONFIG]: config },
            /Instance Initialization: not found; EC2Launch v1 would not initialize/,
        );
        const triggerOff = replaceOnce(
            scheduled,
            "<BootTrigger>\n      <Enabled>true</Enabled>",
            "<BootTrigger>\n      <Enabled>false</Enabled>",
        );
        assertRefused(
            "EC2Launch v1",
            { [V1_CONFIG]: config, [V1_TASK]: triggerOff },
            /boot trigger is disabled/,
        );
        const logon = replaceOnce(
            replaceOnce(scheduled, "<BootTrigger>", "<LogonTrigger>"),
            "</BootTrigger>",
            "</LogonTrigger>",
        );
        assertRefused(
            "EC2Launch v1",
            { [V1_CONFIG]: config, [V1_TASK]: logon },
            /the task has no boot trigger/,
        );
        const other = scheduled.replace(/InitializeInstance\.ps1/g, "SendWindowsIsReady.ps1");
        assertRefused(
            "EC2Launch v1",
            { [V1_CONFIG]: config, [V1_TASK]: other },
            /the task does not run InitializeInstance\.ps1/,
        );
    });

    it("accepts a task XML that leaves Enabled to its default (true)", () => {
        const implicit = replaceOnce(
            replaceOnce(scheduled, "      <Enabled>true</Enabled>\n", ""),
            "    <Enabled>true</Enabled>\n",
            "",
        );
        assert.equal(
            planEdits("EC2Launch v1", { [V1_CONFIG]: config, [V1_TASK]: implicit }).files[
                V1_CONFIG
            ],
            random,
        );
    });

    it("refuses a LaunchConfig.json without the key, or with it twice", () => {
        const without = replaceOnce(config, '\t"adminPasswordType": "DoNothing",\n', "");
        assertRefused(
            "EC2Launch v1",
            { [V1_CONFIG]: without, [V1_TASK]: scheduled },
            /LaunchConfig\.json: expected exactly one match of .*, found 0$/,
        );
        const twice = replaceOnce(
            config,
            '\t"adminPassword": ""',
            '\t"adminPasswordType": "Random"',
        );
        assertRefused("EC2Launch v1", { [V1_CONFIG]: twice, [V1_TASK]: scheduled }, /found 2$/);
    });
});

describe("agent edits: EC2Config", () => {
    const config = fixture("ec2config/config.xml");
    const enabled = replaceOnce(
        config,
        "<Name>Ec2SetPassword</Name>\n      <State>Disabled</State>",
        "<Name>Ec2SetPassword</Name>\n      <State>Enabled</State>",
    );

    it("enables Ec2SetPassword and nothing else (Ec2HandleUserData stays Disabled)", () => {
        assertPlan(
            "EC2Config",
            { [EC2CONFIG]: config },
            { [EC2CONFIG]: enabled },
            ["modified"],
            ["unchanged"],
        );
        assert.match(enabled, /<Name>Ec2HandleUserData<\/Name>\n {6}<State>Disabled<\/State>/);
    });

    it("works on CRLF files and on any whitespace between the elements", () => {
        assertPlan(
            "EC2Config",
            { [EC2CONFIG]: crlf(config) },
            { [EC2CONFIG]: crlf(enabled) },
            ["modified"],
            ["unchanged"],
        );
        const tight = config.replace(/>\n +</g, "><");
        assertPlan(
            "EC2Config",
            { [EC2CONFIG]: tight },
            {
                [EC2CONFIG]: replaceOnce(
                    tight,
                    "<Name>Ec2SetPassword</Name><State>Disabled</State>",
                    "<Name>Ec2SetPassword</Name><State>Enabled</State>",
                ),
            },
            ["modified"],
            ["unchanged"],
        );
    });

    it("refuses a config.xml without the plugin", () => {
        const without = config.replace(
            "<Name>Ec2SetPassword</Name>",
            "<Name>Ec2SetPasswordX</Name>",
        );
        assertRefused(
            "EC2Config",
            { [EC2CONFIG]: without },
            /config\.xml: expected exactly one match of .*, found 0$/,
        );
    });
});
