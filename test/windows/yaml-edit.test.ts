/**
 * ensureYamlTaskInput on EC2Launch v2's agent-config.yml: preReady / setAdminAccount / password
 * becomes `type: random` and nothing else in the file changes, in both layouts AWS documents,
 * with LF or CRLF line breaks, with or without a final line break; shapes it does not know are
 * refused with the reason.
 */
import * as assert from "node:assert/strict";
import { EditRefused, ensureYamlTaskInput } from "../../tools/windows-agent-model/text-edits";
import { assertCrlfOnly, crlf, fixture, replaceOnce } from "./helpers";

const RANDOM = ["type: random"];
const edit = (text: string) =>
    ensureYamlTaskInput(text, "preReady", "setAdminAccount", "password", RANDOM);

/** The edit gives `expected`, and a second run changes nothing. */
function assertEdits(input: string, expected: string): void {
    const first = edit(input);
    assert.equal(first.text, expected);
    assert.equal(first.changed, input !== expected);
    const second = edit(first.text);
    assert.equal(second.text, first.text);
    assert.equal(second.changed, false);
}

function assertRefused(input: string, reason: RegExp): void {
    assert.throws(
        () => edit(input),
        (error: unknown) => error instanceof EditRefused && reason.test(error.message),
    );
}

describe("agent-config.yml: setAdminAccount password type random", () => {
    const compact = fixture("ec2launch-v2/agent-config.yml");
    const indented = fixture("ec2launch-v2/agent-config.settings-ui.yml");
    const randomBlock = "      password:\n        type: random\n";

    it("leaves the default file byte for byte (it already asks for a random password)", () => {
        assertEdits(compact, compact);
        assertEdits(indented, indented);
    });

    it("replaces a static password (and its clear-text data) with type random", () => {
        const statik = replaceOnce(
            compact,
            randomBlock,
            "      password:\n        type: static\n        data: Sup3r-Secret!\n",
        );
        assertEdits(statik, compact);
        const statikIndented = replaceOnce(
            indented,
            "          password:\n            type: random\n",
            "          password:\n            type: static\n            data: 'x: y'\n",
        );
        assertEdits(statikIndented, indented);
    });

    it("keeps the other inputs (the account name) and replaces doNothing", () => {
        const named = replaceOnce(
            compact,
            randomBlock,
            "      name: Administrator\n      password:\n        type: doNothing\n",
        );
        assertEdits(
            named,
            replaceOnce(compact, randomBlock, "      name: Administrator\n" + randomBlock),
        );
    });

    it("adds the password as the first input when there is none", () => {
        const nameOnly = replaceOnce(compact, randomBlock, "      name: Admin2\n");
        assertEdits(
            nameOnly,
            replaceOnce(compact, randomBlock, randomBlock + "      name: Admin2\n"),
        );
    });

    it("adds inputs to a setAdminAccount task that has none", () => {
        const bare = replaceOnce(compact, "    inputs:\n" + randomBlock, "");
        assertEdits(bare, compact);
    });

    it("adds the task after the last task of preReady when it is missing", () => {
        const task = "  - task: setAdminAccount\n    inputs:\n" + randomBlock;
        const missing = replaceOnce(compact, task, "");
        assertEdits(
            missing,
            replaceOnce(
                missing,
                "      - network\n- stage: postReady",
                "      - network\n" + task + "- stage: postReady",
            ),
        );
        const taskIndented =
            "      - task: setAdminAccount\n        inputs:\n          password:\n            type: random\n";
        const missingIndented = replaceOnce(indented, taskIndented, "");
        assertEdits(
            missingIndented,
            replaceOnce(
                missingIndented,
                "            - network\n  - stage: postReady",
                "            - network\n" + taskIndented + "  - stage: postReady",
            ),
        );
    });

    it("replaces a flow-style or commented password block, keeping comments elsewhere", () => {
        const flow = replaceOnce(compact, randomBlock, "      password: {type: static, data: x}\n");
        assertEdits(flow, compact);
        const commented = replaceOnce(
            compact,
            randomBlock,
            "      password: # rotated by ops\n        # type: random\n        type: static\n        data: x\n",
        );
        assertEdits(commented, compact);
        const around = replaceOnce(
            compact,
            "  - task: setWallpaper\n",
            "  # the wallpaper shows the instance\n  - task: setWallpaper\n",
        );
        const aroundStatic = replaceOnce(
            around,
            randomBlock,
            "      password:\n        type: static\n",
        );
        assertEdits(aroundStatic, around);
    });

    it("accepts quoted names", () => {
        const quoted = replaceOnce(
            replaceOnce(compact, "- stage: preReady", '- stage: "preReady"'),
            "- task: setAdminAccount",
            "- task: 'setAdminAccount'",
        );
        const statik = replaceOnce(quoted, randomBlock, "      password:\n        type: static\n");
        assertEdits(statik, quoted);
    });

    it("keeps CRLF line breaks and adds CRLF lines", () => {
        const statik = crlf(
            replaceOnce(compact, randomBlock, "      password:\n        type: static\n"),
        );
        assertEdits(statik, crlf(compact));
        const missing = crlf(
            replaceOnce(compact, "  - task: setAdminAccount\n    inputs:\n" + randomBlock, ""),
        );
        const result = edit(missing).text;
        assertCrlfOnly(result);
        assert.equal(result.replace(/\r\n/g, "\n"), edit(missing.replace(/\r\n/g, "\n")).text);
    });

    it("handles a file that ends inside preReady without a final line break", () => {
        const short = "version: 1.0\nconfig:\n- stage: preReady\n  tasks:\n  - task: setWallpaper";
        const added =
            short +
            "\n  - task: setAdminAccount\n    inputs:\n      password:\n        type: random";
        assertEdits(short, added);
        assertEdits(crlf(short), crlf(added));
        const statik =
            "version: 1.0\nconfig:\n- stage: preReady\n  tasks:\n  - task: setAdminAccount\n    inputs:\n      password:\n        type: static";
        const random =
            "version: 1.0\nconfig:\n- stage: preReady\n  tasks:\n  - task: setAdminAccount\n    inputs:\n      password:\n        type: random";
        assertEdits(statik, random);
        assertEdits(crlf(statik), crlf(random));
        assertCrlfOnly(edit(crlf(short)).text);
    });

    describe("refuses what it does not know, with the reason", () => {
        it("the JSON form EC2Launch v2 also accepts", () => {
            assertRefused(
                '{"version":"1.0","config":[{"stage":"preReady","tasks":[]}]}\n',
                /JSON form/,
            );
        });
        it("no preReady stage, or two", () => {
            assertRefused(
                replaceOnce(compact, "- stage: preReady", "- stage: preready"),
                /expected one "- stage: preReady" item, found 0/,
            );
            assertRefused(
                compact + "- stage: preReady\n  tasks:\n  - task: setWallpaper\n",
                /found 2/,
            );
        });
        it("setAdminAccount twice", () => {
            assertRefused(
                replaceOnce(
                    compact,
                    "  - task: setWallpaper\n",
                    "  - task: setAdminAccount\n  - task: setWallpaper\n",
                ),
                /task setAdminAccount appears 2 times/,
            );
        });
        it("a tab in the indentation of the stage", () => {
            assertRefused(
                replaceOnce(compact, "        type: random", "\t\ttype: random"),
                /line 21: a tab in the indentation/,
            );
        });
        it("tasks in flow style, or an entry that is not a task", () => {
            assertRefused(
                "config:\n- stage: preReady\n  tasks: [{task: setWallpaper}]\n",
                /expected one "tasks:" in stage preReady, found 0/,
            );
            assertRefused(
                replaceOnce(compact, "  - task: setWallpaper", "  - setWallpaper"),
                /expected "- task: <name>"/,
            );
        });
        it("inputs given inline or as a sequence", () => {
            assertRefused(
                replaceOnce(
                    compact,
                    "    inputs:\n" + randomBlock,
                    "    inputs: {password: {type: random}}\n",
                ),
                /inline value/,
            );
            assertRefused(
                replaceOnce(
                    compact,
                    "    inputs:\n" + randomBlock,
                    "    inputs:\n    - password: x\n",
                ),
                /as a sequence/,
            );
        });
    });
});
